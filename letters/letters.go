// Package letters holds the words that travel with a campaign: the short
// greetings supporters add to their signature, which moderators approve
// before anything is printed or shown, and later the letters that come back
// from the recipient.
package letters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotFound is returned for a greeting that is not stored.
var ErrNotFound = errors.New("not found")

// Status is where a greeting stands in moderation.
type Status string

// The moderation statuses. Only approved greetings are ever printed or
// shown publicly.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
)

// Greeting is a supporter's short message to the recipient.
type Greeting struct {
	// ID is the ID of the signature it came with: one greeting per
	// signature, erased with it.
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	Text       string    `bson:"text"`
	Status     Status    `bson:"status"`
	CreatedAt  time.Time `bson:"created_at"`
}

// Store keeps greetings in MongoDB.
type Store struct {
	greetings *mongo.Collection
}

// NewStore returns a store over db's collections.
func NewStore(db *mongo.Database) *Store {
	return &Store{greetings: db.Collection("greetings")}
}

// EnsureIndexes creates the store's indexes; it is safe to call at every
// start-up.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.greetings.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "campaign_id", Value: 1}, {Key: "status", Value: 1}, {Key: "created_at", Value: 1}},
		Options: options.Index().SetName("campaign_status_created"),
	}); err != nil {
		return fmt.Errorf("create greeting index: %w", err)
	}
	return nil
}

// RecordGreeting stores a new greeting, pending moderation. Recording the
// same signature's greeting twice keeps the first.
func (s *Store) RecordGreeting(ctx context.Context, campaignID, signatureID, text string, at time.Time) error {
	g := Greeting{ID: signatureID, CampaignID: campaignID, Text: text, Status: StatusPending, CreatedAt: at.UTC()}
	_, err := s.greetings.InsertOne(ctx, g)
	if database.IsDuplicate(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record greeting: %w", err)
	}
	return nil
}

// Insert stores greetings made elsewhere (demo data, later imports) with
// the status they carry.
func (s *Store) Insert(ctx context.Context, gs []Greeting) error {
	if len(gs) == 0 {
		return nil
	}
	if _, err := s.greetings.InsertMany(ctx, gs, options.InsertMany().SetOrdered(false)); err != nil {
		return fmt.Errorf("insert greetings: %w", err)
	}
	return nil
}

// Greeting returns the greeting of a signature, or ErrNotFound.
func (s *Store) Greeting(ctx context.Context, signatureID string) (*Greeting, error) {
	var g Greeting
	err := s.greetings.FindOne(ctx, bson.M{"_id": signatureID}).Decode(&g)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("find greeting: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find greeting: %w", err)
	}
	return &g, nil
}

// CountByStatus counts the greetings of every campaign by moderation
// status, in one pass.
func (s *Store) CountByStatus(ctx context.Context) (map[string]map[Status]int64, error) {
	cur, err := s.greetings.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "c", Value: "$campaign_id"}, {Key: "s", Value: "$status"}}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("count greetings: %w", err)
	}
	var rows []struct {
		ID struct {
			C string `bson:"c"`
			S Status `bson:"s"`
		} `bson:"_id"`
		N int64 `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count greetings: %w", err)
	}
	out := map[string]map[Status]int64{}
	for _, r := range rows {
		if out[r.ID.C] == nil {
			out[r.ID.C] = map[Status]int64{}
		}
		out[r.ID.C][r.ID.S] = r.N
	}
	return out, nil
}
