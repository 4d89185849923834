package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names.
const (
	campaignsCollection  = "campaigns"
	recipientsCollection = "recipients"
	signaturesCollection = "signatures"
)

// Store keeps campaigns, recipients and signatures in MongoDB.
//
// On the embedded database only reads by _id are fast, so the request path
// reads signatures by _id alone; campaign and recipient collections are
// small enough to scan.
type Store struct {
	campaigns  *mongo.Collection
	recipients *mongo.Collection
	signatures *mongo.Collection
	// keys seal the personal fields of what the store writes.
	keys *seal.Keyring
	// counterMu guards writes to the counter documents (SetCounterLock).
	counterMu sync.Locker
	// onlyClient says this process is the database's only client
	// (SetCounterLock).
	onlyClient bool
}

// NewStore returns a store over db's collections that seals personal
// fields with keys.
func NewStore(db *mongo.Database, keys *seal.Keyring) *Store {
	return &Store{
		keys:       keys,
		counterMu:  &sync.Mutex{},
		campaigns:  db.Collection(campaignsCollection),
		recipients: db.Collection(recipientsCollection),
		signatures: db.Collection(signaturesCollection),
	}
}

// EnsureIndexes creates the store's indexes; it is safe to call again. A
// new index comes with a new migration (app/migrations.go).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.campaigns.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "slug", Value: 1}},
		Options: options.Index().SetName("slug_unique").SetUnique(true),
	}); err != nil {
		return fmt.Errorf("create campaign slug index: %w", err)
	}
	if _, err := s.signatures.Indexes().CreateOne(ctx, mongo.IndexModel{
		// The console pages by (signed_at, _id) within a campaign.
		Keys:    bson.D{{Key: "campaign_id", Value: 1}, {Key: "signed_at", Value: 1}, {Key: "_id", Value: 1}},
		Options: options.Index().SetName("campaign_signed_at_id"),
	}); err != nil {
		return fmt.Errorf("create signature index: %w", err)
	}
	return nil
}

// CreateCampaign stores a new campaign after validating it. A taken slug or
// ID is ErrDuplicate.
func (s *Store) CreateCampaign(ctx context.Context, c *Campaign) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid campaign: %w", err)
	}
	if _, err := s.campaigns.InsertOne(ctx, c); err != nil {
		return fmt.Errorf("create campaign %s: %w", c.Slug, mapError(err))
	}
	return nil
}

// CampaignBySlug returns the campaign with that slug, or ErrNotFound.
func (s *Store) CampaignBySlug(ctx context.Context, slug string) (*Campaign, error) {
	var c Campaign
	if err := s.campaigns.FindOne(ctx, bson.M{"slug": slug}).Decode(&c); err != nil {
		return nil, fmt.Errorf("find campaign %q: %w", slug, mapError(err))
	}
	return &c, nil
}

// Campaigns returns every campaign, in no particular order.
func (s *Store) Campaigns(ctx context.Context) ([]Campaign, error) {
	cur, err := s.campaigns.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	var out []Campaign
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// HasCampaigns reports whether any campaign is stored.
func (s *Store) HasCampaigns(ctx context.Context) (bool, error) {
	err := s.campaigns.FindOne(ctx, bson.M{}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for campaigns: %w", err)
	}
	return true, nil
}

// Campaign returns the campaign with that ID, or ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (*Campaign, error) {
	var c Campaign
	if err := s.campaigns.FindOne(ctx, bson.M{"_id": id}).Decode(&c); err != nil {
		return nil, fmt.Errorf("find campaign %s: %w", id, mapError(err))
	}
	return &c, nil
}

// CampaignByOldSlug returns the campaign that had slug before, or
// ErrNotFound.
func (s *Store) CampaignByOldSlug(ctx context.Context, slug string) (*Campaign, error) {
	var c Campaign
	if err := s.campaigns.FindOne(ctx, bson.M{"old_slugs": slug}).Decode(&c); err != nil {
		return nil, fmt.Errorf("find campaign by old slug %q: %w", slug, mapError(err))
	}
	return &c, nil
}

// ReplaceCampaign stores c over the campaign with its ID after validating
// it. An unknown ID is ErrNotFound, a slug taken by another campaign
// ErrDuplicate.
//
// It replaces only the version last updated at prev: one changed since is
// ErrConflict.
func (s *Store) ReplaceCampaign(ctx context.Context, c *Campaign, prev time.Time) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid campaign: %w", err)
	}
	res, err := s.campaigns.ReplaceOne(ctx, bson.M{"_id": c.ID, "updated_at": prev}, c)
	if err != nil {
		return fmt.Errorf("replace campaign %s: %w", c.Slug, mapError(err))
	}
	if res.MatchedCount == 0 {
		if _, err := s.Campaign(ctx, c.ID); err != nil {
			return fmt.Errorf("replace campaign %s: %w", c.ID, err)
		}
		return fmt.Errorf("replace campaign %s: %w", c.Slug, ErrConflict)
	}
	return nil
}

// newID returns a new record ID: time-ordered and unique.
func newID() string { return bson.NewObjectID().Hex() }

func mapError(err error) error {
	switch {
	case database.IsNotFound(err):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case database.IsDuplicate(err):
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	return err
}

// StateLanguages writes "en" into the language of every campaign stored
// before campaigns said which language they are written in (for which an
// empty language meant English), so that each names the language its
// translations translate from. Running it again changes nothing.
func (s *Store) StateLanguages(ctx context.Context) error {
	filter := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "language", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "language", Value: ""}},
	}}}
	if _, err := s.campaigns.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "language", Value: "en"}}}}); err != nil {
		return fmt.Errorf("state campaign languages: %w", err)
	}
	return nil
}
