package testdb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Dump reads every collection of db as raw BSON, each collection's
// documents sorted by _id, so that two databases can be compared document
// by document (a backup's source and its restore, say).
func Dump(t testing.TB, db *mongo.Database) map[string][]bson.Raw {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatalf("list the collections of %s: %v", db.Name(), err)
	}
	out := map[string][]bson.Raw{}
	for _, n := range names {
		cur, err := db.Collection(n).Find(ctx, bson.D{})
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		docs := []bson.Raw{}
		for cur.Next(ctx) {
			docs = append(docs, slices.Clone(cur.Current))
		}
		if err := cur.Err(); err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		slices.SortFunc(docs, func(a, b bson.Raw) int { return strings.Compare(a.Lookup("_id").String(), b.Lookup("_id").String()) })
		out[n] = docs
	}
	return out
}
