package site

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// profileID is the _id of the one profile document.
const profileID = "profile"

// Store keeps the profile in the "site" collection, read and written by
// _id only.
type Store struct {
	docs *mongo.Collection
	now  func() time.Time
}

// NewStore returns the store of db.
func NewStore(db *mongo.Database, now func() time.Time) *Store {
	return &Store{docs: db.Collection("site"), now: now}
}

// profileDoc is the stored form of a profile.
type profileDoc struct {
	ID      string `bson:"_id"`
	Profile `bson:",inline"`
}

// Profile returns the stored profile, or ErrNotFound when none is saved.
func (s *Store) Profile(ctx context.Context) (Profile, error) {
	var d profileDoc
	err := s.docs.FindOne(ctx, bson.M{"_id": profileID}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Profile{}, ErrNotFound
	}
	if err != nil {
		return Profile{}, fmt.Errorf("read organisation profile: %w", err)
	}
	return d.Profile, nil
}

// Save stores p over the profile of version prev (0: there is none yet)
// and returns it as stored, with its new version and time. A profile saved
// by someone else since prev was read is ErrConflict and nothing changes.
func (s *Store) Save(ctx context.Context, p Profile, prev int64) (Profile, error) {
	p.Version = prev + 1
	p.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	d := profileDoc{ID: profileID, Profile: p}
	if prev == 0 {
		_, err := s.docs.InsertOne(ctx, d)
		if mongo.IsDuplicateKeyError(err) {
			return Profile{}, fmt.Errorf("create organisation profile: %w", ErrConflict)
		}
		if err != nil {
			return Profile{}, fmt.Errorf("create organisation profile: %w", err)
		}
		return p, nil
	}
	res, err := s.docs.ReplaceOne(ctx, bson.M{"_id": profileID, "version": prev}, d)
	if err != nil {
		return Profile{}, fmt.Errorf("save organisation profile: %w", err)
	}
	if res.MatchedCount == 0 {
		return Profile{}, fmt.Errorf("save organisation profile over version %d: %w", prev, ErrConflict)
	}
	return p, nil
}
