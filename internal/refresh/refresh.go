// Package refresh runs the loops that keep what a node holds in memory in
// step with what other nodes change: the campaigns' public greetings, the
// posts, the delivery events, the organisation profile.
package refresh

import (
	"context"
	"log/slog"
	"time"
)

// Every calls fn every interval until ctx ends. An error is logged as a
// warning under what, and fn is called again at the next tick. It returns
// when ctx ends.
func Every(ctx context.Context, interval time.Duration, log *slog.Logger, what string, fn func(context.Context) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.Warn(what, "error", err)
			}
		}
	}
}
