package backup_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/testclock"
)

// testLease is the lease of the two-node tests, on the test clock.
const testLease = time.Minute

// twoNodes is two app nodes' scheduled backups over one database and one
// shared folder, on one test clock: an hour's period, keeping two.
type twoNodes struct {
	db   *mongo.Database
	dir  string
	clk  *testclock.Clock
	a, b *backup.Schedule
}

// t0 is the start of the two-node tests' first period.
var t0 = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

func newTwoNodes(t *testing.T) *twoNodes {
	t.Helper()
	db := dbs.Database(t)
	fill(t, db, 1)
	if err := backup.Prepare(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	_, r := keyPair(t)
	n := &twoNodes{db: db, dir: filepath.Join(t.TempDir(), "backups"), clk: testclock.New(t0)}
	opts := backup.ScheduleOptions{Dir: n.dir, Every: time.Hour, Keep: 2, Recipients: []age.Recipient{r}, Node: "node-a", Now: n.clk.Now}
	n.a = backup.NewSchedule(db, opts)
	opts.Node = "node-b"
	n.b = backup.NewSchedule(db, opts)
	// Renewed every millisecond of real time, so that a renewal follows
	// soon after the test moves the clock.
	n.a.SetLeasing(testLease, time.Millisecond)
	n.b.SetLeasing(testLease, time.Millisecond)
	return n
}

// results reads the recorded results, oldest first.
func (n *twoNodes) results(t *testing.T) []backup.Result {
	t.Helper()
	cur, err := n.db.Collection(backup.ResultsCollection).Find(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var out []backup.Result
	if err := cur.All(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b backup.Result) int { return a.Period.Compare(b.Period) })
	return out
}

// temps lists the temporary (half-written) files in the folder.
func (n *twoNodes) temps(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".partial") {
			out = append(out, e.Name())
		}
	}
	return out
}

