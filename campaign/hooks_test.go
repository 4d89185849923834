package campaign

import "go.mongodb.org/mongo-driver/v2/mongo"

// Hooks for the benchmarks of package campaign_test.

// SetBatchMax sets how many signatures one batch holds at most; 1 stores
// them one by one.
func (s *Service) SetBatchMax(n int) { s.batch.max = n }

// SealForTest returns the document the store would insert for sig.
func (s *Store) SealForTest(sig *Signature) (any, error) { return s.seal(sig) }

// SignaturesForTest returns the signatures collection.
func (s *Store) SignaturesForTest() *mongo.Collection { return s.signatures }
