package claim_test

import (
	"sync"
	"testing"

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
