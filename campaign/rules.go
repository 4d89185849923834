package campaign

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Rules are what moderating a campaign's greetings needs to know: the
// campaign's slug, for the audit log, and its recipient's language rules
// and censor list.
type Rules struct {
	CampaignID string
	Slug       string
	// Languages are the ISO 639-1 codes of the languages that reach the
	// recipient; empty when the recipient has no language rules.
	Languages []string
	// CensorWords are words or phrases that prison censors reject.
	CensorWords []string
}

// CampaignRules returns the rules of the campaign with that ID: two reads
// by _id. A campaign without a recipient (or whose recipient is gone) has
// no language rules and no censor words. An unknown campaign is
// ErrNotFound.
func (s *Store) CampaignRules(ctx context.Context, campaignID string) (Rules, error) {
	var c struct {
		Slug        string `bson:"slug"`
		RecipientID string `bson:"recipient_id"`
	}
	if err := s.campaigns.FindOne(ctx, bson.M{"_id": campaignID}).Decode(&c); err != nil {
		return Rules{}, fmt.Errorf("rules of campaign %s: %w", campaignID, mapError(err))
	}
	rules := Rules{CampaignID: campaignID, Slug: c.Slug}
	if c.RecipientID == "" {
		return rules, nil
	}
	r, err := s.Recipient(ctx, c.RecipientID)
	if errors.Is(err, ErrNotFound) {
		return rules, nil
	}
	if err != nil {
		return Rules{}, fmt.Errorf("rules of campaign %s: %w", campaignID, err)
	}
	rules.Languages, rules.CensorWords = r.Languages, r.CensorWords
	return rules, nil
}