// leaseUntil is when the backups' lease runs out.
func (n *twoNodes) leaseUntil(t *testing.T) time.Time {
	t.Helper()
	var doc struct {
		Until time.Time `bson:"until"`
	}
	err := n.db.Collection(backup.ClaimsCollection).FindOne(t.Context(), bson.D{{Key: "_id", Value: "lease:" + backup.LeaseName}}).Decode(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Until
}

// files lists the backups in the folder.
func (n *twoNodes) files(t *testing.T) []string {
	t.Helper()
	files, err := n.a.Files()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

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

// stalledWriter is a backup file's writer that writes its first piece,
// then blocks until release is closed: a backup half written.
type stalledWriter struct {
	w       io.Writer
	once    *sync.Once
	started chan<- struct{}
	release <-chan struct{}
}

func (s stalledWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.once.Do(func() {
		close(s.started)
		<-s.release
	})
	return n, err
}

// stall returns a writer wrapper that stalls the backup after its first
// piece until release is closed, and the channel closed when it stalled.
func stall(release <-chan struct{}) (func(io.Writer) io.Writer, <-chan struct{}) {
	started := make(chan struct{})
	once := new(sync.Once)
	return func(w io.Writer) io.Writer {
		return stalledWriter{w: w, once: once, started: started, release: release}
	}, started
}

// outcome is what a node's RunOnce returned.
type outcome struct {
	r   backup.Result
	won bool
	err error
}

// await waits for a node's RunOnce, for at most 10 s.
func await(t *testing.T, what string, done <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-done:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running after 10 s", what)
		return outcome{}
	}
}

// Both nodes scheduled on one folder, looking at once each period: one
// backup file a period, written by one node, one result a period, and the
// folder keeps Keep files; a second look in the period writes nothing.
func TestTwoNodesWriteOneBackupAPeriod(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	for i := range 4 {
		n.clk.Set(t0.Add(time.Duration(i)*time.Hour + time.Minute))
		for look := range 2 {
			var mu sync.Mutex
			var won []string
			var wg sync.WaitGroup
			for _, s := range []*backup.Schedule{n.a, n.b} {
				wg.Go(func() {
					r, ok, err := s.RunOnce(t.Context(), n.clk.Now())
					if err != nil && !errors.Is(err, backup.ErrBusy) {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						won = append(won, r.Node)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if want := 1 - look; len(won) != want {
				t.Fatalf("period %d, look %d: nodes %v wrote a backup, want %d", i, look, won, want)
			}
		}
	}
	if want := []string{"solidarity-20270601T020100Z.backup.age", "solidarity-20270601T030100Z.backup.age"}; !slices.Equal(n.files(t), want) {
		t.Errorf("the folder keeps %v, want the newest two %v", n.files(t), want)
	}
	res := n.results(t)
	if len(res) != 4 {
		t.Fatalf("%d results, want one a period: %+v", len(res), res)
	}
	for i, r := range res {
		if want := t0.Add(time.Duration(i) * time.Hour); !r.Period.Equal(want) || !r.OK() {
			t.Errorf("result %d: period %v, error %q; want %v written", i, r.Period, r.Error, want)
		}
	}
	if tmp := n.temps(t); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// A live node whose backup outlasts its lease many times over, and its
// period, keeps the lease: it renews it while it writes, so the other
// node, looking each time the clock passed the last lease and in the next
// period, writes nothing beside it. Once the slow backup is done, the
// next period's is written.
func TestTwoNodesSlowBackupKeepsItsLease(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	release := make(chan struct{})
	w, started := stall(release)
	n.a.SetWriter(w)
	n.clk.Set(t0.Add(50 * time.Minute))
	done := make(chan outcome, 1)
	go func() {
		r, ok, err := n.a.RunOnce(t.Context(), n.clk.Now())
		done <- outcome{r, ok, err}
	}()
	<-started
	for n.clk.Now().Before(t0.Add(time.Hour + time.Minute)) {
		n.clk.Add(2 * testLease) // past every lease set so far
		now := n.clk.Now()
		eventually(t, "the slow node did not renew its lease", func() bool { return n.leaseUntil(t).After(now) })
		if _, won, err := n.b.RunOnce(t.Context(), now); won || !errors.Is(err, backup.ErrBusy) {
			t.Fatalf("at %v the other node wrote beside a live node's backup: %v, %v; want busy", now, won, err)
		}
	}
	if files := n.files(t); len(files) != 0 {
		t.Fatalf("backups %v while the slow one is written, want none", files)
	}
	close(release)
	o := await(t, "the slow backup", done)
	if !o.won || o.err != nil || !o.r.Period.Equal(t0) {
		t.Fatalf("the slow backup: %+v; want the first period's written", o)
	}
	r, won, err := n.b.RunOnce(t.Context(), n.clk.Now())
	if !won || err != nil || !r.Period.Equal(t0.Add(time.Hour)) {
		t.Fatalf("the next period's backup after the slow one: %+v, %v, %v", r, won, err)
	}
	if want := []string{"solidarity-20270601T005000Z.backup.age", r.File}; !slices.Equal(n.files(t), want) {
		t.Errorf("the folder holds %v, want %v", n.files(t), want)
	}
}

// A node that dies half way through its backup (it stops renewing, its
// file half written) holds the period until its lease runs out; then the
// other node writes that period's backup and deletes the dead node's
// temporary file, which is never listed as a backup. Were the dead node
// to wake (a paused machine), it finds its lease taken over and writes
// nothing.
func TestTwoNodesTakeOverACrashedBackup(t *testing.T) {
	t.Parallel()
	n := newTwoNodes(t)
	n.a.SetLeasing(testLease, time.Hour) // dead: it renews nothing
	release := make(chan struct{})
	w, started := stall(release)
	n.a.SetWriter(w)
	n.clk.Set(t0.Add(time.Minute))
	done := make(chan outcome, 1)
	go func() {
		r, ok, err := n.a.RunOnce(context.WithoutCancel(t.Context()), n.clk.Now())
		done <- outcome{r, ok, err}
	}()
	<-started
	if tmp := n.temps(t); len(tmp) != 1 {
		t.Fatalf("temporary files %v, want the dead node's one", tmp)
	}
	if files := n.files(t); len(files) != 0 {
		t.Fatalf("a half-written backup is listed: %v", files)
	}
	n.clk.Add(testLease - time.Second)
	if _, won, err := n.b.RunOnce(t.Context(), n.clk.Now()); won || !errors.Is(err, backup.ErrBusy) {
		t.Fatalf("before the dead node's lease ran out: %v, %v; want busy", won, err)
	}
	n.clk.Add(2 * time.Second)
	r, won, err := n.b.RunOnce(t.Context(), n.clk.Now())
	if !won || err != nil || !r.Period.Equal(t0) || r.Node != "node-b" {
		t.Fatalf("after the dead node's lease: %+v, %v, %v; want node-b to write the first period's backup", r, won, err)
	}
	if want := []string{r.File}; !slices.Equal(n.files(t), want) {
		t.Errorf("the folder lists %v, want %v", n.files(t), want)
	}
	if tmp := n.temps(t); len(tmp) != 0 {
		t.Errorf("the dead node's temporary file is left: %v", tmp)
	}

	close(release) // the dead node wakes
	o := await(t, "the woken node", done)
	if !errors.Is(o.err, claim.ErrLost) {
		t.Errorf("the woken node: %+v; want its lease lost", o)
	}
	if want := []string{r.File}; !slices.Equal(n.files(t), want) {
		t.Errorf("after the woken node, the folder lists %v, want %v", n.files(t), want)
	}
	if res := n.results(t); len(res) != 1 || res[0].Node != "node-b" {
		t.Errorf("results %+v, want node-b's one", res)
	}
	if tmp := n.temps(t); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
