package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// Collections of the scheduled backups: the result of each run, which
// every node's console and /readyz show, and the lease that lets one node
// at a time write a backup.
const (
	ResultsCollection = "backups"
	ClaimsCollection  = "backup_claims"
)

// Lease is how long a node holds the scheduled backups' lease without a
// renewal: a node writing a backup renews it every quarter of it, so a
// backup of any length keeps it; a crashed node's runs out after Lease,
// and another node then writes the period's backup.
const Lease = 2 * time.Minute

// leaseName names the lease in ClaimsCollection (claim.Leases).
const leaseName = "backup"

// DefaultKeep is how many scheduled backups a folder keeps by default.
const DefaultKeep = 7

// keepResults is how many results the collection keeps.
const keepResults = 100

// File names of scheduled backups: the prefix, then the time in UTC
// (sortable), then the suffix. A backup being written has the temporary
// suffix until it is complete.
const (
	filePrefix = "solidarity-"
	fileSuffix = ".backup.age"
	tempSuffix = ".partial"
	fileTime   = "20060102T150405Z"
)

// ScheduleOptions set scheduled backups.
type ScheduleOptions struct {
	// Dir is the folder backups are written to; empty: this node makes
	// none (it still reports the others').
	Dir string
	// Every is the period: one backup per period, by one node.
	Every time.Duration
	// Keep is how many backups Dir keeps; older ones are deleted.
	Keep int
	// Recipients are the public keys backups are encrypted to.
	Recipients []age.Recipient
	// Node names this node in the results (its host name).
	Node string
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives a line per backup; nil discards.
	Log *slog.Logger
}

// Schedule makes the scheduled backups and reports them.
type Schedule struct {
	db      *mongo.Database
	opts    ScheduleOptions
	claims  *claim.Records
	leases  *claim.Leases
	results *mongo.Collection

	// lease and renewEvery are Lease and its renewal; tests shorten them.
	lease, renewEvery time.Duration
	// writer wraps the backup file's writer; tests slow it down. Nil:
	// the file itself.
	writer func(io.Writer) io.Writer

	mu     sync.Mutex
	cached Status
	readAt time.Time // real time of the cached status
}

// Result is one scheduled backup: where and how it went. Its error text
// comes from the file system or the database driver, never from data.
type Result struct {
	// Period is the start of the period the backup was for (its _id).
	Period   time.Time `bson:"_id"`
	Node     string    `bson:"node"`
	Started  time.Time `bson:"started"`
	Finished time.Time `bson:"finished"`
	File     string    `bson:"file,omitempty"`
	Size     int64     `bson:"size"`
	// Duration is in milliseconds.
	Duration  int64  `bson:"duration_ms"`
	Documents int64  `bson:"documents"`
	Error     string `bson:"error,omitempty"`
}

// OK reports whether the backup was written.
func (r Result) OK() bool { return r.Error == "" }

// Status is what the console and /readyz show of the scheduled backups.
type Status struct {
	// On: this node makes scheduled backups (SOLIDARITY_BACKUP_DIR).
	On    bool
	Every time.Duration
	Keep  int
	// Last is the latest backup written; nil: none.
	Last *Result
	// Failed is the latest failure if it came after Last; nil: none.
	Failed *Result
	// Next is when the next backup is due.
	Next time.Time
}

// NewSchedule returns the scheduled backups of db.
func NewSchedule(db *mongo.Database, opts ScheduleOptions) *Schedule {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	claims := db.Collection(ClaimsCollection)
	return &Schedule{db: db, opts: opts, claims: claim.New(claims), leases: claim.NewLeases(claims),
		results: db.Collection(ResultsCollection), lease: Lease, renewEvery: Lease / 4}
}

// Prepare creates the collections of the scheduled backups (a migration).
func Prepare(ctx context.Context, db *mongo.Database) error {
	for _, n := range []string{ResultsCollection, ClaimsCollection} {
		if err := database.EnsureCollection(ctx, db, n); err != nil {
			return err
		}
	}
	return nil
}

// On reports whether this node makes scheduled backups.
func (s *Schedule) On() bool { return s.opts.Dir != "" && s.opts.Every > 0 }

// period is the start of the period now is in.
func (s *Schedule) period(now time.Time) time.Time { return now.UTC().Truncate(s.opts.Every) }

// ErrBusy is returned by RunOnce when another node holds the lease: it is
// writing a backup (this period's or, running long, an earlier one's), or
// it crashed doing so and its lease has not run out yet.
var ErrBusy = errors.New("another node is writing a scheduled backup")

