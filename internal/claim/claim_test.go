package claim_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// Of the workers that claim the same attempt at once, exactly one owns
// it; the next attempt can be owned again, and a released one too.
func TestOneOwnerAnAttempt(t *testing.T) {
	t.Parallel()
	r := claim.New(dbs.Database(t).Collection("claims"))
	ctx := t.Context()
	for attempt := 1; attempt <= 3; attempt++ {
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ok, err := r.Own(ctx, "job1", attempt)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("attempt %d: %d owners, want 1", attempt, won)
		}
	}
	if err := r.Release(ctx, "job1", 3); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Own(ctx, "job1", 3); err != nil || !ok {
		t.Errorf("a released attempt: %v, %v; want owned", ok, err)
	}
	if ok, err := r.Own(ctx, "job2", 1); err != nil || !ok {
		t.Errorf("another job: %v, %v; want owned", ok, err)
	}
}

// A lease has one holder at a time, among workers that take it at once;
// it is taken over once it runs out, and not before; the holder that lost
// it cannot renew it, and a released lease can be taken at once.
func TestLeaseOneHolderTakenOverWhenItRunsOut(t *testing.T) {
	t.Parallel()
	l := claim.NewLeases(dbs.Database(t).Collection("leases"))
	ctx := t.Context()
	t0 := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	const d = time.Minute
	var mu sync.Mutex
	var holders []*claim.Lease
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			h, err := l.Take(ctx, "retention/c1", t0, d)
			if err != nil {
				t.Error(err)
			}
			if h != nil {
				mu.Lock()
				holders = append(holders, h)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(holders) != 1 {
		t.Fatalf("%d workers hold the lease, want 1", len(holders))
	}
	first := holders[0]
	if h, err := l.Take(ctx, "retention/c2", t0, d); err != nil || h == nil {
		t.Errorf("another name: %v, %v; want it taken", h, err)
	}
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, false}, {d - time.Second, false}, {d, false}} {
		if h, err := l.Take(ctx, "retention/c1", t0.Add(tc.at), d); err != nil || (h != nil) != tc.want {
			t.Errorf("take %v after: %v, %v; want taken: %v", tc.at, h, err, tc.want)
		}
	}
	// Renewed, it does not run out at d.
	if ok, err := first.Renew(ctx, t0.Add(d/2), d); err != nil || !ok {
		t.Fatalf("renew: %v, %v; want held", ok, err)
	}
	if h, err := l.Take(ctx, "retention/c1", t0.Add(d+time.Second), d); err != nil || h != nil {
		t.Errorf("take after the renewed lease's first end: %v, %v; want held", h, err)
	}
	second, err := l.Take(ctx, "retention/c1", t0.Add(2*d), d)
	if err != nil || second == nil {
		t.Fatalf("take after the lease ran out: %v, %v; want taken over", second, err)
	}
	if ok, err := first.Renew(ctx, t0.Add(2*d), d); err != nil || ok {
		t.Errorf("the first holder renews a lease taken over: %v, %v; want lost", ok, err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := l.Take(ctx, "retention/c1", t0.Add(2*d), d); err != nil || h != nil {
		t.Errorf("the old holder's release freed the new holder's lease: %v, %v", h, err)
	}
	if err := second.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := l.Take(ctx, "retention/c1", t0.Add(2*d), d); err != nil || h == nil {
		t.Errorf("take after release: %v, %v; want taken", h, err)
	}
}

// Keep renews while the work runs and stops the work, with ErrLost, when
// a renewal finds the job taken over; a failed renewal is reported and
// tried again.
func TestKeepRenewsAndStopsTheWorkWhenLost(t *testing.T) {
	t.Parallel()
	var renewals atomic.Int32
	held := atomic.Bool{}
	held.Store(true)
	var failures atomic.Int32
	work, stop := claim.Keep(t.Context(), time.Millisecond, func(context.Context) (bool, error) {
		if renewals.Add(1) == 2 {
			return false, errors.New("database down")
		}
		return held.Load(), nil
	}, func(error) { failures.Add(1) })
	deadline := time.Now().Add(10 * time.Second)
	for renewals.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d renewals in 10 s", renewals.Load())
		}
		runtime.Gosched()
	}
	if work.Err() != nil {
		t.Fatalf("the work stopped while its job was held: %v", context.Cause(work))
	}
	held.Store(false)
	select {
	case <-work.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the work goes on after its job was taken over")
	}
	if !claim.Lost(work) {
		t.Errorf("cause %v, want ErrLost", context.Cause(work))
	}
	stop()
	if failures.Load() != 1 {
		t.Errorf("%d failures reported, want 1", failures.Load())
	}
	// Stopped by its caller, the work is not lost.
	work, stop = claim.Keep(t.Context(), time.Hour, func(context.Context) (bool, error) { return true, nil }, nil)
	stop()
	if work.Err() == nil || claim.Lost(work) {
		t.Errorf("after stop: %v, lost %v; want cancelled, not lost", work.Err(), claim.Lost(work))
	}
}
