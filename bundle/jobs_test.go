package bundle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/pdf"
)

// worker returns another job queue over the fixture's database, as a second
// app node has, with its own clock.
func (f *fixture) worker(t *testing.T, now func() time.Time) *Jobs {
	t.Helper()
	return NewJobs(f.db, testdb.Keys(t), NewBuilder(f.svc, f.greetings, testMessages(t)), f.log, now, slog.New(slog.DiscardHandler))
}

// put stores a job in the given state, created at the clock's time, and
// moves the clock on a second.
func (f *fixture) put(t *testing.T, id string, status Status, set bson.M) {
	t.Helper()
	doc := bson.M{"_id": id, "campaign_id": f.c.ID, "options": Options{Layout: pdf.LayoutList, Paper: pdf.A4, MaxSheets: 10, Lang: "en"},
		"status": status, "holds": 0, "attempt": 0, "created_by": "organizer@example.org", "created_at": f.clock.Now(),
		"cutoff": f.clock.Now(), "tallies": bson.A{}, "letters": 0, "total_letters": 0, "size": 0, "pages": 0}
	for k, v := range set {
		doc[k] = v
	}
	if _, err := f.jobs.store.jobs.InsertOne(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Second)
}

// A worker claims the oldest job that waits and nothing else: not one held
// back by an erasure, not one whose worker is alive, not a finished,
// failed, replaced or discarded one. A claimed job is running under a lease
// and claimed only once.
func TestClaimTakesOnlyAJobThatWaits(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		status Status
		set    bson.M
		want   bool
	}{
		{"queued", StatusQueued, nil, true},
		{"queued before holds existed", StatusQueued, bson.M{"holds": "unset"}, true},
		{"held back by an erasure", StatusQueued, bson.M{"holds": 1}, false},
		{"running under a live lease", StatusRunning, bson.M{"attempt": 1, "lease_until": time.Date(2027, 6, 1, 12, 1, 0, 0, time.UTC)}, false},
		{"running with an expired lease", StatusRunning, bson.M{"attempt": 1, "lease_until": time.Date(2027, 6, 1, 11, 59, 0, 0, time.UTC)}, true},
		{"done", StatusDone, nil, false},
		{"failed", StatusFailed, bson.M{"error": "boom"}, false},
		{"replaced", StatusReplaced, bson.M{"replaced_by": "other"}, false},
		{"discarded", StatusDiscarded, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.put(t, "job", tt.status, tt.set)
			if tt.set["holds"] == "unset" {
				if _, err := f.jobs.store.jobs.UpdateOne(ctx, bson.M{"_id": "job"}, bson.M{"$unset": bson.M{"holds": ""}}); err != nil {
					t.Fatal(err)
				}
			}
			before := f.job(t, "job")
			now := f.clock.Now()
			got, err := f.jobs.claim(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want {
				if got != nil {
					t.Fatalf("claimed a %s job", tt.name)
				}
				if after := f.job(t, "job"); after.Status != before.Status || after.Attempt != before.Attempt {
					t.Errorf("an unclaimed job changed: %s attempt %d, was %s attempt %d", after.Status, after.Attempt, before.Status, before.Attempt)
				}
				return
			}
			if got == nil || got.ID != "job" {
				t.Fatalf("claim = %v, want the %s job", got, tt.name)
			}
			stored := f.job(t, "job")
			if stored.Status != StatusRunning || stored.Attempt != before.Attempt+1 || !stored.StartedAt.Equal(now) ||
				!stored.LeaseUntil.Equal(now.Add(lease)) || got.Attempt != stored.Attempt {
				t.Errorf("claimed job: %s, attempt %d (was %d, returned %d), started %v, lease until %v; want running under a lease from %v",
					stored.Status, stored.Attempt, before.Attempt, got.Attempt, stored.StartedAt, stored.LeaseUntil, now)
			}
			if again, err := f.jobs.claim(ctx); err != nil || again != nil {
				t.Errorf("a second claim = %v, %v; want nothing", again, err)
			}
		})
	}
}

