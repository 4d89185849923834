package campaign

import (
	"context"
	"errors"
	"fmt"

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
}

// NewStore returns a store over db's collections that seals personal
// fields with keys.
func NewStore(db *mongo.Database, keys *seal.Keyring) *Store {
	return &Store{
		keys:       keys,
		campaigns:  db.Collection(campaignsCollection),
		recipients: db.Collection(recipientsCollection),
		signatures: db.Collection(signaturesCollection),
	}
}

// EnsureIndexes creates the store's indexes and its decoys (decoy.go); it
// is safe to call at every start-up.
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
	return s.ensureDecoys(ctx)
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

// CreateRecipient stores a new recipient.
func (s *Store) CreateRecipient(ctx context.Context, r *Recipient) error {
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

// InsertSignature stores a signature; one whose ID is already stored is
// ErrDuplicate, which is how a repeat signature is detected without a query.
func (s *Store) InsertSignature(ctx context.Context, sig *Signature) error {
	d, err := s.seal(sig)
	if err != nil {
		return err
	}
	if _, err := s.signatures.InsertOne(ctx, d); err != nil {
		return fmt.Errorf("insert signature: %w", mapError(err))
	}
	return nil
}

// InsertSignatures stores many signatures in one unordered batch; IDs
// already stored are skipped. It returns how many were stored.
func (s *Store) InsertSignatures(ctx context.Context, sigs []Signature) (int, error) {
	if len(sigs) == 0 {
		return 0, nil
	}
	docs := make([]any, len(sigs))
	for i := range sigs {
		d, err := s.seal(&sigs[i])
		if err != nil {
			return 0, err
		}
		docs[i] = d
	}
	res, err := s.signatures.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	n := 0
	if res != nil {
		n = len(res.InsertedIDs)
	}
	var bulk mongo.BulkWriteException
	if errors.As(err, &bulk) && bulk.WriteConcernError == nil {
		for _, we := range bulk.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) {
				return n, fmt.Errorf("insert signatures: %w", err)
			}
		}
		return len(sigs) - len(bulk.WriteErrors), nil
	}
	if err != nil {
		return n, fmt.Errorf("insert signatures: %w", err)
	}
	return n, nil
}

// Signature returns the signature with that ID, or ErrNotFound.
func (s *Store) Signature(ctx context.Context, id string) (*Signature, error) {
	sig, err := s.decodeSignature(s.signatures.FindOne(ctx, bson.M{"_id": id}))
	if err != nil {
		return nil, fmt.Errorf("find signature: %w", mapError(err))
	}
	return &sig, nil
}

func mapError(err error) error {
	switch {
	case database.IsNotFound(err):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case database.IsDuplicate(err):
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	return err
}

// EachSignature calls fn with every signature of a campaign, in the order
// they are stored (no sort: on the embedded database a sort would hold the
// whole collection in memory). It stops at fn's first error.
func (s *Store) EachSignature(ctx context.Context, campaignID string, fn func(*Signature) error) error {
	cur, err := s.signatures.Find(ctx, bson.M{"campaign_id": campaignID}, options.Find().SetBatchSize(500))
	if err != nil {
		return fmt.Errorf("read signatures of %s: %w", campaignID, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		sig, err := s.decodeSignature(cur)
		if err != nil {
			return fmt.Errorf("read signatures of %s: %w", campaignID, err)
		}
		if err := fn(&sig); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read signatures of %s: %w", campaignID, err)
	}
	return nil
}
