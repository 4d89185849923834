package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// The cleanup of pending signatures (pending.go). The embedded database
// has no TTL index, and there any filter but an equality on _id or on a
// string that leads an index scans the whole collection. So each pending
// signature carries the slot of its creation (pendingSlot, ten minutes
// wide), indexed, and the cleanup deletes slot by slot, each an index
// search that reads that slot's documents only; a cursor remembers the
// first slot not yet deleted whole. The slot that holds the cut-off is
// deleted up to it, by a filter on the time applied to that slot's
// documents, so a pending signature goes as it turns PendingKeep old
// (give or take PendingSweepEvery). Only the first cleanup, which has no
// cursor, or one far behind, deletes by a scan.
//
// One node of all cleans in each period of PendingSweepEvery: it claims
// the period by inserting the period's document, whose unique _id lets
// one insert succeed on any database (see bundle/store_claims.go: the
// embedded database runs findAndModify as a read and a write).

// SweepPending, if no node has in this period of PendingSweepEvery,
// deletes the pending signatures PendingKeep old or older. It reports
// whether this node swept and how many it deleted.
func (s *Service) SweepPending(ctx context.Context) (bool, int64, error) {
	now := s.now().UTC()
	won, err := s.store.claimPendingSweep(ctx, now.Unix()/int64(PendingSweepEvery/time.Second))
	if err != nil || !won {
		return false, 0, err
	}
	cutoff := now.Add(-PendingKeep)
	// The slot that holds the cut-off is expired in part; those before it
	// whole.
	last := cutoff.Truncate(pendingSlotSize)
	next, err := s.store.sweepCursor(ctx)
	if err != nil {
		return true, 0, err
	}
	var deleted int64
	if next.IsZero() || last.Sub(next) > pendingFullSweep {
		if deleted, err = s.store.deleteExpiredPending(ctx, cutoff); err != nil {
			return true, 0, err
		}
		if err := s.store.dropPendingCountsBefore(ctx, last); err != nil {
			return true, deleted, err
		}
	} else {
		for slot := next; !slot.After(last); slot = slot.Add(pendingSlotSize) {
			n, err := s.store.deletePendingSlot(ctx, slot, cutoff)
			deleted += n
			if err == nil && slot.Before(last) {
				err = s.store.dropPendingCounts(ctx, slot)
			}
			if err != nil {
				return true, deleted, fmt.Errorf("sweep pending signatures: %w", err)
			}
		}
	}
	return true, deleted, s.store.setSweepCursor(ctx, last)
}

// RunPendingSweep runs SweepPending now and every PendingSweepEvery until
// ctx ends; a failure is logged and tried again the next time.
func (s *Service) RunPendingSweep(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(PendingSweepEvery)
	defer t.Stop()
	for {
		start := time.Now()
		swept, n, err := s.SweepPending(ctx)
		if ctx.Err() == nil {
			s.observeJob("pending_cleanup", start, err)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("delete expired pending signatures", "error", err)
		case swept && n > 0:
			log.Info("deleted expired pending signatures", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
