package claim

import (
	"context"
	"errors"
	"time"
)

// ErrLost is the cause (context.Cause) of the context Keep gives the work
// when a renewal found the job taken over by another worker: its lease ran
// out while this worker could not renew it, or another node's clock is far
// ahead of this one's.
var ErrLost = errors.New("job taken over by another worker")

// Renew extends the lease of a job this worker holds and reports whether
// it still held it; false means another worker has the job now.
type Renew func(ctx context.Context) (bool, error)

// Keep renews a job's lease every interval while its work runs, so that a
// long piece of work (a big bundle, a print run's archive, a slow SMTP
// server) is not taken over by another node while this one is alive. It
// returns the context to do the work in and a stop function to call when
// the work is done, which waits for the renewals to end.
//
// A renewal that finds the job taken over cancels the work's context with
// cause ErrLost, so the work stops instead of racing the new holder; a
// failed renewal is passed to failed (nil: ignored) and tried again at the
// next interval: if the lease runs out meanwhile, the next successful look
// finds the job lost.
func Keep(ctx context.Context, interval time.Duration, renew Renew, failed func(error)) (context.Context, func()) {
	work, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
			}
			held, err := renew(work)
			switch {
			case work.Err() != nil:
				return
			case err != nil:
				if failed != nil {
					failed(err)
				}
			case !held:
				cancel(ErrLost)
				return
			}
		}
	}()
	return work, func() {
		cancel(context.Canceled)
		<-done
	}
}

// Lost reports whether ctx, a context from Keep, ended because the job was
// taken over.
func Lost(ctx context.Context) bool { return errors.Is(context.Cause(ctx), ErrLost) }
