package app

import (
	"context"
	"fmt"
)

// Step is one named step of the start-up preparation.
type Step struct {
	Name string
	Run  func(ctx context.Context) error
}

// Prepare readies the database and the memory before the first request:
// it runs Steps in order and stops at the first that fails. Every step is
// safe to repeat, so a start that failed half way is started again.
func (a *App) Prepare(ctx context.Context) error {
	return run(ctx, a.Steps())
}

// Reload runs the loading steps of Prepare again (LoadSteps): for after
// something wrote to the stores behind the services' backs, as the demo
// seed does.
func (a *App) Reload(ctx context.Context) error {
	return run(ctx, a.LoadSteps())
}

// Steps lists what Prepare runs, in order: first the steps that bring the
// stored data to the shape this version reads (SchemaSteps), then those
// that read it into memory (LoadSteps).
func (a *App) Steps() []Step {
	return append(a.SchemaSteps(), a.LoadSteps()...)
}

// SchemaSteps bring the stored data to the shape this version reads. They
// are to become the first versioned schema migrations; until then each
// runs at every start and does nothing when there is nothing to do.
func (a *App) SchemaSteps() []Step {
	return []Step{
		// Values stored plain by an older version are sealed before
		// anything else touches the collections (a copy the migration was
		// renaming must not meet a collection made anew by an index or the
		// demo) and before the first request.
		{"seal stored values", a.migrateSealed},
		{"campaign indexes", a.Campaigns.EnsureIndexes},
		{"greeting indexes", a.Greetings.EnsureIndexes},
		{"name queue indexes", a.Greetings.Names().EnsureIndexes},
		{"account indexes", a.Users.EnsureIndexes},
		{"partner indexes", a.Partners.EnsureIndexes},
	}
}

// LoadSteps read what the services answer from memory, and repair what
// they keep beside the data. They run at every start, after SchemaSteps.
func (a *App) LoadSteps() []Step {
	return []Step{
		{"signature counts", a.Signing.LoadCounts},
		{"greeting checks and lists", a.prepareGreetings},
		{"organisation profile", a.Org.Load},
	}
}

// migrateSealed seals what an older version stored plain. On the embedded
// database, whose only client is this process, it copies each collection
// and so seals anew the values under a rotated-out key too; elsewhere Run's
// resealer does that in the background.
func (a *App) migrateSealed(ctx context.Context) error {
	n, err := a.Resealer.Migrate(ctx, a.db.Embedded())
	if err != nil || n == 0 {
		return err
	}
	// The plain values it replaced may linger in the write-ahead log.
	return a.db.Scrub(ctx)
}

// prepareGreetings computes the flags of unchecked greetings and rebuilds
// the console's lists.
func (a *App) prepareGreetings(ctx context.Context) error {
	_, err := a.Moderation.Prepare(ctx)
	return err
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
