package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/migrate"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// journal records which migrations ran, in order, and writes a document
// per run into the database, as a real migration would.
type journal struct {
	mu  sync.Mutex
	ran []int
	db  *mongo.Database
	// fail makes the migration with that version fail once.
	fail map[int]bool
}

var errBroken = errors.New("broken migration")

// list returns migrations 1 to n that record into j.
func (j *journal) list(n int) []migrate.Migration {
	var out []migrate.Migration
	for v := 1; v <= n; v++ {
		out = append(out, migrate.Migration{Version: v, Name: fmt.Sprintf("step %d", v), Up: func(ctx context.Context) error {
			j.mu.Lock()
			j.ran = append(j.ran, v)
			fail := j.fail[v]
			delete(j.fail, v)
			j.mu.Unlock()
			if fail {
				return errBroken
			}
			_, err := j.db.Collection("steps").InsertOne(ctx, bson.M{"version": v})
			return err
		}})
	}
	return out
}

func (j *journal) runs() []int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.ran)
}

// reset forgets the runs so far.
func (j *journal) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ran = nil
}

func version(t *testing.T, db *mongo.Database) int {
	t.Helper()
	v, err := migrate.Version(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fast are options that poll often, for tests.
func fast(owner string) migrate.Options {
	return migrate.Options{Owner: owner, Poll: 5 * time.Millisecond}
}

func TestRunAppliesEachMigrationOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	j := &journal{db: db}
	if got := version(t, db); got != 0 {
		t.Fatalf("a new database is at version %d, want 0", got)
	}
	if err := migrate.Run(ctx, db, j.list(3), fast("a")); err != nil {
		t.Fatal(err)
	}
	if got, want := j.runs(), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("ran %v, want %v", got, want)
	}
	if got := version(t, db); got != 3 {
		t.Errorf("version %d, want 3", got)
	}
	// Again: nothing to do.
	j.reset()
	if err := migrate.Run(ctx, db, j.list(3), fast("b")); err != nil {
		t.Fatal(err)
	}
	if got := j.runs(); len(got) != 0 {
		t.Errorf("the second run ran %v, want nothing", got)
	}
	// A release with two more migrations applies only those.
	if err := migrate.Run(ctx, db, j.list(5), fast("c")); err != nil {
		t.Fatal(err)
	}
	if got, want := j.runs(), []int{4, 5}; !slices.Equal(got, want) {
		t.Errorf("the next release ran %v, want %v", got, want)
	}
	if n, err := db.Collection("steps").CountDocuments(ctx, bson.M{}); err != nil || n != 5 {
		t.Errorf("the migrations wrote %d documents (%v), want 5", n, err)
	}
}

