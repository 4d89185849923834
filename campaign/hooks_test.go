package campaign

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Hooks for the benchmarks of package campaign_test.

// SetBatchMax sets how many signatures one batch holds at most; 1 stores
// them one by one.
func (s *Service) SetBatchMax(n int) { s.batch.max = n }

// SealForTest returns the document the store would insert for sig.
func (s *Store) SealForTest(sig *Signature) (any, error) { return s.seal(sig) }

// SignaturesForTest returns the signatures collection.
func (s *Store) SignaturesForTest() *mongo.Collection { return s.signatures }

// BeginCountForTest records sigs as a batch in flight in the campaign's
// counter document, as a batch does before its insert (commit.go).
func (s *Store) BeginCountForTest(ctx context.Context, campaignID, batch string, at time.Time, sigs []Signature) error {
	rec := inflightDoc{At: at}
	for _, sig := range sigs {
		rec.IDs = append(rec.IDs, sig.ID)
		rec.Signed = append(rec.Signed, sig.SignedAt.UTC().Truncate(time.Millisecond))
	}
	return s.beginCount(ctx, campaignID, batch, rec)
}