// RunOnce makes the backup of now's period if none is recorded yet and no
// node is writing one, and reports whether this node made it (whatever
// the outcome, which the result records). It holds the lease, renewed,
// while it writes; a backup it could not finish because its lease was
// taken over (claim.ErrLost) or ctx ended leaves no file and no result,
// and its period's backup is then made by the node that takes the lease.
func (s *Schedule) RunOnce(ctx context.Context, now time.Time) (Result, bool, error) {
	if !s.On() {
		return Result{}, false, nil
	}
	p := s.period(now)
	if done, err := s.recorded(ctx, p); err != nil || done {
		return Result{}, false, err
	}
	held, err := s.leases.Take(ctx, leaseName, now.UTC(), s.lease)
	if err != nil {
		return Result{}, false, err
	}
	if held == nil {
		return Result{}, false, ErrBusy
	}
	// The node that held the lease before may have recorded this period's
	// backup after the look above.
	if done, err := s.recorded(ctx, p); err != nil || done {
		return Result{}, false, errors.Join(err, held.Release(ctx))
	}
	// The periods' claims of earlier versions are no longer used; a
	// failure leaves a few bytes behind.
	_, _ = s.claims.Prune(ctx, "backup/", "backup0")
	renew := func(ctx context.Context) (bool, error) { return held.Renew(ctx, s.opts.Now().UTC(), s.lease) }
	work, stop := claim.Keep(ctx, s.renewEvery, renew, func(err error) {
		s.opts.Log.Warn("renew the scheduled backup's lease", "error", err)
	})
	r := Result{Period: p, Node: s.opts.Node, Started: now.UTC().Truncate(time.Millisecond)}
	began := time.Now()
	file, sum, err := s.write(work, now, func() error {
		// The last look before the file counts: a node that was stopped
		// (a paused machine) past its lease finds it taken over here.
		ok, err := renew(ctx)
		if err == nil && !ok {
			err = claim.ErrLost
		}
		return err
	})
	// A file written and renamed counts: the last look before the rename
	// found the lease held.
	cut := err != nil && (work.Err() != nil || errors.Is(err, claim.ErrLost))
	stop()
	if cut {
		// Taken over or shut down: the node that takes the lease makes
		// the period's backup; this one records nothing. The lease is
		// left to run out, as a crashed node's is.
		if claim.Lost(work) {
			err = errors.Join(err, claim.ErrLost)
		}
		return Result{}, true, fmt.Errorf("scheduled backup cut short: %w", errors.Join(err, ctx.Err()))
	}
	r.Finished = s.opts.Now().UTC().Truncate(time.Millisecond)
	r.Duration = time.Since(began).Milliseconds()
	r.File, r.Size, r.Documents = file, sum.Bytes, sum.Documents
	if err == nil {
		err = s.prune()
	}
	if err != nil {
		r.Error = errorText(err)
	}
	if _, rerr := s.results.InsertOne(ctx, r); rerr != nil {
		err = errors.Join(err, fmt.Errorf("record the backup's result: %w", rerr))
	}
	// Released after the result is recorded, so that the next holder
	// finds this period done.
	err = errors.Join(err, held.Release(ctx))
	s.forgetOld(ctx)
	s.mu.Lock()
	s.readAt = time.Time{}
	s.mu.Unlock()
	if err == nil {
		s.opts.Log.Info("scheduled backup written", "file", file, "bytes", r.Size, "documents", r.Documents, "took_ms", r.Duration)
	}
	return r, true, err
}

// recorded reports whether period p's backup has a result (written or
// failed), by _id.
func (s *Schedule) recorded(ctx context.Context, p time.Time) (bool, error) {
	err := s.results.FindOne(ctx, bson.D{{Key: "_id", Value: p}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the backup result of %s: %w", p.Format(time.RFC3339), err)
	}
	return true, nil
}

// errorText keeps an error's text short for the console.
func errorText(err error) string {
	t := err.Error()
	if len(t) > 300 {
		t = t[:300] + "…"
	}
	return t
}

// write writes the backup to a temporary file in Dir and, once it is
// complete and still returns nil, renames it; it returns the file's name.
// The caller holds the lease: the temporary files of other nodes, which
// died or lost the lease while writing, are deleted first.
func (s *Schedule) write(ctx context.Context, now time.Time, still func() error) (string, Summary, error) {
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return "", Summary{}, fmt.Errorf("backup folder: %w", err)
	}
	s.removeTemp()
	name := filePrefix + now.UTC().Format(fileTime) + fileSuffix
	final := filepath.Join(s.opts.Dir, name)
	tmp, err := os.OpenFile(final+tempSuffix, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", Summary{}, fmt.Errorf("backup file: %w", err)
	}
	var w io.Writer = tmp
	if s.writer != nil {
		w = s.writer(tmp)
	}
	sum, err := Write(ctx, s.db, w, s.opts.Recipients, now)
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = still()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", sum, err
	}
	if d, derr := os.Open(s.opts.Dir); derr == nil {
		_ = d.Sync() // the rename survives a crash
		d.Close()
	}
	return name, sum, nil
}

