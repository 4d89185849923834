package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/web"
)

// backupNode is an app over db with the test keys and the clock clk,
// prepared.
func backupNode(t *testing.T, db *mongo.Database, clk *testclock.Clock) *app.App {
	t.Helper()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(db), k, app.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// names in several scripts, for signatures and greetings.
var scriptNames = []string{"Аляксандра Лук", "Zoë Müller", "Γιώργος Π", "Անի Սարգսյան", "ნინო ბერიძე", "Jan Kowalski"}

// fillEveryKind stores data of every kind through the services: a letter
// campaign with signatures in several scripts and greetings in each
// moderation state, a built bundle, delivery events, a drive with its
// print run, a post with a scan, console users, audit entries and a
// queued message.
func fillEveryKind(t *testing.T, a *app.App, clk *testclock.Clock) (*campaign.Campaign, *campaign.Campaign) {
	t.Helper()
	ctx := context.Background()
	r := campaign.Recipient{ID: "r-ales", Name: "Алесь Бяляцкі", Address: []string{"Demo address"}, Country: "BY"}
	if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	c := &campaign.Campaign{
		ID: "letter", Slug: "letter", Title: "Send a message to Ales Bialiatski", Summary: "A message from outside.",
		Letter: "Dear Ales,\n\nYou are not forgotten.", OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 1000,
		OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC), TimeZone: "UTC",
		Greetings: campaign.Greetings{Enabled: true, MaxLength: 500, ShowPublic: true},
	}
	if err := a.Campaigns.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	statuses := []letters.Status{letters.StatusApproved, letters.StatusPending, letters.StatusRejected}
	for i := range 30 {
		name := scriptNames[i%len(scriptNames)]
		sig := campaign.Signature{ID: fmt.Sprintf("sig-%03d", i), SignedAt: clk.Now().Add(-time.Duration(i) * time.Minute),
			Source: campaign.SourceWeb, HasGreeting: i%3 == 0, Person: campaign.Person{Name: name, City: "Vilnius", Country: []string{"LT", "PL", "BY"}[i%3]}}
		if _, err := a.Signing.AddSignatures(ctx, c.ID, []campaign.Signature{sig}); err != nil {
			t.Fatal(err)
		}
		if sig.HasGreeting {
			g := letters.Greeting{ID: sig.ID, CampaignID: c.ID, Text: "Тримайтеся! Stay strong, " + name, Status: statuses[i/3%3], CreatedAt: sig.SignedAt, Checked: true}
			if err := a.Greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.Signing.Sign(ctx, c, campaign.SignInput{Name: "Ірына Шэйна", Email: "iryna@example.org", City: "Гродна", Country: "LT",
		Greeting: "Свабоду! Freedom!", Consent: true}); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if err := a.Signing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	job, err := a.Bundles.Enqueue(ctx, c, bundle.Options{}, "organizer@example.org")
	if err != nil {
		t.Fatalf("queue a bundle: %v", err)
	}
	if ok, err := a.Bundles.RunOnce(ctx); err != nil || !ok {
		t.Fatalf("build the bundle: %v, %v", ok, err)
	}
	if j, err := a.Bundles.Job(ctx, job.ID); err != nil || j.Status != bundle.StatusDone {
		t.Fatalf("bundle %+v, %v; want it built", j, err)
	}
	for _, e := range []delivery.Event{
		{Kind: delivery.KindPosted, Day: "2027-06-01", Public: true, Method: delivery.MethodRegistered, Envelopes: 1, PublicNote: "Posted", InternalNote: "At the main post office"},
		{Kind: delivery.KindReply, Day: "2027-06-01", Public: false, InternalNote: "A postcard came back"},
	} {
		if _, err := a.Delivery.Save(ctx, c, &e, "organizer@example.org"); err != nil {
			t.Fatalf("delivery event: %v", err)
		}
	}

	for _, r := range []campaign.Recipient{
		{ID: "r-maria", Name: "Maria Kalesnikava", Address: []string{"Gomel women's colony 4"}, Country: "BY"},
		{ID: "r-ihar", Name: "Ігар Лосік", Address: []string{"Minsk detention centre 1"}, Country: "BY"},
	} {
		if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	d := &campaign.Campaign{ID: "drive", Slug: "drive", Title: "Cards for the new year", Letter: "Dear friend,\n\nThese cards are for you.",
		OrganizerName: "Test NGO", Kind: campaign.KindDrive, RecipientIDs: []string{"r-maria", "r-ihar"},
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := a.Campaigns.CreateCampaign(ctx, d); err != nil {
		t.Fatal(err)
	}
	for i, to := range []string{"r-maria", "r-ihar", "r-maria"} {
		sig := campaign.Signature{ID: fmt.Sprintf("card-%d", i), SignedAt: clk.Now().Add(-time.Duration(i) * time.Second), Source: campaign.SourceWeb,
			HasGreeting: true, RecipientID: to, Person: campaign.Person{Name: scriptNames[i], City: "Riga", Country: "LV"}}
		if _, err := a.Signing.AddSignatures(ctx, d.ID, []campaign.Signature{sig}); err != nil {
			t.Fatal(err)
		}
		g := letters.Greeting{ID: sig.ID, CampaignID: d.ID, Text: "С Новым годом, " + scriptNames[i], Status: letters.StatusApproved, CreatedAt: sig.SignedAt, Checked: true}
		if err := a.Greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Signing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if _, err := a.PrintRuns.Enqueue(ctx, d, bundle.Options{}, "organizer@example.org"); err != nil {
		t.Fatalf("queue a print run: %v", err)
	}
	for {
		ok, err := a.PrintRuns.RunOnce(ctx)
		if err != nil {
			t.Fatalf("print run: %v", err)
		}
		if !ok {
			break
		}
	}

	p, err := a.Posts.Create(ctx, posts.Input{Title: "A letter from Ales", Lang: "en", RecipientID: "r-ales", Kind: string(posts.KindFrom), WrittenOn: "2027-05-20", WrittenAt: "Babruysk",
		ReceivedOn: "2027-05-30", ReceivedBy: string(posts.ByPost), Excerpt: "He thanks everyone.", Body: "He thanks everyone who wrote.", CampaignID: c.ID,
		Consent: true, ConsentBy: "his family"})
	if err != nil {
		t.Fatalf("create a post: %v", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{R: 200, A: 255})
	}
	var scan bytes.Buffer
	if err := png.Encode(&scan, img); err != nil {
		t.Fatal(err)
	}
	if p, err = a.Posts.AddScan(ctx, p.ID, p.Version, scan.Bytes()); err != nil {
		t.Fatalf("add a scan: %v", err)
	}
	if _, err := a.Posts.Publish(ctx, p.ID, p.Version, time.Time{}, "organizer@example.org"); err != nil {
		t.Fatalf("publish: %v", err)
	}

	if _, err := a.Accounts.AddUser(ctx, "admin@example.org", account.RoleAdmin, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.AddUser(ctx, "moderator@example.org", account.RoleModerator, "another long password"); err != nil {
		t.Fatal(err)
	}
	if err := a.Audit.Record(ctx, "admin@example.org", audit.Login, "admin@example.org", "from the test"); err != nil {
		t.Fatal(err)
	}
	if err := a.Mail.Enqueue(ctx, mail.Message{Kind: "update", Lang: "en", To: "iryna@example.org", Subject: "News of your letter",
		Text: "The letters were posted.", Key: "update/letter/1", About: []string{"campaign:" + c.ID}}); err != nil {
		t.Fatalf("queue a message: %v", err)
	}
	return c, d
}

// backupOf writes a backup of db and returns it with the key that opens it.
func backupOf(t *testing.T, db *mongo.Database, now time.Time) ([]byte, age.Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Write(context.Background(), db, &buf, []age.Recipient{id.Recipient()}, now); err != nil {
		t.Fatalf("backup: %v", err)
	}
	return buf.Bytes(), id
}

// restoreInto restores file into the empty db as `solidarity restore`
// does: the data, then AfterRestore.
func restoreInto(t *testing.T, db *mongo.Database, file []byte, id age.Identity, clk *testclock.Clock) {
	t.Helper()
	ctx := context.Background()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(db), k, app.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ms := a.Migrations()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }
	if _, err := backup.Restore(ctx, db, open, []age.Identity{id}, backup.RestoreOptions{MaxSchema: ms[len(ms)-1].Version}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, err := a.AfterRestore(ctx); err != nil {
		t.Fatalf("after restore: %v", err)
	}
}

// apiCount is the count the public API gives for slug, served by a's web
// server.
func apiCount(t *testing.T, a *app.App, slug string) int64 {
	t.Helper()
	srv, err := a.Web(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	res, err := http.Get("http://" + ln.Addr().String() + "/api/v1/campaigns/" + slug)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Count int64 `json:"signatures"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET the campaign's API: %d, %v", res.StatusCode, err)
	}
	return body.Count
}

// Data of every kind is backed up and restored into an empty database
// document for document, raw BSON equal, collection for collection; the
// restored app serves the campaigns with the counts the original served.
func TestBackupRoundTripEveryKind(t *testing.T) {
	t.Parallel()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	src := dbs.Database(t)
	a := backupNode(t, src, clk)
	c, d := fillEveryKind(t, a, clk)
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	if err := keys.Check(context.Background(), src, k, clk.Now()); err != nil { // what serve records at start
		t.Fatal(err)
	}
	want := testdb.Dump(t, src)
	for _, n := range []string{"campaigns", "recipients", "signatures", "greetings", "counters", "bundle_jobs", "bundle_numbers", "print_runs",
		"print_parts", "posts", "post_scans", "delivery_events", "users", "audit", "mail_queue", "keyring", "schema"} {
		if len(want[n]) == 0 {
			t.Errorf("the source database has no %s: the test data misses a kind", n)
		}
	}
	file, id := backupOf(t, src, clk.Now())

	dst := dbs.Database(t)
	restoreInto(t, dst, file, id, clk)
	got := testdb.Dump(t, dst)
	for name, docs := range want {
		if name == "counters" {
			continue // the recount may rewrite its bookkeeping; checked by the counts below
		}
		if len(got[name]) != len(docs) {
			t.Errorf("%s: %d documents restored, want %d", name, len(got[name]), len(docs))
			continue
		}
		for i := range docs {
			if !bytes.Equal(docs[i], got[name][i]) {
				t.Errorf("%s: document %d restored as\n%s\nwant\n%s", name, i, got[name][i], docs[i])
				break
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the restored database has a collection %s the source had not", name)
		}
	}
	b := backupNode(t, dst, clk)
	for _, camp := range []*campaign.Campaign{c, d} {
		if w, g := apiCount(t, a, camp.Slug), apiCount(t, b, camp.Slug); g != w || w == 0 {
			t.Errorf("%s: the restored site serves a count of %d, the original %d", camp.Slug, g, w)
		}
	}
	// The restored data opens with the keys: a signature's sealed name.
	var names []string
	if err := b.Campaigns.EachSignature(context.Background(), c.ID, func(s *campaign.Signature) error {
		names = append(names, s.Person.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "Ірына Шэйна") || !slices.Contains(names, "ნინო ბერიძე") {
		t.Errorf("the restored signatures open to %v, want the names signed", names)
	}
}

// A backup taken while supporters sign through the real service restores,
// and after restore the counts the app serves are the restored signatures.
func TestBackupWhileSigning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	src := dbs.Database(t)
	a := backupNode(t, src, clk)
	c := addCampaign(t, a, "busy")
	var next atomic.Int64
	signBatch := func() error {
		var sigs []campaign.Signature
		for range 20 {
			i := next.Add(1)
			sigs = append(sigs, campaign.Signature{ID: fmt.Sprintf("busy-%06d", i), SignedAt: clk.Now(), Source: campaign.SourceWeb,
				Person: campaign.Person{Name: scriptNames[i%int64(len(scriptNames))], Country: []string{"PL", "SE", "LT"}[i%3]}})
		}
		_, err := a.Signing.AddSignatures(ctx, c.ID, sigs)
		return err
	}
	for range 50 {
		if err := signBatch(); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Signing.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var during atomic.Int64
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := signBatch(); err != nil {
					t.Error(err)
					return
				}
				during.Add(20)
				// The counts reach the counter documents as a node writes them.
				if err := a.Signing.Refresh(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Let signing get going before the backup begins.
	for deadline := time.Now().Add(30 * time.Second); during.Load() < 100 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	file, id := backupOf(t, src, clk.Now())
	close(stop)
	wg.Wait()
	if during.Load() < 100 {
		t.Fatalf("only %d signatures were made while the backup ran", during.Load())
	}

	dst := dbs.Database(t)
	restoreInto(t, dst, file, id, clk)
	n, err := dst.Collection("signatures").CountDocuments(ctx, bson.D{{Key: "campaign_id", Value: c.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if n <= 1000 {
		t.Fatalf("the backup holds %d signatures, want more than the 1000 made before it", n)
	}
	b := backupNode(t, dst, clk)
	if got := b.Signing.Count(c.ID); got != n {
		t.Errorf("after restore the campaign counts %d, the restored signatures are %d", got, n)
	}
	if got := apiCount(t, b, c.Slug); got != n {
		t.Errorf("after restore the API serves a count of %d, the restored signatures are %d", got, n)
	}
}

// A backup of an older schema version restores, and the migrations it
// lacks run after the data is in.
func TestRestoreOlderSchemaMigrates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	src := dbs.Database(t)
	a := backupNode(t, src, clk)
	addCampaign(t, a, "old")
	ms := a.Migrations()
	latest := ms[len(ms)-1].Version
	// What the version before the last left: no backup collections, and
	// the schema version one lower.
	for _, n := range []string{backup.ResultsCollection, backup.ClaimsCollection} {
		if err := src.Collection(n).Drop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Collection("schema").UpdateOne(ctx, bson.D{{Key: "_id", Value: "version"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: latest - 1}}}}); err != nil {
		t.Fatal(err)
	}
	file, id := backupOf(t, src, clk.Now())
	dst := dbs.Database(t)
	restoreInto(t, dst, file, id, clk)
	var v struct {
		Version int `bson:"version"`
	}
	if err := dst.Collection("schema").FindOne(ctx, bson.D{{Key: "_id", Value: "version"}}).Decode(&v); err != nil || v.Version != latest {
		t.Errorf("after restoring a backup of version %d the database is at %d (%v), want %d", latest-1, v.Version, err, latest)
	}
	names, err := dst.ListCollectionNames(ctx, bson.D{{Key: "name", Value: backup.ResultsCollection}})
	if err != nil || len(names) != 1 {
		t.Errorf("the last migration's collection after the restore: %v, %v", names, err)
	}
}
