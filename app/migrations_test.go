package app_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/migrate"
)

// A database written before schema versions existed, by a version that
// stored supporters' fields in plain text, is brought to the current shape
// at start-up: sealed, indexed, versioned, and read as before. The fixture
// is written here document by document, as that version stored it, so that
// it does not change when the code does.
func TestPrepareMigratesAnOldDatabase(t *testing.T) {
	t.Parallel()
	db := dbs.Database(t)
	ctx := context.Background()
	day := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	insert := func(coll string, docs ...bson.D) {
		t.Helper()
		for _, d := range docs {
			if _, err := db.Collection(coll).InsertOne(ctx, d); err != nil {
				t.Fatalf("fixture %s: %v", coll, err)
			}
		}
	}
	insert("recipients", bson.D{
		{Key: "_id", Value: "r-ales"}, {Key: "name", Value: "Ales Bialiatski"}, {Key: "description", Value: ""},
		{Key: "address", Value: bson.A{"IK-9", "Gorki"}}, {Key: "country", Value: "BY"},
		{Key: "language_rules", Value: ""}, {Key: "languages", Value: bson.A{"be", "ru"}},
		{Key: "censor_words", Value: bson.A{}}, {Key: "created_at", Value: day},
	})
	insert("campaigns", bson.D{
		{Key: "_id", Value: "c-ales"}, {Key: "slug", Value: "ales"}, {Key: "title", Value: "Letters to Ales"},
		{Key: "summary", Value: "Write to Ales."}, {Key: "letter", Value: "Dear Ales,\n\nYou are not forgotten."},
		{Key: "organizer_name", Value: "Viasna"}, {Key: "recipient_id", Value: "r-ales"}, {Key: "goal", Value: 100},
		{Key: "opens_at", Value: day}, {Key: "closes_at", Value: day.AddDate(1, 0, 0)}, {Key: "time_zone", Value: "Europe/Minsk"},
		{Key: "greetings", Value: bson.D{{Key: "enabled", Value: true}, {Key: "max_length", Value: 500}, {Key: "show_public", Value: true}}},
		{Key: "at_risk_countries", Value: bson.A{"BY", "RU"}},
		{Key: "archived_at", Value: time.Time{}}, {Key: "created_at", Value: day}, {Key: "updated_at", Value: day},
	})
	signers := []struct{ id, name, city, country, email string }{
		{"s-1", "Алесь Пушкін", "Мінск", "BY", "ales@example.org"},
		{"s-2", "Anna Kowalska", "Białystok", "PL", "anna@example.org"},
		{"s-3", "Jonas Jonaitis", "", "LT", "jonas@example.org"},
	}
	for i, s := range signers {
		insert("signatures", bson.D{
			{Key: "_id", Value: s.id}, {Key: "campaign_id", Value: "c-ales"},
			{Key: "signed_at", Value: day.Add(time.Duration(i) * time.Hour)}, {Key: "source", Value: "form"},
			{Key: "updates", Value: false},
			{Key: "person", Value: bson.D{{Key: "name", Value: s.name}, {Key: "city", Value: s.city}, {Key: "country", Value: s.country}, {Key: "display", Value: "full"}, {Key: "email", Value: s.email}}},
		})
	}
	if v, err := migrate.Version(ctx, db); err != nil || v != 0 {
		t.Fatalf("the fixture's version: %d, %v; want 0", v, err)
	}

	a := newAppOn(t, db)
	if err := a.Prepare(ctx); err != nil {
		t.Fatalf("prepare: %v", err)
	}

	list := a.Migrations()
	latest := list[len(list)-1].Version
	if v, err := migrate.Version(ctx, db); err != nil || v != latest {
		t.Errorf("version after prepare: %d, %v; want %d", v, err, latest)
	}
	// Sealed: no supporter's name, city or address is left in the documents.
	raw, err := db.Collection("signatures").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	for raw.Next(ctx) {
		for _, s := range signers {
			for _, secret := range []string{s.name, s.email, s.city} {
				if secret != "" && bytes.Contains(raw.Current, []byte(secret)) {
					t.Errorf("signature %s still holds %q in plain text", s.id, secret)
				}
			}
		}
	}
	if err := raw.Err(); err != nil {
		t.Fatal(err)
	}
	// Indexed.
	for coll, name := range map[string]string{"campaigns": "slug_unique", "signatures": "campaign_signed_at_id"} {
		if names := indexNames(t, db.Collection(coll)); !slices.Contains(names, name) {
			t.Errorf("%s has indexes %v, want %s", coll, names, name)
		}
	}
	// Read as before.
	if n := a.Signing.Count("c-ales"); n != int64(len(signers)) {
		t.Errorf("count %d, want %d", n, len(signers))
	}
	for _, s := range signers {
		sig, err := a.Campaigns.Signature(ctx, s.id)
		if err != nil {
			t.Fatalf("read %s: %v", s.id, err)
		}
		if sig.Person.Name != s.name || sig.Person.Email != s.email || sig.Person.City != s.city {
			t.Errorf("%s reads %q, %q, %q; want %q, %q, %q", s.id, sig.Person.Name, sig.Person.City, sig.Person.Email, s.name, s.city, s.email)
		}
	}
	c, err := a.Signing.Public(ctx, "ales")
	if err != nil || c.Title != "Letters to Ales" {
		t.Errorf("the campaign page's campaign: %v, %v", c, err)
	}

	// The next start applies nothing again.
	before := schemaDoc(t, db)
	if err := newAppOn(t, db).Prepare(ctx); err != nil {
		t.Fatalf("second prepare: %v", err)
	}
	if after := schemaDoc(t, db); !bytes.Equal(before, after) {
		t.Errorf("the second start changed the schema document:\n%s\n%s", bson.Raw(before), bson.Raw(after))
	}
}

func indexNames(t *testing.T, coll *mongo.Collection) []string {
	t.Helper()
	specs, err := coll.Indexes().ListSpecifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return names
}

func schemaDoc(t *testing.T, db *mongo.Database) []byte {
	t.Helper()
	raw, err := db.Collection(migrate.Collection).FindOne(context.Background(), bson.M{"_id": "version"}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