// removeTemp deletes the temporary files in Dir. Its caller holds the
// lease, so none of them is being written by a node that holds it: they
// are what a crashed node, or one that lost its lease, left. A file that
// cannot be deleted is left for the next run.
func (s *Schedule) removeTemp() {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, filePrefix) && strings.HasSuffix(n, fileSuffix+tempSuffix) {
			_ = os.Remove(filepath.Join(s.opts.Dir, n))
		}
	}
}

// prune deletes the oldest backups of Dir beyond Keep.
func (s *Schedule) prune() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, filePrefix) && strings.HasSuffix(n, fileSuffix) {
			files = append(files, n)
		}
	}
	slices.Sort(files)
	var errs []error
	for len(files) > s.opts.Keep {
		if err := os.Remove(filepath.Join(s.opts.Dir, files[0])); err != nil {
			errs = append(errs, fmt.Errorf("delete an old backup: %w", err))
		}
		files = files[1:]
	}
	return errors.Join(errs...)
}

// Files lists the backups in Dir, oldest first.
func (s *Schedule) Files() ([]string, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("backup folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, filePrefix) && strings.HasSuffix(n, fileSuffix) {
			files = append(files, n)
		}
	}
	slices.Sort(files)
	return files, nil
}

// forgetOld keeps the newest keepResults results; a failure is left for
// the next run.
func (s *Schedule) forgetOld(ctx context.Context) {
	all, err := s.all(ctx)
	if err != nil || len(all) <= keepResults {
		return
	}
	for _, r := range all[:len(all)-keepResults] {
		_, _ = s.results.DeleteOne(ctx, bson.D{{Key: "_id", Value: r.Period}})
	}
}

// all reads every result, oldest first. The collection stays small
// (keepResults).
func (s *Schedule) all(ctx context.Context) ([]Result, error) {
	cur, err := s.results.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read the backups' results: %w", err)
	}
	var out []Result
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read the backups' results: %w", err)
	}
	slices.SortFunc(out, func(a, b Result) int { return a.Period.Compare(b.Period) })
	return out, nil
}

// statusTTL is how long a status read is reused: /readyz is asked often.
const statusTTL = 10 * time.Second

// Status reports the scheduled backups, from the results every node
// recorded.
func (s *Schedule) Status(ctx context.Context) (Status, error) {
	s.mu.Lock()
	if !s.readAt.IsZero() && time.Since(s.readAt) < statusTTL {
		st := s.cached
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()
	all, err := s.all(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{On: s.On(), Every: s.opts.Every, Keep: s.opts.Keep}
	for i := range all {
		r := all[i]
		if r.OK() {
			st.Last, st.Failed = &r, nil
		} else {
			st.Failed = &r
		}
	}
	if st.On {
		st.Next = s.period(s.opts.Now())
		if n := len(all); n > 0 && !all[n-1].Period.Before(st.Next) {
			st.Next = st.Next.Add(s.opts.Every)
		}
	}
	s.mu.Lock()
	s.cached, s.readAt = st, time.Now()
	s.mu.Unlock()
	return st, nil
}

// Run makes the scheduled backups until ctx ends: at once if this period
// has none yet, then at the start of each period. Every node runs it; the
// lease gives each backup to one node at a time. While another node holds
// the lease (a backup longer than its period, or a crashed node's whose
// lease has not run out) it looks again every renewal interval, so the
// period's backup is written once the lease is free, if the period has
// not ended by then.
func (s *Schedule) Run(ctx context.Context) {
	if !s.On() {
		return
	}
	for {
		now := s.opts.Now()
		_, won, err := s.RunOnce(ctx, now)
		busy := errors.Is(err, ErrBusy)
		if err != nil && !busy && ctx.Err() == nil {
			s.opts.Log.Error("scheduled backup", "error", err)
		}
		wait := s.period(now).Add(s.opts.Every).Sub(s.opts.Now())
		if err != nil && (!won || errors.Is(err, claim.ErrLost)) {
			// Another node writes a backup, or the database did not
			// answer, or this node's backup was taken over: look again
			// soon, or the period would go without a backup.
			wait = min(wait, s.renewEvery)
		}
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
