package campaign

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Hooks for the pending signatures' benchmarks of package campaign_test.

// InsertPendingForTest stores ps as pending signatures, in one unordered
// insert, and counts them.
func (s *Store) InsertPendingForTest(ctx context.Context, ps []Pending) error {
	docs := make([]any, len(ps))
	counts := map[[2]string]int{}
	for i := range ps {
		d, err := s.sealPending(&ps[i])
		if err != nil {
			return err
		}
		docs[i] = d
		counts[[2]string{d.CampaignID, d.Bucket}]++
	}
	if _, err := s.pending().InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
		return err
	}
	for k, n := range counts {
		_, err := s.pendingCounts().UpdateOne(ctx, bson.M{"_id": k[0] + "/" + k[1]},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: n}}}, {Key: "$setOnInsert", Value: bson.D{{Key: "campaign_id", Value: k[0]}, {Key: "slot", Value: k[1]}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil {
			return err
		}
	}
	return nil
}

// DeletePendingSlotForTest deletes what the cleanup deletes of the slot
// that holds slot.
func (s *Store) DeletePendingSlotForTest(ctx context.Context, slot, cutoff time.Time) (int64, error) {
	return s.deletePendingSlot(ctx, slot.Truncate(pendingSlotSize), cutoff)
}

// DeleteExpiredPendingForTest deletes by a filter on the time alone, as the
// first cleanup does.
func (s *Store) DeleteExpiredPendingForTest(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.deleteExpiredPending(ctx, cutoff)
}

// CountPendingDocumentsForTest counts the campaign's pending signatures
// themselves, by an index on campaign_id made for the comparison.
func (s *Store) CountPendingDocumentsForTest(ctx context.Context, campaignID string) (int64, error) {
	if _, err := s.pending().Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "campaign_id", Value: 1}}}); err != nil {
		return 0, err
	}
	return s.pending().CountDocuments(ctx, bson.M{"campaign_id": campaignID})
}
