package campaign

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PendingDepth is how much of the pending signatures' work waits, for the
// metrics.
type PendingDepth struct {
	// Awaiting are the pending signatures whose supporters may still
	// confirm; Expired those the cleanup is to delete (counted by slot of
	// ten minutes, as the console counts them).
	Awaiting, Expired int64
	// Confirmations are the confirmation messages still to be composed
	// and queued.
	Confirmations int64
}

// PendingDepth counts the pending signatures from their counts by slot (a
// few documents per campaign) and the confirmation messages due, which
// the index on send finds. Call it now and then, not per request.
func (s *Service) PendingDepth(ctx context.Context) (PendingDepth, error) {
	var d PendingDepth
	cur, err := s.store.pendingCounts().Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"slot": 1, "n": 1}))
	if err != nil {
		return d, fmt.Errorf("count pending signatures: %w", err)
	}
	var docs []struct {
		Slot string `bson:"slot"`
		N    int64  `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return d, fmt.Errorf("count pending signatures: %w", err)
	}
	first := pendingSlot(s.now().Add(-PendingKeep))
	for _, doc := range docs {
		if doc.Slot >= first {
			d.Awaiting += doc.N
		} else {
			d.Expired += doc.N
		}
	}
	d.Awaiting, d.Expired = max(d.Awaiting, 0), max(d.Expired, 0)
	n, err := s.store.pending().CountDocuments(ctx, bson.D{{Key: "send", Value: sendDue}})
	if err != nil {
		return d, fmt.Errorf("count due confirmation messages: %w", err)
	}
	d.Confirmations = n
	return d, nil
}
