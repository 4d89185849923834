package bundle

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/pdf"
)

// fastRenewals is the leasing of the two-node tests: a lease on the test
// clock, renewed every millisecond of real time, so that a test sees a
// renewal soon after it moves the clock.
var fastRenewals = leasing{lease: time.Minute, renewEvery: time.Millisecond}

// eventually polls cond until it holds, for at most 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// stall returns a hook that blocks at its first call until release is
// closed or the work's context ends, and the channel closed when it
// blocked.
func stall(release <-chan struct{}) (func(ctx context.Context), <-chan struct{}) {
	started := make(chan struct{})
	var once sync.Once
	return func(ctx context.Context) {
		once.Do(func() {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
		})
	}, started
}

// wait waits for a worker's result, for at most 10 s.
func wait(t *testing.T, what string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running after 10 s", what)
	}
}

// A node whose build outlasts its lease many times over keeps the job
// while it is alive: its worker renews the lease as it works, so the other
// node, looking again each time the clock has passed the last lease, never
// takes it. The job is built once, by the first node.
func TestTwoNodesSlowBundleBuildKeepsItsLease(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	a, b := f.worker(t, f.clock.Now), f.worker(t, f.clock.Now)
	a.leasing, b.leasing = fastRenewals, fastRenewals
	release := make(chan struct{})
	hook, started := stall(release)
	a.progressed = func(ctx context.Context, _ pdf.Progress) { hook(ctx) }
	job := f.enqueue(t, Options{})
	done := make(chan error, 1)
	go func() { _, err := a.RunOnce(ctx); done <- err }()
	<-started
	for range 3 {
		f.clock.Add(2 * fastRenewals.lease) // past every lease set so far
		now := f.clock.Now()
		eventually(t, "the slow node did not renew its lease", func() bool { return f.job(t, job.ID).LeaseUntil.After(now) })
		if ran, err := b.RunOnce(ctx); err != nil || ran {
			t.Fatalf("the other node took the job of a live node: %v, %v", ran, err)
		}
	}
	close(release)
	wait(t, "the slow node's build", done)
	f.builtOnce(t, job.ID, 1)
}

// A node whose job was taken over (its lease ran out while it could not
// renew it; here the other node's clock is an hour ahead) stops its build
// at its next renewal, rather than go on beside the new holder, and leaves
// no archive. The job is built once, by the node that took it over.
func TestTwoNodesBundleBuildTakenOverStopsTheFirst(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	a := f.worker(t, f.clock.Now)
	b := f.worker(t, func() time.Time { return f.clock.Now().Add(time.Hour) })
	a.leasing, b.leasing = fastRenewals, fastRenewals
	hook, started := stall(nil) // released only by the end of its context
	a.progressed = func(ctx context.Context, _ pdf.Progress) { hook(ctx) }
	job := f.enqueue(t, Options{})
	done := make(chan error, 1)
	go func() { _, err := a.RunOnce(ctx); done <- err }()
	<-started
	if ran, err := b.RunOnce(ctx); err != nil || !ran {
		t.Fatalf("the other node did not take the job over: %v, %v", ran, err)
	}
	wait(t, "the first node's build, taken over", done)
	f.builtOnce(t, job.ID, 2)
}

