package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/internal/refresh"
)

// Run runs the background loops until ctx ends, and returns once all of
// them have stopped, with their errors:
//   - the bundle worker builds the bundles queued from the console; a build
//     it had to stop is taken over after a restart;
//   - the print run worker builds drives' print runs, one recipient's
//     bundle at a time; a run it had to stop goes on, on this node or
//     another, from the first recipient it had not finished;
//   - the resealer seals anew what is under a rotated-out key, on one node
//     each period, under a lease renewed while the pass runs;
//   - the counts loop shares this node's counts with the other nodes and
//     reads theirs; it writes what it counted last when it stops;
//   - the counts loop also reads the campaigns and recipients that other
//     nodes changed;
//   - the public greetings loop reads the greetings other nodes approved
//     or erased;
//   - the greetings' repair, once at start, checks the greetings stored
//     unchecked and puts right the moderation lists and the public
//     greetings' lists where a change was cut short (letters.Service.Repair:
//     it reads every greeting, so it is not done before /readyz);
//   - the organisation loop reads profile saves made on other nodes;
//   - the delivery loop reads delivery events recorded on other nodes;
//   - the posts loop reads the posts other nodes changed;
//   - the spent token sweep removes expired spent form tokens, on one node
//     each time;
//   - the mail worker sends the queued messages to supporters, at the
//     configured rate; a message whose node died is taken over when its
//     lease runs out;
//   - the outbox pruning deletes, every hour, the messages the outbox
//     (used without an SMTP server, with the demo on or when asked for)
//     has kept for mail.OutboxKeep;
//   - the mail log pruning deletes, on one node each day, how messages
//     ended once that is mail.LogKeep old;
//   - the confirmation worker composes and queues the messages that ask
//     supporters to confirm their signature, which the signing left to
//     it; one whose node died is taken over when its lease runs out;
//   - the pending signature cleanup deletes the signatures left
//     unconfirmed for 72 hours, on one node each time;
//   - the updates loop tells the supporters who asked what happened to
//     their campaign's letter, each notice from one node;
//   - the retention loop trims the campaigns that are due, each hour's run
//     on one node and each campaign's pass under a lease renewed while it
//     trims;
//   - the scheduled backups, when this node has a backup folder: one
//     node a period writes the database's backup there, under a lease
//     renewed while it writes, taken over if its node dies;
//   - with metrics on, the queue depths loop counts the queues every
//     DepthInterval (metrics.go).
//
// Every loop that does work is safe with several nodes: docs/scaling.md
// says how each is claimed, renewed and taken over after a crash.
//
// A loop that fails early does not stop the others. Stop the web server
// before ctx ends, and close the database only after Run returned.
func (a *App) Run(ctx context.Context) error {
	loops := []struct {
		name string
		run  func(context.Context) error
	}{
		{"bundle worker", a.Bundles.Run},
		{"print run worker", a.PrintRuns.Work},
		{"resealer", a.Resealer.Run},
		{"counts", func(ctx context.Context) error {
			return a.Signing.Run(ctx, a.log.With("component", "counts"))
		}},
		{"public greetings", func(ctx context.Context) error {
			a.Moderation.RunShown(ctx, a.log.With("component", "greetings"))
			return nil
		}},
		{"greetings repair", func(ctx context.Context) error {
			a.Moderation.RunRepair(ctx, a.log.With("component", "greetings"))
			return nil
		}},
		{"posts", func(ctx context.Context) error {
			a.Posts.Run(ctx, a.log.With("component", "posts"))
			return nil
		}},
		{"organisation", func(ctx context.Context) error {
			a.Org.Run(ctx, a.log.With("component", "organisation"))
			return nil
		}},
		{"delivery events", func(ctx context.Context) error {
			a.Delivery.Run(ctx, a.log.With("component", "delivery"))
			return nil
		}},
		{"confirmation messages", func(ctx context.Context) error {
			a.Signing.RunConfirmations(ctx, a.log.With("component", "confirmations"))
			return nil
		}},
		{"pending signature cleanup", func(ctx context.Context) error {
			a.Signing.RunPendingSweep(ctx, a.log.With("component", "pending-signatures"))
			return nil
		}},
		{"spent token sweep", func(ctx context.Context) error {
			return a.Spent.Run(ctx, a.log.With("component", "spent-tokens"))
		}},
		{"mail worker", a.Mail.Run},
		{"outbox pruning", func(ctx context.Context) error {
			if a.outbox != nil {
				// The files' times are the system clock's, not the app's.
				prune := func(context.Context) error { _, err := a.outbox.Prune(time.Now()); return err }
				log := a.log.With("component", "outbox")
				if err := prune(ctx); err != nil {
					log.Warn("prune the outbox", "error", err)
				}
				refresh.Every(ctx, time.Hour, log, "prune the outbox", prune)
			}
			return nil
		}},
		{"mail log pruning", func(ctx context.Context) error {
			a.Mail.RunLogPrune(ctx)
			return nil
		}},
		{"updates", a.Updates.Run},
		{"scheduled backups", func(ctx context.Context) error {
			a.Backups.Run(ctx)
			return nil
		}},
		{"retention", func(ctx context.Context) error {
			a.Retention.Run(ctx, a.log.With("component", "retention"), a.recordRetention)
			return nil
		}},
		{"queue depths", func(ctx context.Context) error {
			if a.metrics != nil {
				a.countQueues(ctx)
			}
			return nil
		}},
	}
	errs := make([]error, len(loops))
	var wg sync.WaitGroup
	for i, l := range loops {
		wg.Go(func() {
			if err := l.run(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: %w", l.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
