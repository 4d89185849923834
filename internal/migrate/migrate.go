// Package migrate brings a database's data up to the shapes the code
// expects, one numbered migration at a time, at start-up.
//
// The database records the version it has reached in the "schema"
// collection. Run applies, in order, every migration of the list whose
// Version is above it, and advances the recorded version after each one,
// so a process stopped half way resumes at the migration it was in.
//
// The rules for whoever adds a migration:
//
//   - The list is append-only. A migration that has shipped is never
//     renumbered, reordered or removed (squashing old ones away leaves a
//     gap, which is allowed); a fix is a new migration with the next number.
//   - Every Up is idempotent: it may run again after a crash, partly done,
//     or over data that already has the new shape, and must leave the same
//     result. Write it as "make it so" (create the index if missing, rewrite
//     only documents in the old shape), never as "change what is there".
//   - Up uses no transactions and does not rely on TTL indexes: the
//     embedded database has neither.
//   - Up finishes in reasonable time or works in batches; Run keeps its lock
//     alive for as long as Up runs, but the other app nodes wait for it.
//
// Several app nodes may start at once: the one that claims the lock
// document runs the migrations and the others wait for it to finish, then
// find nothing left to do. A node that dies holding the lock stops renewing
// it; once its lease has run out, the next node takes the lock over and
// re-runs the migration the dead node was in. A database whose version is
// newer than the newest migration the code knows was migrated by a newer
// release: Run refuses it with ErrNewerDatabase rather than let old code
// write old shapes into it.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Collection is the collection that holds the version document and the
// lock document.
const Collection = "schema"

// The _id values of the two documents in Collection.
const (
	versionID = "version"
	lockID    = "lock"
)

// ErrNewerDatabase is returned when the database's version is above every
// migration the code knows: a newer release migrated it.
var ErrNewerDatabase = errors.New("the database was migrated by a newer version of solidarity")

// ErrInvalidList is returned for a list of migrations Run cannot apply.
var ErrInvalidList = errors.New("invalid list of migrations")

// Migration is one step from the version before it to Version.
type Migration struct {
	// Version numbers the migration; versions rise along the list and are
	// never reused or renumbered.
	Version int
	// Name says in a few words what it does, for the log and the schema
	// document.
	Name string
	// Up makes the change. It must be idempotent (see the package doc).
	Up func(ctx context.Context) error
}

// Options tune Run; the zero value is ready for production.
type Options struct {
	// Owner names this runner in the lock document; a random one by
	// default. Each process or goroutine that runs migrations needs its own.
	Owner string
	// Lease is how long the lock holds without renewal (default a minute);
	// it is renewed every third of it while migrations run.
	Lease time.Duration
	// Poll is how often a runner that waits for another one's lock looks
	// again (default a second).
	Poll time.Duration
	// Now is the clock that lock leases are measured with (default
	// time.Now). Every node must have roughly the same time.
	Now func() time.Time
	// Log receives a line per applied migration (default: discarded).
	Log *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Owner == "" {
		var err error
		if o.Owner, err = newOwner(); err != nil {
			return o, err
		}
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Run brings db up to the last migration of list: it takes the lock (waiting
// while another runner holds it), applies each migration above the
// database's version in order, records each as it finishes, and releases the
// lock. It returns at the first migration that fails, with the version left
// at the one before it; the next Run starts again there. It returns
// ErrNewerDatabase if the database is ahead of list, and the context's error
// if ctx ends while it waits.
func Run(ctx context.Context, db *mongo.Database, list []Migration, opts Options) error {
	if err := validate(list); err != nil {
		return err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	latest := 0
	if len(list) > 0 {
		latest = list[len(list)-1].Version
	}
	// Most starts find nothing to do: they need no lock for that.
	current, err := Version(ctx, db)
	if err != nil || current == latest {
		return err
	}
	if current > latest {
		return newer(current, latest)
	}
	l := &lock{coll: db.Collection(Collection), opts: opts}
	// Nodes that start together wait for the one that migrates, then
	// see the version current and go on without taking the lock.
	caughtUp := func(ctx context.Context) (bool, error) {
		v, err := Version(ctx, db)
		if err == nil && v > latest {
			err = newer(v, latest)
		}
		return v == latest, err
	}
	locked, err := l.acquire(ctx, caughtUp)
	if err != nil || !locked {
		return err
	}
	err = l.hold(ctx, func(ctx context.Context) error { return apply(ctx, db, list, latest, l.held, opts) })
	return errors.Join(err, l.release(context.WithoutCancel(ctx)))
}

// apply runs the pending migrations; the caller holds the lock, and held
// checks that it still does before each version is recorded.
func apply(ctx context.Context, db *mongo.Database, list []Migration, latest int, held func(context.Context) error, opts Options) error {
	// Read again under the lock: another runner may have finished.
	current, err := Version(ctx, db)
	if err != nil {
		return err
	}
	if current > latest {
		return newer(current, latest)
	}
	for _, m := range list {
		if m.Version <= current {
			continue
		}
		start := time.Now()
		if err := m.Up(ctx); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if err := held(ctx); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if err := record(ctx, db, current, m, opts.Now().UTC()); err != nil {
			return err
		}
		opts.Log.Info("migrated the database", "version", m.Version, "name", m.Name, "took", time.Since(start).Round(time.Millisecond))
		current = m.Version
	}
	return nil
}

// errMoved means another runner advanced the version under this one.
var errMoved = errors.New("the schema version moved meanwhile: another runner took the lock over")

func newer(current, latest int) error {
	return fmt.Errorf("%w: it is at schema version %d, this release knows up to %d; run a release at least as new", ErrNewerDatabase, current, latest)
}

// validate checks that versions are positive and rise along the list and
// that every migration has a name and a function.
func validate(list []Migration) error {
	prev := 0
	for i, m := range list {
		switch {
		case m.Version <= prev:
			return fmt.Errorf("%w: migration %d (%q) has version %d, not above %d", ErrInvalidList, i, m.Name, m.Version, prev)
		case m.Name == "":
			return fmt.Errorf("%w: migration %d has no name", ErrInvalidList, m.Version)
		case m.Up == nil:
			return fmt.Errorf("%w: migration %d (%s) has no Up", ErrInvalidList, m.Version, m.Name)
		}
		prev = m.Version
	}
	return nil
}