// The print run's worker renews its lease whatever the step, and stops
// when the run was taken over: a live slow node keeps its run, one whose
// run was taken over stops, and each recipient's part is built once.
func TestTwoNodesPrintRunLeases(t *testing.T) {
	ctx := t.Context()
	t.Run("a live slow node keeps its run", func(t *testing.T) {
		dr := newDrive(t)
		run, err := dr.runs.Enqueue(ctx, dr.d, Options{Layout: pdf.LayoutPostcards}, "organizer@example.org")
		if err != nil {
			t.Fatal(err)
		}
		a, b := dr.printRuns(t), dr.printRuns(t)
		a.leasing, b.leasing = fastRenewals, fastRenewals
		release := make(chan struct{})
		hook, started := stall(release)
		var mu sync.Mutex
		built := map[int]int{}
		count := func(done int) { mu.Lock(); built[done]++; mu.Unlock() }
		a.afterPart = func(ctx context.Context, done int) { count(done); hook(ctx) }
		b.afterPart = func(_ context.Context, done int) { count(done) }
		done := make(chan error, 1)
		go func() { _, err := a.RunOnce(ctx); done <- err }()
		<-started
		for range 3 {
			dr.clock.Add(2 * fastRenewals.lease)
			now := dr.clock.Now()
			eventually(t, "the slow node did not renew its lease", func() bool {
				r, err := dr.runs.Run(ctx, run.ID)
				return err == nil && r.LeaseUntil.After(now)
			})
			if ran, err := b.RunOnce(ctx); err != nil || ran {
				t.Fatalf("the other node took the run of a live node: %v, %v", ran, err)
			}
		}
		close(release)
		wait(t, "the slow node's run", done)
		printedOnce(t, dr, run, built, 1)
	})
	t.Run("a node whose run was taken over stops", func(t *testing.T) {
		dr := newDrive(t)
		run, err := dr.runs.Enqueue(ctx, dr.d, Options{Layout: pdf.LayoutPostcards}, "organizer@example.org")
		if err != nil {
			t.Fatal(err)
		}
		a := dr.printRuns(t)
		b := NewPrintRuns(dr.db, a.keys, a.builder, dr.log, func() time.Time { return dr.clock.Now().Add(time.Hour) }, a.log)
		a.leasing, b.leasing = fastRenewals, fastRenewals
		hook, started := stall(nil)
		var mu sync.Mutex
		built := map[int]int{}
		count := func(done int) { mu.Lock(); built[done]++; mu.Unlock() }
		a.afterPart = func(ctx context.Context, done int) { count(done); hook(ctx) }
		b.afterPart = func(_ context.Context, done int) { count(done) }
		done := make(chan error, 1)
		go func() { _, err := a.RunOnce(ctx); done <- err }()
		<-started
		if ran, err := b.RunOnce(ctx); err != nil || !ran {
			t.Fatalf("the other node did not take the run over: %v, %v", ran, err)
		}
		wait(t, "the first node's run, taken over", done)
		printedOnce(t, dr, run, built, 2)
		if n, err := dr.db.Collection("print_files.files").CountDocuments(ctx, map[string]any{}); err != nil || n != 1 {
			t.Errorf("print_files holds %d archives (%v), want 1", n, err)
		}
	})
}

// builtOnce checks that the job was built once, by its attempt-th
// attempt: done, audited once, one archive stored.
func (f *fixture) builtOnce(t *testing.T, jobID string, attempt int) {
	t.Helper()
	got := f.job(t, jobID)
	if got.Status != StatusDone || got.Attempt != attempt {
		t.Errorf("the job is %s after %d attempts (%s); want done after %d", got.Status, got.Attempt, got.Error, attempt)
	}
	if n := len(f.auditEntries(t, audit.BundleBuilt)); n != 1 {
		t.Errorf("the audit log records %d built bundles, want 1", n)
	}
	if n := f.storedFiles(t); n != 1 {
		t.Errorf("GridFS holds %d archives, want 1", n)
	}
}

// printedOnce checks that the print run was done by its attempt-th attempt
// and that each of its recipients' parts was built once, as built counts.
func printedOnce(t *testing.T, dr *drive, run *PrintRun, built map[int]int, attempt int) {
	t.Helper()
	got, err := dr.runs.Run(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusDone || got.Attempt != attempt {
		t.Errorf("the run is %s after %d attempts (%s); want done after %d", got.Status, got.Attempt, got.Error, attempt)
	}
	for i := 1; i <= len(run.Recipients); i++ {
		if built[i] != 1 {
			t.Errorf("recipient %d's part was built %d times, want once", i, built[i])
		}
	}
}
