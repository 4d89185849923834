package campaign

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CreateRecipient stores a new recipient; one without a slug gets one
// made from their name.
func (s *Store) CreateRecipient(ctx context.Context, r *Recipient) error {
	if r.Slug == "" {
		all, err := s.Recipients(ctx)
		if err != nil {
			return fmt.Errorf("create recipient %s: %w", r.ID, err)
		}
		r.Slug = freeRecipientSlug(all, r.ID, r.Name)
	}
	if _, err := s.recipients.InsertOne(ctx, r); err != nil {
		return fmt.Errorf("create recipient %s: %w", r.ID, mapError(err))
	}
	return nil
}

// Recipient returns the recipient with that ID, or ErrNotFound.
func (s *Store) Recipient(ctx context.Context, id string) (*Recipient, error) {
	var r Recipient
	if err := s.recipients.FindOne(ctx, bson.M{"_id": id}).Decode(&r); err != nil {
		return nil, fmt.Errorf("find recipient %s: %w", id, mapError(err))
	}
	return &r, nil
}

// Recipients returns every recipient, in no particular order.
func (s *Store) Recipients(ctx context.Context) ([]Recipient, error) {
	cur, err := s.recipients.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("list recipients: %w", err)
	}
	var out []Recipient
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list recipients: %w", err)
	}
	return out, nil
}

// ReplaceRecipient stores r over the recipient with its ID; an unknown ID
// is ErrNotFound.
func (s *Store) ReplaceRecipient(ctx context.Context, r *Recipient) error {
	res, err := s.recipients.ReplaceOne(ctx, bson.M{"_id": r.ID}, r)
	if err != nil {
		return fmt.Errorf("replace recipient %s: %w", r.ID, mapError(err))
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("replace recipient %s: %w", r.ID, ErrNotFound)
	}
	return nil
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

// EnsureRecipientSlugs gives every stored recipient without a slug one made
// from their name, unique among recipients, and then creates the unique
// index on slugs; it is safe to call again. Recipients are few: it reads
// them all.
func (s *Store) EnsureRecipientSlugs(ctx context.Context) error {
	all, err := s.Recipients(ctx)
	if err != nil {
		return err
	}
	for i := range all {
		r := &all[i]
		if r.Slug != "" {
			continue
		}
		r.Slug = freeRecipientSlug(all, r.ID, r.Name)
		if _, err := s.recipients.UpdateOne(ctx, bson.M{"_id": r.ID}, bson.M{"$set": bson.M{"slug": r.Slug}}); err != nil {
			return fmt.Errorf("give recipient %s a slug: %w", r.ID, err)
		}
	}
	if _, err := s.recipients.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "slug", Value: 1}},
		Options: options.Index().SetName("slug_unique").SetUnique(true),
	}); err != nil {
		return fmt.Errorf("create recipient slug index: %w", err)
	}
	return nil
}
