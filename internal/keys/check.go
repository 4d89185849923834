package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/seal"
)

// Collection holds one document per data key the database has been written
// with: its ID, when it was first used, and a canary sealed under it.
const Collection = "keyring"

// ErrWrongKeys means the keys do not belong to the database: it was written
// with a data key they lack, or with another key under the same ID.
var ErrWrongKeys = errors.New("the keys do not belong to this database")

// canary is what each record seals, so that a key with the right ID and the
// wrong bytes is told apart before it seals anything.
const canary = "solidarity keyring canary"

// Record is the database's note of a data key it has been written with.
type Record struct {
	ID        string    `bson:"_id"`
	FirstUsed time.Time `bson:"first_used"`
	Canary    []byte    `bson:"canary"`
}

func canaryAAD(id string) []byte { return seal.AAD(Collection, id, "canary") }

// Recorded lists the data keys the database has been written with. The
// collection holds a handful of documents, so reading it whole is cheap.
func Recorded(ctx context.Context, db *mongo.Database) ([]Record, error) {
	cur, err := db.Collection(Collection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read the keyring collection: %w", err)
	}
	var recs []Record
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("read the keyring collection: %w", err)
	}
	return recs, nil
}

// Verify checks, without writing, that k holds every data key the database
// records, each with the bytes it was written with. It returns the records.
func Verify(ctx context.Context, db *mongo.Database, k Keys) ([]Record, error) {
	recs, err := Recorded(ctx, db)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, r := range recs {
		if !k.Data.Has(r.ID) {
			errs = append(errs, fmt.Errorf("%w: the database holds values sealed with data key %s (first used %s), which %s does not hold",
				ErrWrongKeys, r.ID, r.FirstUsed.UTC().Format(time.DateOnly), k.Source))
			continue
		}
		if id, err := seal.KeyID(r.Canary); err != nil || id != r.ID {
			errs = append(errs, fmt.Errorf("%w: the database's record of data key %s is damaged", ErrWrongKeys, r.ID))
			continue
		}
		if got, err := k.Data.Open(r.Canary, canaryAAD(r.ID)); err != nil || string(got) != canary {
			errs = append(errs, fmt.Errorf("%w: data key %s in %s is not the key the database was written with (the same ID, other bytes)",
				ErrWrongKeys, r.ID, k.Source))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("start with the key file this database was written with (check SOLIDARITY_SECRET_FILE, SOLIDARITY_SECRET and your backup of the keys); nothing was written"))
		return nil, errors.Join(errs...)
	}
	return recs, nil
}

// Check runs at start-up before anything is written: it refuses keys that
// do not belong to the database (see Verify), so that new values are never
// sealed with a new key beside data written with another, and otherwise
// records the active data key if the database does not know it yet.
func Check(ctx context.Context, db *mongo.Database, k Keys, now time.Time) error {
	recs, err := Verify(ctx, db, k)
	if err != nil {
		return err
	}
	active := k.Data.Active()
	for _, r := range recs {
		if r.ID == active {
			return nil
		}
	}
	sealed, err := k.Data.Seal([]byte(canary), canaryAAD(active))
	if err != nil {
		return err
	}
	rec := Record{ID: active, FirstUsed: now.UTC().Truncate(time.Millisecond), Canary: sealed}
	_, err = db.Collection(Collection).InsertOne(ctx, rec)
	if mongo.IsDuplicateKeyError(err) {
		// Another node recorded it meanwhile: its canary must open too.
		_, err = Verify(ctx, db, k)
		return err
	}
	if err != nil {
		return fmt.Errorf("record data key %s: %w", active, err)
	}
	return nil
}

// Forget removes the database's record of a retired data key, so that
// later start-ups do not ask for it.
func Forget(ctx context.Context, db *mongo.Database, id string) error {
	if _, err := db.Collection(Collection).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("forget data key %s: %w", id, err)
	}
	return nil
}
