package campaign

import (
	"context"
	"fmt"
	"strings"

	"github.com/solidarity-letters/solidarity/internal/database"
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
	// Sealed like a signature, so that reading it costs what reading one
	// does (Store.signed).
	d, err := s.seal(decoySignature(CollideID))
	if err != nil {
		return err
	}
	if _, err := s.decoySignatures().ReplaceOne(ctx, bson.M{"_id": CollideID}, d, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store the signature decoy: %w", err)
	}
	if err := s.EnsurePendingDecoys(ctx); err != nil {
		return err
	}
	return s.ClearDecoys(ctx)
}

// decoyBatch does on the signature decoys the inserts a batch's outcomes
// did not do for real: one that collides for each signature stored, one
// that succeeds for each repeat (see decoy.go). The decoys are sealed like
// real signatures, so that the work is the same. Collisions are the point,
// not errors.
func (s *Store) decoyBatch(ctx context.Context, fresh, colliding int) error {
	docs := make([]any, 0, fresh+colliding)
	for i := range fresh + colliding {
		id := CollideID
		if i < fresh {
			id = DecoyID()
		}
		d, err := s.seal(decoySignature(id))
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	return database.InsertNew(ctx, s.decoySignatures(), docs)
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
