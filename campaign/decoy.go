package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A repeated signature stores nothing, but if it also did less work than
// a new one, its answer would come sooner and tell that the address had
// signed. So Service.Sign gives both the same database work: the same
// operations, of the same kinds and sizes, on collections with the same
// indexes. Where a new signature's insert succeeds, a repeat's collides;
// so a new signature also tries an insert that collides (CollideDecoy),
// and a repeat also does an insert that succeeds (WriteDecoy), into a
// decoy collection. Likewise for the greeting (letters.RehearseGreeting).
//
// Decoy collections are named DecoyPrefix + the collection they stand in
// for, and hold filler only: random IDs and letters, no times, nothing
// about who signed or when. Service.Run empties them within seconds
// (ClearDecoys).

// DecoyPrefix begins the name of every decoy collection.
const DecoyPrefix = "decoy_"

// CollideID is the _id of the one document that stays in a decoy
// collection, for inserts that are to collide.
var CollideID = strings.Repeat("0", 64)

// DecoyID returns a random ID as long as a signature's (SignatureID), for
// a decoy document.
func DecoyID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// Filler returns n random letters. Decoys are filled with new ones at
// every write, since a database may skip a write that changes nothing.
func Filler(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// decoySignature is a signature-shaped document of filler, as large as a
// typical signature.
func decoySignature(id string) *Signature {
	return &Signature{
		ID:         id,
		CampaignID: "decoy",
		SignedAt:   time.Unix(0, 0).UTC(),
		Source:     SourceWeb,
		Person:     Person{Name: Filler(24), City: Filler(12), Country: "XX", Display: NameFull},
	}
}

func (s *Store) decoySignatures() *mongo.Collection {
	return s.signatures.Database().Collection(DecoyPrefix + signaturesCollection)
}

// ensureDecoys gives the signature decoy collection the signatures'
// index and the document to collide with, and clears what a stopped node
// left (EnsureIndexes).
func (s *Store) ensureDecoys(ctx context.Context) error {
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