// Several app nodes starting at once apply each migration exactly once.
func TestConcurrentRunnersApplyEachMigrationOnce(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	j := &journal{db: db}
	list := j.list(4)
	const runners = 6
	errs := make(chan error, runners)
	var wg sync.WaitGroup
	for i := range runners {
		wg.Go(func() { errs <- migrate.Run(ctx, db, list, fast(fmt.Sprintf("node-%d", i))) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got, want := j.runs(), []int{1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("%d runners ran %v, want %v", runners, got, want)
	}
	if got := version(t, db); got != 4 {
		t.Errorf("version %d, want 4", got)
	}
}

// A failed migration stops the run with the version at the last good one;
// the next run starts again at the failed one.
func TestFailedMigrationStopsAndTheNextRunResumes(t *testing.T) {
	tests := []struct {
		name      string
		fail      int
		wantFirst []int
		wantAfter int
		wantRerun []int
	}{
		{"the first", 1, []int{1}, 0, []int{1, 2, 3}},
		{"the middle", 2, []int{1, 2}, 1, []int{2, 3}},
		{"the last", 3, []int{1, 2, 3}, 2, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := dbs.Database(t)
			j := &journal{db: db, fail: map[int]bool{tt.fail: true}}
			err := migrate.Run(ctx, db, j.list(3), fast("a"))
			if !errors.Is(err, errBroken) {
				t.Fatalf("Run = %v, want the migration's error", err)
			}
			if got := j.runs(); !slices.Equal(got, tt.wantFirst) {
				t.Errorf("ran %v, want %v", got, tt.wantFirst)
			}
			if got := version(t, db); got != tt.wantAfter {
				t.Errorf("version after the failure %d, want %d", got, tt.wantAfter)
			}
			// The lock was released: the next run does not wait for it.
			j.reset()
			short, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := migrate.Run(short, db, j.list(3), fast("b")); err != nil {
				t.Fatal(err)
			}
			if got := j.runs(); !slices.Equal(got, tt.wantRerun) {
				t.Errorf("the rerun ran %v, want %v", got, tt.wantRerun)
			}
			if got := version(t, db); got != 3 {
				t.Errorf("version after the rerun %d, want 3", got)
			}
		})
	}
}

// A lock whose holder died is taken over once its lease has run out, and
// not before.
func TestExpiredLockIsTakenOver(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	clock := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	j := &journal{db: db}
	// A node took the lock a moment ago and died in migration 2.
	if err := migrate.Run(ctx, db, j.list(1), fast("first")); err != nil {
		t.Fatal(err)
	}
	_, err := db.Collection(migrate.Collection).InsertOne(ctx, bson.M{"_id": "lock.7", "kind": "lock", "gen": 7,
		"owner": "dead", "until": clock.Now().Add(time.Minute), "released": false})
	if err != nil {
		t.Fatal(err)
	}
	opts := fast("next")
	opts.Now, opts.Lease = clock.Now, time.Hour
	j.reset()
	waiting, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := migrate.Run(waiting, db, j.list(3), opts); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run while the lease holds = %v, want it to wait until its context ends", err)
	}
	if got := j.runs(); len(got) != 0 {
		t.Errorf("ran %v while another node held the lock", got)
	}
	clock.Add(time.Minute + time.Second)
	if err := migrate.Run(ctx, db, j.list(3), opts); err != nil {
		t.Fatal(err)
	}
	if got, want := j.runs(), []int{2, 3}; !slices.Equal(got, want) {
		t.Errorf("after the lease ran out ran %v, want %v", got, want)
	}
	if got := version(t, db); got != 3 {
		t.Errorf("version %d, want 3", got)
	}
}

// The lease is renewed while a migration runs, so that a long migration
// keeps its lock.
func TestLeaseIsRenewedWhileMigrating(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	opts := migrate.Options{Owner: "slow", Lease: 300 * time.Millisecond, Poll: 5 * time.Millisecond}
	lease := func(ctx context.Context) (time.Time, error) {
		var doc struct {
			Until time.Time `bson:"until"`
		}
		err := db.Collection(migrate.Collection).FindOne(ctx, bson.M{"kind": "lock", "owner": "slow"}).Decode(&doc)
		return doc.Until, err
	}
	slow := migrate.Migration{Version: 1, Name: "slow", Up: func(ctx context.Context) error {
		first, err := lease(ctx)
		if err != nil {
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			until, err := lease(ctx)
			if err != nil {
				return err
			}
			if until.After(first) {
				return nil
			}
		}
		return errors.New("the lease was never renewed")
	}}
	if err := migrate.Run(ctx, db, []migrate.Migration{slow}, opts); err != nil {
		t.Fatal(err)
	}
}

// A runner that stalled past its lease loses the lock to the next one,
// which runs the stalled migration again; the stalled runner records
// nothing.
func TestStalledRunnerLosesTheLock(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	clock := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	calls := 0
	stalled, resume := make(chan struct{}), make(chan struct{})
	list := []migrate.Migration{{Version: 1, Name: "stalls once", Up: func(ctx context.Context) error {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			close(stalled)
			<-resume
		}
		return nil
	}}}
	opts := func(owner string) migrate.Options {
		o := fast(owner)
		o.Now, o.Lease = clock.Now, time.Hour // never renewed during the test
		return o
	}
	done := make(chan error, 1)
	go func() { done <- migrate.Run(ctx, db, list, opts("stalled")) }()
	<-stalled
	clock.Add(time.Hour + time.Second)
	if err := migrate.Run(ctx, db, list, opts("next")); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := <-done; !errors.Is(err, migrate.ErrLockLost) {
		t.Errorf("the stalled runner returned %v, want ErrLockLost", err)
	}
	if calls != 2 {
		t.Errorf("the migration ran %d times, want 2", calls)
	}
	if got := version(t, db); got != 1 {
		t.Errorf("version %d, want 1", got)
	}
}

// A database migrated by a newer release is refused, before and without
// running anything.
func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	j := &journal{db: db}
	if err := migrate.Run(ctx, db, j.list(5), fast("new")); err != nil {
		t.Fatal(err)
	}
	j.reset()
	err := migrate.Run(ctx, db, j.list(3), fast("old"))
	if !errors.Is(err, migrate.ErrNewerDatabase) {
		t.Fatalf("Run of an older list = %v, want ErrNewerDatabase", err)
	}
	if got := j.runs(); len(got) != 0 {
		t.Errorf("ran %v on a newer database", got)
	}
	if got := version(t, db); got != 5 {
		t.Errorf("version %d, want 5", got)
	}
}

func TestInvalidListIsRefused(t *testing.T) {
	up := func(context.Context) error { return nil }
	tests := []struct {
		name string
		list []migrate.Migration
	}{
		{"version zero", []migrate.Migration{{Version: 0, Name: "a", Up: up}}},
		{"out of order", []migrate.Migration{{Version: 2, Name: "a", Up: up}, {Version: 1, Name: "b", Up: up}}},
		{"repeated", []migrate.Migration{{Version: 1, Name: "a", Up: up}, {Version: 1, Name: "b", Up: up}}},
		{"no name", []migrate.Migration{{Version: 1, Up: up}}},
		{"no function", []migrate.Migration{{Version: 1, Name: "a"}}},
	}
	db := dbs.Database(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := migrate.Run(context.Background(), db, tt.list, fast("x")); !errors.Is(err, migrate.ErrInvalidList) {
				t.Errorf("Run = %v, want ErrInvalidList", err)
			}
		})
	}
	if got := version(t, db); got != 0 {
		t.Errorf("version %d after invalid lists, want 0", got)
	}
}
