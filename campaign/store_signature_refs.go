package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// EachSignatureRef calls fn with the ID and signing time of every
// signature of a campaign that is not invalidated, as EachSignature would
// find them but without opening a name: the projection of what orders a
// bundle's rows. It stops at fn's first error.
func (s *Store) EachSignatureRef(ctx context.Context, campaignID string, fn func(id string, signedAt time.Time) error) error {
	rules, err := s.invalidations(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("read signature IDs of %s: %w", campaignID, err)
	}
	err = s.scanPlain(ctx, bson.D{{Key: "campaign_id", Value: campaignID}}, groupFields, func(sig *plainSignature) error {
		if rules.invalid(sig.group(), never) {
			return nil
		}
		return fn(sig.ID, sig.SignedAt)
	})
	if err != nil {
		return fmt.Errorf("read signature IDs of %s: %w", campaignID, err)
	}
	return nil
}
