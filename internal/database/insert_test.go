package database_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// On the embedded database, InsertEach answers each document of a batch
// with its own outcome, and InsertNew stores the new documents of a batch
// and skips the ones stored already, but not other failures.
func TestInsertEachAndInsertNew(t *testing.T) {
	ctx := context.Background()
	coll := openEmbedded(t).Collection("things")
	doc := func(id string) any { return bson.D{{Key: "_id", Value: id}} }
	if _, err := coll.InsertOne(ctx, doc("old")); err != nil {
		t.Fatal(err)
	}

	errs := database.InsertEach(ctx, coll, []any{doc("a"), doc("old"), doc("b"), doc("a")})
	for i, want := range []bool{false, true, false, true} {
		if got := database.IsDuplicate(errs[i]); got != want || (errs[i] != nil) != want {
			t.Errorf("InsertEach, document %d: error %v, want a duplicate: %v", i, errs[i], want)
		}
	}

	if err := database.InsertNew(ctx, coll, []any{doc("old"), doc("c"), doc("a")}); err != nil {
		t.Errorf("InsertNew of new documents and stored ones: %v, want nil", err)
	}
	if err := database.InsertNew(ctx, coll, []any{doc("old"), bson.D{{Key: "_id", Value: bson.A{1}}}, doc("d")}); err == nil || database.IsDuplicate(err) {
		t.Errorf("InsertNew with a document that cannot be stored: %v, want its error", err)
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if err := coll.FindOne(ctx, bson.M{"_id": id}).Err(); err != nil {
			t.Errorf("document %s: %v, want it stored", id, err)
		}
	}
}

// openEmbedded opens an embedded database of the test's own, closed when
// the test ends.
func openEmbedded(t *testing.T) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close(ctx) })
	return db
}