// Waiting jobs are claimed oldest first.
func TestClaimTakesTheOldestFirst(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, id := range []string{"first", "second", "third"} {
		f.put(t, id, StatusQueued, nil)
	}
	for _, want := range []string{"first", "second", "third", ""} {
		got, err := f.jobs.claim(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gotID := ""
		if got != nil {
			gotID = got.ID
		}
		if gotID != want {
			t.Errorf("claim = %q, want %q", gotID, want)
		}
	}
}

// Workers on several app nodes that look for work at the same moment
// never both build one job: each job is claimed once and built once.
func TestConcurrentWorkersNeverBuildAJobTwice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	const jobs, workers = 4, 4
	for i := range jobs {
		f.put(t, fmt.Sprintf("job-%d", i), StatusQueued, nil)
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		w := f.worker(t, f.clock.Now)
		wg.Go(func() {
			for {
				job, err := w.claim(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if job == nil {
					return
				}
				mu.Lock()
				claimed[job.ID]++
				mu.Unlock()
				w.run(ctx, job)
			}
		})
	}
	wg.Wait()
	for i := range jobs {
		id := fmt.Sprintf("job-%d", i)
		if claimed[id] != 1 {
			t.Errorf("job %s was claimed %d times, want once", id, claimed[id])
		}
		if job := f.job(t, id); job.Status != StatusDone || job.Attempt != 1 {
			t.Errorf("job %s is %s after %d attempts (%s)", id, job.Status, job.Attempt, job.Error)
		}
	}
	if got := len(f.auditEntries(t, audit.BundleBuilt)); got != jobs {
		t.Errorf("the audit log records %d built bundles, want %d", got, jobs)
	}
	if got := f.storedFiles(t); got != jobs {
		t.Errorf("GridFS holds %d archives, want %d", got, jobs)
	}
}

// A job whose worker died is taken over once its lease has run out, and
// not before; if the first worker comes back and finishes, its archive is
// discarded and the job keeps the one built by the worker that took over.
func TestLeaseTakeoverAfterACrashedWorker(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	queued := f.enqueue(t, Options{})
	crashed, err := f.jobs.claim(ctx)
	if err != nil || crashed == nil || crashed.ID != queued.ID {
		t.Fatalf("claim = %v, %v", crashed, err)
	}
	other := f.worker(t, f.clock.Now)
	for _, step := range []struct {
		after time.Duration
		want  bool
	}{
		{0, false},
		{lease - time.Second, false},
		{lease, false}, // the lease runs until this instant
		{lease + time.Millisecond, true},
	} {
		f.clock.Set(crashed.StartedAt.Add(step.after))
		got, err := other.claim(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (got != nil) != step.want {
			t.Fatalf("%v after the crash the other worker claimed %v, want a claim: %v", step.after, got, step.want)
		}
		if got == nil {
			continue
		}
		if got.ID != crashed.ID || got.Attempt != crashed.Attempt+1 || got.Envelopes != 0 {
			t.Errorf("taken over: %s attempt %d envelopes %d; want %s attempt %d from scratch", got.ID, got.Attempt, got.Envelopes, crashed.ID, crashed.Attempt+1)
		}
		other.run(ctx, got)
	}
	done := f.job(t, crashed.ID)
	if done.Status != StatusDone || done.Attempt != 2 {
		t.Fatalf("the job taken over is %s after %d attempts (%s)", done.Status, done.Attempt, done.Error)
	}
	// The crashed worker wakes up and finishes its build.
	f.jobs.run(ctx, crashed)
	if got := f.job(t, crashed.ID); got.Status != StatusDone || got.FileID != done.FileID || got.SHA256 != done.SHA256 {
		t.Errorf("after the stale worker finished: %s, file %v; want done with file %v", got.Status, got.FileID, done.FileID)
	}
	if got := f.storedFiles(t); got != 1 {
		t.Errorf("GridFS holds %d archives, want 1: the stale worker's is discarded", got)
	}
	if got := len(f.auditEntries(t, audit.BundleBuilt)); got != 1 {
		t.Errorf("the audit log records %d built bundles, want 1", got)
	}
}

// While a job is built its stored progress moves on letter by letter,
// where any node can read it, and each step renews the lease, so another
// worker does not take over a long build.
func TestProgressIsStoredWhileBuilding(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 12 {
		f.sign(t, fmt.Sprintf("Supporter Number %02d", i+1))
	}
	other := f.worker(t, f.clock.Now)
	var (
		watch    string
		seen     []Job
		problems []error
	)
	// The worker reads its clock at every progress write: the test looks
	// at the stored job there, from outside, and moves time on by a
	// minute, so that a build of a few letters outlasts the first lease.
	now := func() time.Time {
		if watch != "" {
			job, err := f.jobs.Job(ctx, watch)
			if err != nil {
				problems = append(problems, err)
			} else {
				seen = append(seen, *job)
			}
			if job != nil && job.Status == StatusRunning {
				if stolen, err := other.claim(ctx); err != nil || stolen != nil {
					problems = append(problems, fmt.Errorf("another worker claimed the job during the build (error %v)", err))
				}
			}
			f.clock.Add(time.Minute)
		}
		return f.clock.Now()
	}
	w := f.worker(t, now)
	job := f.enqueue(t, Options{MaxSheets: 1})
	watch = job.ID
	if ran, err := w.RunOnce(ctx); err != nil || !ran {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	watch = ""
	if err := errors.Join(problems...); err != nil {
		t.Fatal(err)
	}
	done := f.job(t, job.ID)
	if done.Status != StatusDone || done.Percent() != 100 {
		t.Fatalf("the job is %s at %d%% (%s)", done.Status, done.Percent(), done.Error)
	}
	// With four letters or more the build outlasts the first lease: the
	// other worker would have taken it over without the renewals.
	if done.TotalEnvelopes < 4 {
		t.Fatalf("the bundle has %d envelopes; the test needs at least 4", done.TotalEnvelopes)
	}
	// seen[0] is at the claim, while the job still waits; then one at each
	// letter, which sees the progress stored after the letter before, and
	// one when the finished job is recorded.
	var steps []int
	var leases []time.Time
	for _, s := range seen {
		if s.Status != StatusRunning {
			continue
		}
		steps = append(steps, s.Envelopes)
		leases = append(leases, s.LeaseUntil)
		if s.Envelopes > 0 && s.Envelopes < done.TotalEnvelopes && (s.TotalEnvelopes != done.TotalEnvelopes || s.Percent() <= 0 || s.Percent() >= 100) {
			t.Errorf("stored while building: %d of %d envelopes, %d%%; want part of %d", s.Envelopes, s.TotalEnvelopes, s.Percent(), done.TotalEnvelopes)
		}
	}
	want := make([]int, done.TotalEnvelopes+1)
	for i := range want {
		want[i] = i
	}
	if fmt.Sprint(steps) != fmt.Sprint(want) {
		t.Errorf("stored progress while building went %v, want %v", steps, want)
	}
	for i := 1; i < len(leases); i++ {
		if !leases[i].After(leases[i-1]) {
			t.Errorf("the lease did not move on at letter %d: %v after %v", i, leases[i], leases[i-1])
		}
	}
}

// A discarded or replaced job has no archive to serve and is not built
// again; Current leads from a replaced job to its successor and leaves a
// discarded one where it is.
func TestDiscardedAndReplacedJobsAreNeitherBuiltNorServed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	f.put(t, "successor", StatusDone, nil)
	f.put(t, "replaced", StatusReplaced, bson.M{"replaced_by": "successor", "erased_at": f.clock.Now()})
	f.put(t, "discarded", StatusDiscarded, bson.M{"erased_at": f.clock.Now()})
	f.runAll(t)
	tests := []struct {
		id, current string
	}{
		{"replaced", "successor"},
		{"discarded", "discarded"},
	}
	for _, tt := range tests {
		job := f.job(t, tt.id)
		if job.Status != Status(tt.id) || job.Attempt != 0 {
			t.Errorf("job %s is %s after %d attempts; want it left alone", tt.id, job.Status, job.Attempt)
		}
		if _, err := f.jobs.Open(ctx, job); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open of the %s job = %v, want ErrNotFound", tt.id, err)
		}
		cur, err := f.jobs.Current(ctx, job)
		if err != nil || cur.ID != tt.current {
			t.Errorf("Current of the %s job = %v, %v; want %s", tt.id, cur, err, tt.current)
		}
		// Retry is for failed and held jobs only.
		if err := f.jobs.Retry(ctx, tt.id); err != nil {
			t.Fatal(err)
		}
		if got := f.job(t, tt.id); got.Status != job.Status {
			t.Errorf("Retry moved the %s job to %s", tt.id, got.Status)
		}
	}
	f.runAll(t)
	if got := f.storedFiles(t); got != 0 {
		t.Errorf("GridFS holds %d archives, want none", got)
	}
}
