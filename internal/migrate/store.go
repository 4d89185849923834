package migrate

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// versionDoc is the document that records how far the database has come.
type versionDoc struct {
	ID        string    `bson:"_id"`
	Version   int       `bson:"version"`
	Name      string    `bson:"name"`
	AppliedAt time.Time `bson:"applied_at"`
}

// Version returns the version the database has reached: 0 for a database
// that was never migrated.
func Version(ctx context.Context, db *mongo.Database) (int, error) {
	var doc versionDoc
	err := db.Collection(Collection).FindOne(ctx, bson.M{"_id": versionID}).Decode(&doc)
	if database.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return doc.Version, nil
}

// record advances the version from prev to m.Version as a compare-and-set:
// if the version moved meanwhile (a runner that lost its lock), nothing
// matches and the runner stops.
func record(ctx context.Context, db *mongo.Database, prev int, m Migration, at time.Time) error {
	coll := db.Collection(Collection)
	doc := versionDoc{ID: versionID, Version: m.Version, Name: m.Name, AppliedAt: at}
	if prev == 0 {
		_, err := coll.InsertOne(ctx, doc)
		if database.IsDuplicate(err) {
			return fmt.Errorf("record schema version %d: %w", m.Version, errMoved)
		}
		if err != nil {
			return fmt.Errorf("record schema version %d: %w", m.Version, err)
		}
		return nil
	}
	res, err := coll.UpdateOne(ctx, bson.M{"_id": versionID, "version": prev},
		bson.M{"$set": bson.M{"version": doc.Version, "name": doc.Name, "applied_at": doc.AppliedAt}})
	if err != nil {
		return fmt.Errorf("record schema version %d: %w", m.Version, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("record schema version %d: %w", m.Version, errMoved)
	}
	return nil
}
