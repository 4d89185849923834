package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Step is one named step of what every start does after the migrations.
type Step struct {
	Name string
	Run  func(ctx context.Context) error
}

// Prepare readies the database and the memory before the first request:
// it applies the migrations the database has not had (Migrations), then
// runs Steps in order, and stops at the first that fails. Every step is
// safe to repeat, so a start that failed half way is started again.
func (a *App) Prepare(ctx context.Context) error {
	if err := a.Migrate(ctx); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return run(ctx, a.Steps())
}

// Reload runs the loading steps of Prepare again (LoadSteps), and the
// greetings' checks and lists that Run does in the background after each
// start (letters.Service.Repair) at once: for after something wrote to
// the stores behind the services' backs, as the demo seed does.
func (a *App) Reload(ctx context.Context) error {
	if err := run(ctx, a.LoadSteps()); err != nil {
		return err
	}
	if _, err := a.Moderation.Repair(ctx); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	return nil
}

// Steps lists what Prepare runs at every start after the migrations, in
// order: the key rotation's catch-up on the embedded database, the decoy
// collections, the greetings a crash left in the signing journal, then the
// loads (LoadSteps).
func (a *App) Steps() []Step {
	return append([]Step{
		{"seal values under rotated-out keys", a.sealRotated},
		{"decoy collections", a.ensureDecoys},
		{"greetings a crash cut short", a.repairGreetings},
	}, a.LoadSteps()...)
}

// ensureDecoys readies the decoy collections that repeat signatures write
// to (campaign/decoy.go), and empties what a stopped node left in them.
func (a *App) ensureDecoys(ctx context.Context) error {
	if err := a.Campaigns.EnsureDecoys(ctx); err != nil {
		return err
	}
	return a.Greetings.EnsureDecoys(ctx)
}

// LoadSteps read what the services answer from memory. None reads a
// collection that grows with signatures or greetings: the counts come from
// the counter documents, the public greetings from the few that each
// campaign's list names. What needs a read of every greeting (their
// checks, the moderation lists a crash may have cut short) Run does in the
// background.
func (a *App) LoadSteps() []Step {
	return []Step{
		{"signature counts", a.Signing.LoadCounts},
		{"public greetings", a.Moderation.LoadShown},
		{"organisation profile", a.Org.Load},
		{"public delivery events", a.Delivery.Load},
		{"published posts", a.loadPosts},
	}
}

// loadPosts loads the published posts; one that cannot be read is left
// out and logged, not a reason to refuse to start.
func (a *App) loadPosts(ctx context.Context) error {
	err := a.Posts.Load(ctx)
	if errors.Is(err, posts.ErrSkipped) {
		a.log.Warn("published posts left out", "error", err)
		return nil
	}
	return err
}

// repairGreetings copies into the greetings collection the greetings that
// signatures named in the signing journal hold, when a crash came between
// the two writes (campaign/commit.go). It reads the journal, not the
// signatures.
func (a *App) repairGreetings(ctx context.Context) error {
	return a.Signing.RepairGreetings(ctx, time.Time{})
}

// sealRotated seals anew, on the embedded database, the values under a
// data key that `solidarity keys rotate` replaced: it copies each
// collection that holds any (see sealStored), before requests, since this
// process is the database's only client. With a single data key nothing
// can be under another, and the collections are not read. Elsewhere Run's
// resealer does this in the background.
func (a *App) sealRotated(ctx context.Context) error {
	if !a.db.Embedded() || len(a.keys.Data.IDs()) < 2 {
		return nil
	}
	return a.sealStored(ctx)
}

// run runs steps in order.
func run(ctx context.Context, steps []Step) error {
	for _, s := range steps {
		if err := s.Run(ctx); err != nil {
			return fmt.Errorf("prepare: %s: %w", s.Name, err)
		}
	}
	return nil
}
