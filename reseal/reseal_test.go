package reseal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	solidarity "github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	ikeys "github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/reseal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

var now = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

// app is every store of one process, over one keyring.
type app struct {
	db        *mongo.Database
	keys      *seal.Keyring
	signing   *campaign.Service
	greetings *letters.Store
	partners  *campaign.Partners
	audit     *audit.Log
	bundles   *bundle.Jobs
	resealer  *reseal.Resealer
}

// newApp builds the application over db, as serve does, with the data
// keys keys.
func newApp(t testing.TB, db *mongo.Database, keys *seal.Keyring) *app {
	t.Helper()
	a, err := solidarity.New(dbs.Wrap(db), ikeys.Keys{Data: keys, Email: []byte("0123456789abcdef0123456789abcdef")},
		solidarity.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Signing.LoadCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &app{db: db, keys: keys, signing: a.Signing, greetings: a.Greetings, partners: a.Partners, audit: a.Audit, bundles: a.Bundles,
		resealer: a.Resealer}
}

func keyring(t testing.TB, active string, ids ...string) *seal.Keyring {
	t.Helper()
	var keys []seal.Key
	for _, id := range ids {
		keys = append(keys, seal.Key{ID: id, Secret: bytes.Repeat([]byte(id[len(id)-1:]), seal.KeySize)})
	}
	k, err := seal.NewKeyring(keys, active)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func insert(t testing.TB, db *mongo.Database, collection string, docs ...any) {
	t.Helper()
	if _, err := db.Collection(collection).InsertMany(context.Background(), docs); err != nil {
		t.Fatalf("insert into %s: %v", collection, err)
	}
}

// What identifies the supporters of the old documents below, none of
// which may be found in the database after the migration.
var secrets = []string{
	"Алесь Бяляцкі", "Бяляцкі", "Мінск", "ales@example.org", "Anna Kowalska", "Kraków", "partner-site",
	"Трымайцеся", "Прывітанне", "Ніна Паперная", "Гомель", "Kalimera", "ნინო",
}

const campaignID = "camp"

// writeOldData stores, with the driver, documents in the shapes the
// version before sealing wrote: a campaign's signatures (web, with a
// greeting, opted-in email and referrer; paper), greetings with their
// list copies and duplicate key, an idempotency record, an audit entry
// and a stored bundle.
func writeOldData(t *testing.T, a *app) (bundleZip []byte) {
	t.Helper()
	ctx := context.Background()
	c := &campaign.Campaign{ID: campaignID, Slug: "camp", Title: "Camp", OpensAt: now.Add(-48 * time.Hour), ClosesAt: now.Add(48 * time.Hour),
		TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := a.signing.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	person := func(name, city, country, email string) bson.D {
		d := bson.D{{Key: "name", Value: name}}
		if city != "" {
			d = append(d, bson.E{Key: "city", Value: city})
		}
		d = append(d, bson.E{Key: "country", Value: country}, bson.E{Key: "display", Value: "full"})
		if email != "" {
			d = append(d, bson.E{Key: "email", Value: email})
		}
		return d
	}
	insert(t, a.db, "signatures",
		bson.D{{Key: "_id", Value: "sig-ales"}, {Key: "campaign_id", Value: campaignID}, {Key: "signed_at", Value: now.Add(-2 * time.Hour)},
			{Key: "source", Value: "embed"}, {Key: "referrer", Value: "https://partner-site.example"}, {Key: "updates", Value: true},
			{Key: "has_greeting", Value: true}, {Key: "person", Value: person("Алесь Бяляцкі", "Мінск", "BY", "ales@example.org")}},
		bson.D{{Key: "_id", Value: "sig-anna"}, {Key: "campaign_id", Value: campaignID}, {Key: "signed_at", Value: now.Add(-time.Hour)},
			{Key: "source", Value: "web"}, {Key: "updates", Value: false}, {Key: "has_greeting", Value: true},
			{Key: "person", Value: person("Anna Kowalska", "Kraków", "PL", "")}},
		bson.D{{Key: "_id", Value: "sig-nino"}, {Key: "campaign_id", Value: campaignID}, {Key: "signed_at", Value: now.Add(-30 * time.Minute)},
			{Key: "source", Value: "web"}, {Key: "updates", Value: false}, {Key: "has_greeting", Value: true},
			{Key: "person", Value: person("ნინო ბერიძე", "", "GE", "")}},
		bson.D{{Key: "_id", Value: "p-0123"}, {Key: "campaign_id", Value: campaignID}, {Key: "signed_at", Value: now.Add(-time.Minute)},
			{Key: "source", Value: "paper"}, {Key: "updates", Value: false}, {Key: "person", Value: person("Ніна Паперная", "Гомель", "BY", "")}},
	)
	pending := bson.D{{Key: "_id", Value: "sig-ales"}, {Key: "campaign_id", Value: campaignID}, {Key: "text", Value: "Трымайцеся, Алесь!"},
		{Key: "status", Value: "pending"}, {Key: "created_at", Value: now.Add(-2 * time.Hour)}, {Key: "checked", Value: true},
		{Key: "flagged", Value: false}, {Key: "language", Value: "be"}, {Key: "text_key", Value: letters.TextKey("Трымайцеся, Алесь!")},
		{Key: "needs_translation", Value: false}}
	approved := bson.D{{Key: "_id", Value: "sig-anna"}, {Key: "campaign_id", Value: campaignID}, {Key: "text", Value: "Kalimera from Anna"},
		{Key: "status", Value: "approved"}, {Key: "created_at", Value: now.Add(-time.Hour)}, {Key: "checked", Value: true},
		{Key: "flagged", Value: false}, {Key: "language", Value: "en"}, {Key: "needs_translation", Value: true},
		{Key: "translation", Value: bson.D{{Key: "language", Value: "be"}, {Key: "text", Value: "Прывітанне ад Анны"},
			{Key: "status", Value: "approved"}, {Key: "written_at", Value: now}}}}
	untranslated := bson.D{{Key: "_id", Value: "sig-nino"}, {Key: "campaign_id", Value: campaignID}, {Key: "text", Value: "ნინო გისურვებს"},
		{Key: "status", Value: "approved"}, {Key: "created_at", Value: now.Add(-30 * time.Minute)}, {Key: "checked", Value: true},
		{Key: "flagged", Value: false}, {Key: "language", Value: "ka"}, {Key: "needs_translation", Value: true}}
	insert(t, a.db, "greetings", pending, approved, untranslated)
	insert(t, a.db, "greeting_queue", pending)
	insert(t, a.db, "greeting_translations", untranslated)
	insert(t, a.db, "greeting_texts", bson.D{{Key: "_id", Value: campaignID + "/" + letters.TextKey("Трымайцеся, Алесь!")}, {Key: "greeting_id", Value: "sig-ales"}})
	insert(t, a.db, "api_idempotency", bson.D{{Key: "_id", Value: idemID("partner", "key-1")}, {Key: "request", Value: "req-hash"},
		{Key: "done", Value: true}, {Key: "status", Value: 201}, {Key: "body", Value: []byte(`{"name":"Алесь Бяляцкі"}`)},
		{Key: "expires_at", Value: now.Add(time.Hour)}})
	insert(t, a.db, "audit", bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "at", Value: now}, {Key: "actor", Value: "cli"},
		{Key: "action", Value: "signature_erased"}, {Key: "target", Value: campaignID}, {Key: "detail", Value: "erased Алесь Бяляцкі"}})

	bundleZip = []byte("PK\x03\x04 letter-01.pdf: 1. Алесь Бяляцкі, Мінск; 2. Anna Kowalska, Kraków")
	bucket := a.db.GridFSBucket(options.GridFSBucket().SetName("bundles"))
	fileID, err := bucket.UploadFromStream(ctx, "bundle-camp.zip", bytes.NewReader(bundleZip))
	if err != nil {
		t.Fatal(err)
	}
	insert(t, a.db, "bundle_jobs", bson.D{{Key: "_id", Value: "job-1"}, {Key: "campaign_id", Value: campaignID},
		{Key: "status", Value: "done"}, {Key: "created_at", Value: now}, {Key: "file_id", Value: fileID}, {Key: "size", Value: int64(len(bundleZip))}})
	return bundleZip
}

func idemID(partner, key string) string {
	sum := sha256.Sum256([]byte(partner + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// rawContains returns where in the database's raw documents (every
// collection, GridFS chunks included) any of words is found.
func rawContains(t *testing.T, db *mongo.Database, words ...string) []string {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, name := range names {
		cur, err := db.Collection(name).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			for _, w := range words {
				if bytes.Contains(cur.Current, []byte(w)) {
					found = append(found, fmt.Sprintf("%s: %q in %s", name, w, cur.Current.Lookup("_id")))
				}
			}
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		cur.Close(ctx)
	}
	return found
}

// The migration seals old data both ways: document by document (MongoDB,
// where other nodes may write meanwhile) and by copying each collection
// (the embedded database at start-up, where nothing else writes).
func TestMigrationSealsOldData(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%v", exclusive), func(t *testing.T) { testMigrationSealsOldData(t, exclusive) })
	}
}

func testMigrationSealsOldData(t *testing.T, exclusive bool) {
	ctx := context.Background()
	db := dbs.Database(t)
	a := newApp(t, db, testdb.Keys(t))
	zip := writeOldData(t, a)
	plainKey := letters.TextKey("Трымайцеся, Алесь!")
	if found := rawContains(t, db, secrets...); len(found) == 0 {
		t.Fatal("the old data holds none of the names: the test checks nothing")
	}

	for range 2 { // the second run finds nothing to do
		if _, err := a.resealer.Migrate(ctx, exclusive); err != nil {
			t.Fatal(err)
		}
	}
	if found := rawContains(t, db, append(secrets, plainKey)...); len(found) > 0 {
		t.Errorf("plain text left after the migration:\n%s", strings.Join(found, "\n"))
	}
	usage, err := a.resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 4 names, 3 cities, 1 email, 1 referrer; 3 greetings, 1 translation,
	// 1 queue copy, 1 translation-list copy; request and body; 1 audit
	// detail; 3 duplicate keys (each greeting's, keyed anew); 1 bundle.
	if want := map[string]int64{"test1": 22}; fmt.Sprint(usage) != fmt.Sprint(want) {
		t.Errorf("Usage = %v, want %v", usage, want)
	}

	// The application shows what it showed before. A fresh process: its
	// counts and lists come from the database.
	a = newApp(t, db, testdb.Keys(t))
	t.Run("console search finds a Cyrillic name", func(t *testing.T) {
		page, err := a.signing.ListSignatures(ctx, campaignID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "бяляц"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Signatures) != 1 || page.Signatures[0].Person.Name != "Алесь Бяляцкі" || page.Signatures[0].Person.City != "Мінск" {
			t.Fatalf("search бяляц = %+v, want Алесь Бяляцкі", page.Signatures)
		}
		page, err = a.signing.ListSignatures(ctx, campaignID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "ГОМЕЛ"}})
		if err != nil || len(page.Signatures) != 1 || page.Signatures[0].Person.Name != "Ніна Паперная" {
			t.Fatalf("search by city = %+v, %v", page.Signatures, err)
		}
	})
	t.Run("list pages", func(t *testing.T) {
		var names []string
		req := campaign.ListRequest{Limit: 3}
		for {
			page, err := a.signing.ListSignatures(ctx, campaignID, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Signatures {
				names = append(names, s.Person.Name)
			}
			if page.Next.IsZero() {
				break
			}
			req = campaign.ListRequest{Limit: 3, After: page.Next}
		}
		if got, want := strings.Join(names, ","), "Ніна Паперная,ნინო ბერიძე,Anna Kowalska,Алесь Бяляцкі"; got != want {
			t.Errorf("list = %s, want %s", got, want)
		}
	})
	t.Run("export", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := a.signing.ExportCSV(ctx, &buf, campaignID, campaign.ExportOptions{Header: make([]string, campaign.ExportColumns), Emails: true})
		if err != nil || n != 4 {
			t.Fatalf("ExportCSV = %d, %v", n, err)
		}
		for _, want := range []string{"Алесь Бяляцкі,Мінск,BY,embed,true,true,", "Anna Kowalska,Kraków,PL", "Ніна Паперная,Гомель,BY,paper"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("export lacks %q:\n%s", want, buf.String())
			}
		}
		// The old address was never confirmed (the campaign did not ask),
		// so it may be a stranger's: the export leaves it out.
		if strings.Contains(buf.String(), "ales@example.org") {
			t.Errorf("export holds an unconfirmed address:\n%s", buf.String())
		}
	})
	t.Run("counts and partner attribution", func(t *testing.T) {
		st, err := a.signing.Stats(ctx, mustCampaign(t, a))
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != 4 || st.PaperRows != 1 {
			t.Errorf("stats total %d paper %d, want 4 and 1", st.Total, st.PaperRows)
		}
		sig, err := a.signing.Store().Signature(ctx, "sig-ales")
		if err != nil || sig.Referrer != "https://partner-site.example" || sig.Person.Email != "ales@example.org" {
			t.Errorf("Signature = %+v, %v", sig, err)
		}
	})
	t.Run("moderation and translations", func(t *testing.T) {
		pending, err := a.greetings.Pending(ctx, "", letters.Cursor{}, 10)
		if err != nil || len(pending) != 1 || pending[0].Text != "Трымайцеся, Алесь!" {
			t.Fatalf("Pending = %+v, %v", pending, err)
		}
		untranslated, err := a.greetings.Untranslated(ctx, "", letters.Cursor{}, 10)
		if err != nil || len(untranslated) != 1 || untranslated[0].Text != "ნინო გისურვებს" {
			t.Fatalf("Untranslated = %+v, %v", untranslated, err)
		}
		g, err := a.greetings.Greeting(ctx, "sig-anna")
		if err != nil || g.Translation == nil || g.Translation.Text != "Прывітанне ад Анны" {
			t.Fatalf("Greeting = %+v, %v", g, err)
		}
		// The duplicate key was keyed anew and still finds the same text.
		first, err := a.greetings.ClaimText(ctx, campaignID, letters.TextKey("трымайцеся  алесь"), "sig-other")
		if err != nil || first {
			t.Errorf("ClaimText of the same words = %v, %v; want a duplicate", first, err)
		}
	})
	t.Run("idempotent replay", func(t *testing.T) {
		r, err := a.partners.Claim(ctx, "partner", "key-1", "req-hash")
		if err != nil || r == nil || string(r.Body) != `{"name":"Алесь Бяляцкі"}` || r.Status != 201 {
			t.Fatalf("Claim = %+v, %v", r, err)
		}
		if _, err := a.partners.Claim(ctx, "partner", "key-1", "other"); !errors.Is(err, campaign.ErrKeyReused) {
			t.Errorf("Claim with another request = %v, want ErrKeyReused", err)
		}
	})
	t.Run("audit", func(t *testing.T) {
		entries, _, err := a.audit.Page(ctx, audit.Cursor{}, 10)
		if err != nil || len(entries) != 1 || entries[0].Detail != "erased Алесь Бяляцкі" {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
	})
	t.Run("bundle download", func(t *testing.T) {
		if got := readBundle(t, a, "job-1"); !bytes.Equal(got, zip) {
			t.Errorf("bundle = %q, want %q", got, zip)
		}
	})
}

func mustCampaign(t *testing.T, a *app) *campaign.Campaign {
	t.Helper()
	c, err := a.signing.Store().CampaignBySlug(context.Background(), "camp")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readBundle(t *testing.T, a *app, jobID string) []byte {
	t.Helper()
	ctx := context.Background()
	job, err := a.bundles.Job(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.bundles.Open(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A migration stopped half way and started again seals every document
// once: nothing is lost, nothing sealed twice.
func TestMigrationResumes(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	a := newApp(t, db, testdb.Keys(t))
	const n = 450
	var docs []any
	for i := range n {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("sig-%04d", i)}, {Key: "campaign_id", Value: campaignID},
			{Key: "signed_at", Value: now}, {Key: "source", Value: "web"}, {Key: "updates", Value: false},
			{Key: "person", Value: bson.D{{Key: "name", Value: fmt.Sprintf("Алесь %d", i)}, {Key: "city", Value: "Мінск"}, {Key: "country", Value: "BY"}}}})
	}
	insert(t, db, "signatures", docs...)

	stop, cancel := context.WithCancel(ctx)
	written, err := sealed.Reseal(stop, a.keys, a.signing.Store().SignatureFields(), true, func(done int64) {
		if done >= sealed.Batch {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || written != sealed.Batch {
		t.Fatalf("stopped pass wrote %d, %v; want %d and context.Canceled", written, err, sealed.Batch)
	}
	usage, err := a.resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if usage["test1"] != 2*sealed.Batch || usage[sealed.Plain] != 2*(n-sealed.Batch) {
		t.Fatalf("after the stop, Usage = %v", usage)
	}

	if _, err := a.resealer.Migrate(ctx, false); err != nil {
		t.Fatal(err)
	}
	usage, err = a.resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(usage) != fmt.Sprint(map[string]int64{"test1": 2 * n}) {
		t.Errorf("after the rerun, Usage = %v, want %d values under test1", usage, 2*n)
	}
	count, err := db.Collection("signatures").CountDocuments(ctx, bson.D{})
	if err != nil || count != n {
		t.Errorf("%d signatures stored, %v; want %d", count, err, n)
	}
	for i := range n {
		sig, err := a.signing.Store().Signature(ctx, fmt.Sprintf("sig-%04d", i))
		if err != nil || sig.Person.Name != fmt.Sprintf("Алесь %d", i) || sig.Person.City != "Мінск" {
			t.Fatalf("signature %d = %+v, %v", i, sig, err)
		}
	}
}

// A sealed value copied into another document's field, or another field of
// its own document, does not open.
func TestSealedValueDoesNotMove(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	a := newApp(t, db, testdb.Keys(t))
	store := a.signing.Store()
	for _, sig := range []campaign.Signature{
		{ID: "a", CampaignID: campaignID, SignedAt: now, Source: campaign.SourceWeb, Person: campaign.Person{Name: "Алесь Бяляцкі", City: "Мінск", Country: "BY"}},
		{ID: "b", CampaignID: campaignID, SignedAt: now, Source: campaign.SourceWeb, Person: campaign.Person{Name: "Anna Kowalska", City: "Kraków", Country: "PL"}},
	} {
		if err := store.InsertSignature(ctx, &sig); err != nil {
			t.Fatal(err)
		}
	}
	raw := func(id string) bson.Raw {
		doc, err := db.Collection("signatures").FindOne(ctx, bson.M{"_id": id}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	tests := []struct {
		name, from, fromField, to, toField string
	}{
		{"another document's name", "a", "person.name", "b", "person.name"},
		{"its own city into its name", "b", "person.city", "b", "person.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := raw(tt.from).Lookup(strings.Split(tt.fromField, ".")...)
			if _, err := db.Collection("signatures").UpdateOne(ctx, bson.M{"_id": tt.to}, bson.M{"$set": bson.M{tt.toField: v}}); err != nil {
				t.Fatal(err)
			}
			_, err := store.Signature(ctx, tt.to)
			if !errors.Is(err, seal.ErrCorrupt) {
				t.Errorf("Signature with a moved value = %v, want seal.ErrCorrupt", err)
			}
		})
	}
}

// After a rotation (a second key made active), the values under the old
// key are sealed anew: by the background pass, or on the embedded database
// at the next start-up by copying.
func TestRotation(t *testing.T) {
	for _, atStartUp := range []bool{false, true} {
		t.Run(fmt.Sprintf("at_start_up=%v", atStartUp), func(t *testing.T) { testRotation(t, atStartUp) })
	}
}

func testRotation(t *testing.T, atStartUp bool) {
	ctx := context.Background()
	db := dbs.Database(t)
	old := newApp(t, db, keyring(t, "k1", "k1"))
	zip := writeOldData(t, old)
	if _, err := old.resealer.Migrate(ctx, true); err != nil {
		t.Fatal(err)
	}

	rotated := newApp(t, db, keyring(t, "k2", "k1", "k2"))
	if atStartUp {
		if n, err := rotated.resealer.Migrate(ctx, true); err != nil || n == 0 {
			t.Fatalf("copying Migrate after rotation wrote %d, %v; want everything", n, err)
		}
	} else {
		// Migrate document by document leaves values under the old key
		// to the background pass.
		if n, err := rotated.resealer.Migrate(ctx, false); err != nil || n != 0 {
			t.Fatalf("Migrate after rotation wrote %d, %v; want nothing", n, err)
		}
		if _, err := rotated.resealer.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	usage, err := rotated.resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if usage["k1"] != 0 || usage["k2"] != 22 || len(usage) != 1 {
		t.Errorf("Usage after rotation = %v, want 22 values under k2 only", usage)
	}

	// The old key retired: everything still opens.
	retired := newApp(t, db, keyring(t, "k2", "k2"))
	sig, err := retired.signing.Store().Signature(ctx, "sig-ales")
	if err != nil || sig.Person.Name != "Алесь Бяляцкі" {
		t.Errorf("Signature under the new key alone = %+v, %v", sig, err)
	}
	g, err := retired.greetings.Greeting(ctx, "sig-anna")
	if err != nil || g.Translation.Text != "Прывітанне ад Анны" {
		t.Errorf("Greeting under the new key alone = %+v, %v", g, err)
	}
	if got := readBundle(t, retired, "job-1"); !bytes.Equal(got, zip) {
		t.Errorf("bundle under the new key alone = %q", got)
	}
	first, err := retired.greetings.ClaimText(ctx, campaignID, letters.TextKey("Трымайцеся, Алесь!"), "sig-other")
	if err != nil || first {
		t.Errorf("ClaimText after rotation = %v, %v; want a duplicate", first, err)
	}
	if found := rawContains(t, db, secrets...); len(found) > 0 {
		t.Errorf("plain text after rotation:\n%s", strings.Join(found, "\n"))
	}
}

// A copying migration stopped half way loses nothing: a half-made copy is
// made again, and a copy whose old collection was already dropped is
// renamed into place.
func TestRewriteResumes(t *testing.T) {
	tests := []struct {
		name  string
		crash func(t *testing.T, db *mongo.Database)
	}{
		{"copy half made", func(t *testing.T, db *mongo.Database) {
			insert(t, db, "signatures_resealing", bson.D{{Key: "_id", Value: "sig-0000"}, {Key: "person", Value: bson.D{{Key: "name", Value: "half"}}}})
		}},
		{"old dropped, copy not renamed", func(t *testing.T, db *mongo.Database) {
			renameToCopy(t, db)
		}},
		{"old dropped, copy not renamed, collection made anew", func(t *testing.T, db *mongo.Database) {
			renameToCopy(t, db)
			// What start-up did before the migration ran first.
			if err := campaign.NewStore(db, testdb.Keys(t)).EnsureIndexes(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := dbs.Database(t)
			a := newApp(t, db, testdb.Keys(t))
			const n = 120
			var docs []any
			for i := range n {
				docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("sig-%04d", i)}, {Key: "campaign_id", Value: campaignID},
					{Key: "signed_at", Value: now}, {Key: "source", Value: "web"}, {Key: "updates", Value: false},
					{Key: "person", Value: bson.D{{Key: "name", Value: fmt.Sprintf("Алесь %d", i)}, {Key: "country", Value: "BY"}}}})
			}
			if err := a.signing.Store().EnsureIndexes(ctx); err != nil {
				t.Fatal(err)
			}
			insert(t, db, "signatures", docs...)
			tc.crash(t, db)
			for range 2 { // once to recover, once more to seal what the rename brought back
				if _, err := a.resealer.Migrate(ctx, true); err != nil {
					t.Fatal(err)
				}
			}
			names, err := db.ListCollectionNames(ctx, bson.D{})
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(names, "signatures_resealing") {
				t.Errorf("the copy is still there: %v", names)
			}
			usage, err := a.resealer.Usage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if usage["test1"] != n || usage[sealed.Plain] != 0 {
				t.Errorf("Usage = %v, want %d values under test1 and none plain", usage, n)
			}
			for i := range n {
				sig, err := a.signing.Store().Signature(ctx, fmt.Sprintf("sig-%04d", i))
				if err != nil || sig.Person.Name != fmt.Sprintf("Алесь %d", i) {
					t.Fatalf("signature %d = %+v, %v", i, sig, err)
				}
			}
			// The copy keeps the collection's indexes.
			specs, err := db.Collection("signatures").Indexes().ListSpecifications(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) < 2 {
				t.Errorf("indexes after the copy: %v, want the store's besides _id", specs)
			}
		})
	}
}

// renameToCopy leaves the signatures where a copying migration stopped
// between dropping the old collection and renaming the copy.
func renameToCopy(t *testing.T, db *mongo.Database) {
	t.Helper()
	cmd := bson.D{{Key: "renameCollection", Value: db.Name() + ".signatures"}, {Key: "to", Value: db.Name() + ".signatures_resealing"}}
	if err := db.Client().Database("admin").RunCommand(context.Background(), cmd).Err(); err != nil {
		t.Fatal(err)
	}
}
