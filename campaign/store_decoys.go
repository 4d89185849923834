package campaign

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The decoy collections that give a repeated signature the database work
// of a new one (decoy.go).

func (s *Store) decoySignatures() *mongo.Collection {
	return s.signatures.Database().Collection(DecoyPrefix + signaturesCollection)
}

// EnsureDecoys gives the signature decoy collection the signatures'
// index and the document to collide with, and clears what a stopped node
// left. It runs at every start (app.Prepare): a decoy collection lost, say
// left out of a backup, is made again.
func (s *Store) EnsureDecoys(ctx context.Context) error {
	if _, err := s.decoySignatures().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "campaign_id", Value: 1}, {Key: "signed_at", Value: 1}, {Key: "_id", Value: 1}},
		Options: options.Index().SetName("campaign_signed_at_id"),
	}); err != nil {
		return fmt.Errorf("create decoy index: %w", err)
	}
	if _, err := s.decoySignatures().ReplaceOne(ctx, bson.M{"_id": CollideID}, decoySignature(CollideID), options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store the signature decoy: %w", err)
	}
	return s.ClearDecoys(ctx)
}

// WriteDecoy inserts a signature decoy: the work of a signature's insert,
// for a repeat whose insert collided.
func (s *Store) WriteDecoy(ctx context.Context) error {
	return s.insertDecoy(ctx, DecoyID())
}

// insertDecoy stores a decoy signature sealed like a real one, so that the
// work is the same.
func (s *Store) insertDecoy(ctx context.Context, id string) error {
	d, err := s.seal(decoySignature(id))
	if err != nil {
		return err
	}
	_, err = s.decoySignatures().InsertOne(ctx, d)
	return err
}

// CollideDecoy tries to insert the decoy that is stored already: the work
// of a repeat's colliding insert, for a new signature.
func (s *Store) CollideDecoy(ctx context.Context) error {
	err := s.insertDecoy(ctx, CollideID)
	if err != nil && mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return err
}

// ClearDecoys deletes the documents of every decoy collection but the one
// to collide with.
func (s *Store) ClearDecoys(ctx context.Context) error {
	db := s.signatures.Database()
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("clear decoys: %w", err)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, DecoyPrefix) {
			continue
		}
		if _, err := db.Collection(name).DeleteMany(ctx, bson.M{"_id": bson.M{"$ne": CollideID}}); err != nil {
			return fmt.Errorf("clear decoys: %w", err)
		}
	}
	return nil
}
