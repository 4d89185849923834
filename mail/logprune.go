package mail

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// The log of sent and given-up messages (mail_log) is kept LogKeep, by
// the day: its entries' times are rounded down to the day, so that they
// say little about when a supporter signed, and an entry goes once its
// day is LogKeep behind. Its _id is what makes a key "already sent", so a
// key enqueued again after that is sent again: the keys of the queue's
// users never come back that late (confirmations carry the time of the
// signing, updates' notices are numbered by the campaign's updates
// cursor, which never goes back).
const (
	// LogKeep is how long the log keeps how a message ended.
	LogKeep = 7 * 24 * time.Hour
	// LogPruneEvery is how often a node looks whether the day's pruning
	// is done; one node of all prunes each day.
	LogPruneEvery = time.Hour
	day           = 24 * time.Hour
)

// PruneLog, if no node has today (UTC), deletes the log entries of the
// messages that ended more than LogKeep ago. It reports whether this node
// pruned and how many entries it deleted.
func (q *Queue) PruneLog(ctx context.Context) (bool, int64, error) {
	today := q.opts.Now().UTC().Truncate(day)
	won, err := q.store.claimLogPrune(ctx, today)
	if err != nil || !won {
		return false, 0, err
	}
	n, err := q.store.pruneLog(ctx, today.Add(-LogKeep))
	return true, n, err
}

// RunLogPrune runs PruneLog now and every LogPruneEvery until ctx ends; a
// failure is logged and tried again the next time.
func (q *Queue) RunLogPrune(ctx context.Context) {
	t := time.NewTicker(LogPruneEvery)
	defer t.Stop()
	for {
		pruned, n, err := q.PruneLog(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			q.opts.Log.Warn("prune the mail log", "error", err)
		case pruned && n > 0:
			q.opts.Log.Info("pruned the mail log", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logPruneID is the _id of the claim of the log's pruning on a day; no
// message claim looks like it (those are hex hashes).
func logPruneID(day time.Time) string { return "prune-log:" + day.Format("2006-01-02") }

// claimLogPrune claims the log's pruning of day by inserting the day's
// claim, whose unique _id lets one node win on any database.
func (s *store) claimLogPrune(ctx context.Context, day time.Time) (bool, error) {
	id := logPruneID(day)
	_, err := s.claimsColl.InsertOne(ctx, bson.M{"_id": id})
	if database.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim the mail log's pruning: %w", err)
	}
	// Earlier days' claims are no longer needed; a failure leaves a few
	// bytes behind.
	_, _ = s.claimsColl.DeleteMany(ctx, bson.M{"_id": bson.M{"$lt": id, "$gte": "prune-log:"}})
	return true, nil
}

// pruneLog deletes the log entries of messages that ended before cutoff:
// a scan of the log on the embedded database, once a day.
func (s *store) pruneLog(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.log.DeleteMany(ctx, bson.M{"finished_at": bson.M{"$lt": cutoff}})
	if err != nil {
		return 0, fmt.Errorf("prune the mail log: %w", err)
	}
	return res.DeletedCount, nil
}

// logDay rounds a time of the log down to its day (UTC).
func logDay(t time.Time) time.Time { return t.UTC().Truncate(day) }
