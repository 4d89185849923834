package campaign

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Hooks for the benchmarks of package campaign_test.

// SetBatchMax sets how many signatures one batch holds at most; 1 stores
// them one by one.
func (s *Service) SetBatchMax(n int) { s.batch = newBatcher(s.commit, n, nil) }

// SealForTest returns the document the store would insert for sig.
func (s *Store) SealForTest(sig *Signature) (any, error) { return s.seal(sig) }

// SignaturesForTest returns the signatures collection.
func (s *Store) SignaturesForTest() *mongo.Collection { return s.signatures }

// StartCountForTest counts sigs in advance as a batch in flight named
// batch, as a batch does before its insert (batch_count.go).
func (s *Store) StartCountForTest(ctx context.Context, campaignID, batch string, at time.Time, sigs []Signature) error {
	rec := inflightDoc{At: at}
	m := minutes{}
	for _, sig := range sigs {
		rec.IDs = append(rec.IDs, sig.ID)
		rec.Signed = append(rec.Signed, sig.SignedAt.UTC().Truncate(time.Millisecond))
		m.add(minuteOf(sig.SignedAt), sig.Person.Country, 1)
	}
	rec.Expected = m.buckets()
	return s.withCounterLock(ctx, func(ctx context.Context) error {
		_, err := s.startCount(ctx, campaignID, batch, rec, m, "", nil)
		return err
	})
}

// ReadCountersForTest reads the counter documents under the counter lock,
// as Refresh does.
func (s *Store) ReadCountersForTest(ctx context.Context) error {
	return s.readCounters(ctx, func([]counterDoc) {})
}

// SetRetentionHooksForTest makes the retention job renew its campaigns'
// leases every renewEvery and call trimmed after each signature it trims.
func (r *Retention) SetRetentionHooksForTest(renewEvery time.Duration, trimmed func(ctx context.Context)) {
	r.renewEvery, r.trimmed = renewEvery, trimmed
}
