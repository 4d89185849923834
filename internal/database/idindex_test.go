package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// The embedded database finds a document by _id through its _id index,
// not by scanning the table: FerretDB v1.24.2 built the index on another
// expression than the one it queried, and SQLite uses an expression index
// only for the identical expression (third_party/ferretdb/README.md).
// FerretDB's explain command runs EXPLAIN QUERY PLAN on the SQL its
// SQLite backend makes for the query, so this checks the SQL it really
// runs, not a copy of it.
func TestEmbeddedFindsByIDThroughItsIndex(t *testing.T) {
	ctx := context.Background()
	db := openEmbedded(t)
	coll := db.Collection("things")
	docs := make([]any, 100)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("id-%03d", i)}, {Key: "n", Value: i},
			{Key: "campaign_id", Value: fmt.Sprintf("c-%d", i%4)}, {Key: "kind", Value: fmt.Sprintf("k%d", i%3)}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "campaign_id", Value: 1}, {Key: "n", Value: 1}}}); err != nil {
		t.Fatalf("index: %v", err)
	}

	tests := []struct {
		name   string
		filter bson.D
		search bool
	}{
		{"by _id, a string", bson.D{{Key: "_id", Value: "id-042"}}, true},
		{"by _id, an ObjectID", bson.D{{Key: "_id", Value: bson.NewObjectID()}}, true},
		{"by another field", bson.D{{Key: "n", Value: 42}}, false}, // the check can tell a scan
		// The patch's second part: a string equality on the field that
		// leads an index.
		{"by the field leading an index", bson.D{{Key: "campaign_id", Value: "c-1"}}, true},
		{"by it and another field", bson.D{{Key: "kind", Value: "k1"}, {Key: "campaign_id", Value: "c-1"}}, true},
		{"by a field second in an index", bson.D{{Key: "n", Value: 5}}, false},
		{"by the leading field, not a string", bson.D{{Key: "campaign_id", Value: 7}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res bson.M
			cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: "things"}, {Key: "filter", Value: tt.filter}}}}
			if err := db.RunCommand(ctx, cmd).Decode(&res); err != nil {
				t.Fatalf("explain: %v", err)
			}
			plan := fmt.Sprint(res["queryPlanner"])
			searches := strings.Contains(plan, "SEARCH") && strings.Contains(plan, "USING INDEX")
			t.Logf("%s", plan)
			if searches != tt.search || (tt.search && strings.Contains(plan, "SCAN")) {
				t.Errorf("plan %s; want an index search: %v", plan, tt.search)
			}
			// And the find returns what MongoDB would: the same documents
			// as a filter the backend cannot push down.
			got, err := coll.CountDocuments(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			want, err := coll.CountDocuments(ctx, bson.D{{Key: "$and", Value: bson.A{tt.filter}}})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%d documents found, want %d", got, want)
			}
		})
	}
	// A pushed-down find finds exactly the campaign's documents.
	cur, err := coll.Find(ctx, bson.D{{Key: "campaign_id", Value: "c-2"}, {Key: "kind", Value: "k0"}})
	if err != nil {
		t.Fatal(err)
	}
	var found []struct {
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &found); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := range 100 {
		if i%4 == 2 && i%3 == 0 {
			want++
		}
	}
	if len(found) != want {
		t.Errorf("found %d documents of campaign c-2 and kind k0, want %d", len(found), want)
	}
	for _, d := range found {
		if d.N%4 != 2 || d.N%3 != 0 {
			t.Errorf("found document %d, which is not of campaign c-2 and kind k0", d.N)
		}
	}
}

// BenchmarkEmbeddedFind finds one document of 50k by _id and by a field
// without an index, on the embedded database: the first is a search of
// the _id index, the second a scan (third_party/ferretdb/README.md).
// Compare the ns/op of one run:
//
//	go test -run '^$' -bench BenchmarkEmbeddedFind ./internal/database/
func BenchmarkEmbeddedFind(b *testing.B) {
	const n = 50000
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer db.Close(ctx)
	coll := db.Collection("things")
	docs := make([]any, 0, 1000)
	for i := range n {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("id-%06d", i)}, {Key: "n", Value: i}})
		if len(docs) == cap(docs) {
			if _, err := coll.InsertMany(ctx, docs); err != nil {
				b.Fatalf("insert: %v", err)
			}
			docs = docs[:0]
		}
	}
	for _, tt := range []struct {
		name   string
		filter func(i int) bson.D
	}{
		{"by-id", func(i int) bson.D { return bson.D{{Key: "_id", Value: fmt.Sprintf("id-%06d", i)}} }},
		{"by-field", func(i int) bson.D { return bson.D{{Key: "n", Value: i}} }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := coll.FindOne(ctx, tt.filter(i*7919%n)).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
