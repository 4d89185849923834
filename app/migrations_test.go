package app_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/migrate"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// A database written before schema versions existed is brought to the
// current shape at start-up: versioned, sealed, indexed, and read as
// before. The fixture is written here document by document in the shapes
// the last version without schema versions stored (sealed supporter
// fields, its indexes, no schema collection), with one signature as a
// version before sealing left it, in plain text; so it does not change when
// the code does.
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
	keyring := testdb.Keys(t)
	for i, s := range signers {
		// The last one as stored before sealing, the others sealed, each
		// field bound to its document and path.
		field := func(path, value string) any {
			if i == len(signers)-1 || value == "" {
				return value
			}
			v, err := sealed.Seal(keyring, value, sealed.AAD("signatures", s.id, path))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		person := bson.D{{Key: "name", Value: field("person.name", s.name)}}
		if s.city != "" {
			person = append(person, bson.E{Key: "city", Value: field("person.city", s.city)})
		}
		person = append(person, bson.E{Key: "country", Value: s.country}, bson.E{Key: "display", Value: "full"},
			bson.E{Key: "email", Value: field("person.email", s.email)})
		insert("signatures", bson.D{
			{Key: "_id", Value: s.id}, {Key: "campaign_id", Value: "c-ales"},
			{Key: "signed_at", Value: day.Add(time.Duration(i) * time.Hour)}, {Key: "source", Value: "web"},
			{Key: "updates", Value: false}, {Key: "person", Value: person},
		})
	}
	// The indexes that version made at every start.
	for coll, ix := range map[string]mongo.IndexModel{
		"campaigns":  {Keys: bson.D{{Key: "slug", Value: 1}}, Options: options.Index().SetName("slug_unique").SetUnique(true)},
		"signatures": {Keys: bson.D{{Key: "campaign_id", Value: 1}, {Key: "signed_at", Value: 1}, {Key: "_id", Value: 1}}, Options: options.Index().SetName("campaign_signed_at_id")},
	} {
		if _, err := db.Collection(coll).Indexes().CreateOne(ctx, ix); err != nil {
			t.Fatalf("fixture index on %s: %v", coll, err)
		}
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
	// Indexed, and the decoy collections made.
	for coll, name := range map[string]string{"campaigns": "slug_unique", "signatures": "campaign_signed_at_id", "greetings": "campaign_status_created", "decoy_signatures": "campaign_signed_at_id"} {
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
	// The campaign, stored without a language, states English, in which it
	// was written.
	if lang, err := db.Collection("campaigns").FindOne(ctx, bson.M{"_id": "c-ales"}).Raw(); err != nil || lang.Lookup("language").StringValue() != "en" {
		t.Errorf("the stored campaign's language: %v, %v; want en", lang.Lookup("language"), err)
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
