package delivery

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Collections: the events, and one document {_id: "events", v: number}
// whose version every change of an event increments, so that the nodes
// learn when to read the public events again. Neither holds anything
// personal: signature IDs are not names.
const (
	eventsCollection   = "delivery_events"
	versionsCollection = "delivery_versions"
	versionID          = "events"
)

// Store keeps the delivery events in MongoDB.
type Store struct {
	events   *mongo.Collection
	versions *mongo.Collection
}

// NewStore returns the store of db.
func NewStore(db *mongo.Database) *Store {
	return &Store{events: db.Collection(eventsCollection), versions: db.Collection(versionsCollection)}
}

// EnsureIndexes creates the events' index by campaign (a plain ascending
// index, which the embedded database supports too) and the versions'
// collection; it is safe to call again.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	_, err := s.events.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "campaign_id", Value: 1}}})
	if err != nil {
		return fmt.Errorf("index %s: %w", eventsCollection, err)
	}
	return database.EnsureCollection(ctx, s.versions.Database(), versionsCollection)
}

func (s *Store) insert(ctx context.Context, e *Event) error {
	if _, err := s.events.InsertOne(ctx, e); err != nil {
		return fmt.Errorf("insert delivery event %s: %w", e.ID, err)
	}
	return nil
}

func (s *Store) replace(ctx context.Context, e *Event) error {
	res, err := s.events.ReplaceOne(ctx, bson.M{"_id": e.ID, "campaign_id": e.CampaignID}, e)
	if err != nil {
		return fmt.Errorf("replace delivery event %s: %w", e.ID, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("replace delivery event %s: %w", e.ID, ErrNotFound)
	}
	return nil
}

func (s *Store) delete(ctx context.Context, campaignID, id string) error {
	res, err := s.events.DeleteOne(ctx, bson.M{"_id": id, "campaign_id": campaignID})
	if err != nil {
		return fmt.Errorf("delete delivery event %s: %w", id, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete delivery event %s: %w", id, ErrNotFound)
	}
	return nil
}

// event returns the campaign's event with that ID, or ErrNotFound.
func (s *Store) event(ctx context.Context, campaignID, id string) (*Event, error) {
	var e Event
	err := s.events.FindOne(ctx, bson.M{"_id": id, "campaign_id": campaignID}).Decode(&e)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("delivery event %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("delivery event %s: %w", id, err)
	}
	return &e, nil
}

// find returns the events that match filter, in no particular order.
func (s *Store) find(ctx context.Context, filter bson.M) ([]Event, error) {
	cur, err := s.events.Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("find delivery events: %w", err)
	}
	var out []Event
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	return out, nil
}

// bump increments the events' version and returns the new one.
func (s *Store) bump(ctx context.Context) (int64, error) {
	var doc struct {
		V int64 `bson:"v"`
	}
	err := s.versions.FindOneAndUpdate(ctx, bson.M{"_id": versionID}, bson.M{"$inc": bson.M{"v": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, fmt.Errorf("note delivery change: %w", err)
	}
	return doc.V, nil
}

// version returns the events' version, 0 before the first change.
func (s *Store) version(ctx context.Context) (int64, error) {
	var doc struct {
		V int64 `bson:"v"`
	}
	err := s.versions.FindOne(ctx, bson.M{"_id": versionID}).Decode(&doc)
	if database.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read delivery version: %w", err)
	}
	return doc.V, nil
}

// pullSignature takes a signature out of the signature_ids of every event
// of the campaign.
func (s *Store) pullSignature(ctx context.Context, campaignID, sigID string) error {
	_, err := s.events.UpdateMany(ctx, bson.M{"campaign_id": campaignID, "signature_ids": sigID},
		bson.M{"$pull": bson.M{"signature_ids": sigID}})
	if err != nil {
		return fmt.Errorf("take an erased signature out of delivery events: %w", err)
	}
	return nil
}
