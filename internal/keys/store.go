package keys

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Collection holds one document per data key the database has been written
// with: its ID, when it was first used, and a canary sealed under it.
const Collection = "keyring"

// Record is the database's note of a data key it has been written with.
type Record struct {
	ID        string    `bson:"_id"`
	FirstUsed time.Time `bson:"first_used"`
	Canary    []byte    `bson:"canary"`
}

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

// insertRecord stores the record of a data key, and reports false when
// the database has one for its ID already.
func insertRecord(ctx context.Context, db *mongo.Database, rec Record) (bool, error) {
	_, err := db.Collection(Collection).InsertOne(ctx, rec)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record data key %s: %w", rec.ID, err)
	}
	return true, nil
}

// Forget removes the database's record of a retired data key, so that
// later start-ups do not ask for it.
func Forget(ctx context.Context, db *mongo.Database, id string) error {
	if _, err := db.Collection(Collection).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("forget data key %s: %w", id, err)
	}
	return nil
}
