package app_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/migrate"
	"github.com/solidarity-letters/solidarity/letters"
)

// growing are the collections that grow with signatures and greetings:
// nothing before /readyz may read them but by _id.
var growing = []string{"signatures", "greetings", "greeting_queue", "greeting_translations"}

// readWatch records the reads of the growing collections that are not by
// _id, while on.
type readWatch struct {
	mu    sync.Mutex
	on    bool
	reads []string
}

func (w *readWatch) started(_ context.Context, e *event.CommandStartedEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.on {
		return
	}
	for _, name := range []string{"find", "aggregate", "count", "distinct"} {
		coll, ok := e.Command.Lookup(name).StringValueOK()
		if !ok || !slices.Contains(growing, coll) {
			continue
		}
		if name == "find" {
			if f, ok := e.Command.Lookup("filter").DocumentOK(); ok {
				if elems, err := f.Elements(); err == nil && len(elems) == 1 && elems[0].Key() == "_id" {
					continue
				}
			}
		}
		w.reads = append(w.reads, fmt.Sprintf("%s %s %s", name, coll, e.Command.Lookup("filter")))
	}
}

// watchedDatabase returns db through a client of its own whose reads w
// watches.
func watchedDatabase(t *testing.T, db *mongo.Database, w *readWatch) *mongo.Database {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(&event.CommandMonitor{Started: w.started}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database(db.Name())
}

// approvedSite prepares an app on db with greetingSite's n greetings, the
// first `approved` of them approved, and returns it and the signature IDs.
func approvedSite(t *testing.T, db *mongo.Database, n, approved int) (*app.App, []string) {
	t.Helper()
	ctx := context.Background()
	a := newAppOn(t, db)
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	ids := greetingSite(t, a, n)
	for _, id := range ids[:approved] {
		if _, err := a.Moderation.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return a, ids
}

// greetingSite is a campaign "c" with n signatures, each with a greeting
// recorded through the greetings service, a second apart; it returns
// their IDs, oldest first.
func greetingSite(t *testing.T, a *app.App, n int) []string {
	t.Helper()
	ctx := context.Background()
	r := campaign.Recipient{ID: "r", Name: "Ales", Country: "BY", Languages: []string{"be", "ru"}, CensorWords: []string{"Лукашенко"}}
	if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	c := campaign.Campaign{ID: "c", Slug: "c", Title: "T", RecipientID: "r", TimeZone: "Europe/Minsk"}
	if err := a.Campaigns.CreateCampaign(ctx, &c); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := range n {
		id := fmt.Sprintf("sig-%02d", i)
		sig := campaign.Signature{ID: id, CampaignID: "c", SignedAt: at, Source: campaign.SourceWeb,
			Person: campaign.Person{Name: fmt.Sprintf("Name%02d Kowalska", i), City: "Minsk", Country: "BY", Email: id + "@example.org"}}
		if err := a.Campaigns.InsertSignature(ctx, &sig); err != nil {
			t.Fatal(err)
		}
		if err := a.Moderation.RecordGreeting(ctx, "c", id, fmt.Sprintf("Трымайся, нумар %d", i), at); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		at = at.Add(time.Second)
	}
	return ids
}

func queued(t *testing.T, a *app.App) []string {
	t.Helper()
	p, err := a.Moderation.Queue(context.Background(), "", letters.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range p.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func shownIDs(t *testing.T, a *app.App) []string {
	t.Helper()
	shown, err := a.Moderation.Latest(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range shown {
		ids = append(ids, s.ID)
	}
	return ids
}

// A start reads no growing collection but by _id before it is ready, and
// yet shows the right public greetings at once, another node's approval
// included; what a crash cut short in the moderation lists, and a
// greeting stored unchecked, are put right after the start, in the
// background.
func TestStartReadsNoGreetingsBeforeReady(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbs.Database(t)
	a, ids := approvedSite(t, db, 12, 9)
	// Another node approves one more.
	other := newAppOn(t, db)
	if err := other.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Moderation.Approve(ctx, ids[9]); err != nil {
		t.Fatal(err)
	}
	// A crash cut short the listing of ids[10]; an import stored a
	// greeting unchecked.
	if _, err := db.Collection("greeting_queue").DeleteOne(ctx, bson.M{"_id": ids[10]}); err != nil {
		t.Fatal(err)
	}
	imported := campaign.Signature{ID: "sig-imported", CampaignID: "c", SignedAt: time.Date(2027, 6, 1, 13, 0, 0, 0, time.UTC),
		Source: campaign.SourceWeb, Person: campaign.Person{Name: "Ira", Country: "BY", Email: "ira@example.org"}}
	if err := a.Campaigns.InsertSignature(ctx, &imported); err != nil {
		t.Fatal(err)
	}
	if err := a.Greetings.Insert(ctx, []letters.Greeting{{ID: imported.ID, CampaignID: "c",
		Text: "Свабоду Алесю Бяляцкаму! Лукашенко", Status: letters.StatusPending, CreatedAt: imported.SignedAt}}); err != nil {
		t.Fatal(err)
	}

	w := &readWatch{on: true}
	restarted := newAppOn(t, watchedDatabase(t, db, w))
	if err := restarted.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.on = false
	if len(w.reads) > 0 {
		t.Errorf("start-up read growing collections other than by _id:\n%v", w.reads)
	}
	w.mu.Unlock()
	want := slices.Clone(ids[4:10])
	slices.Reverse(want)
	if got := shownIDs(t, restarted); !slices.Equal(got, want) {
		t.Errorf("shown at start %v, want %v (the other node's approval first)", got, want)
	}
	if got := queued(t, restarted); !slices.Equal(got, ids[11:]) {
		t.Errorf("queue at start %v, want %v: the repair is not done before ready", got, ids[11:])
	}
	if _, err := restarted.Moderation.Approve(ctx, imported.ID); err == nil {
		t.Error("the unchecked greeting was approved before it was checked")
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- restarted.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	wantQueue := append(slices.Clone(ids[10:]), imported.ID)
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Equal(queued(t, restarted), wantQueue) {
		if time.Now().After(deadline) {
			t.Fatalf("queue after start %v, want %v", queued(t, restarted), wantQueue)
		}
		time.Sleep(20 * time.Millisecond)
	}
	g, err := restarted.Greetings.Greeting(ctx, imported.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Checked || !slices.Contains(g.Flags, letters.FlagCensor) || g.Language != "be" {
		t.Errorf("the imported greeting after start: checked %v, flags %v, language %q; want checked, censor flag, be", g.Checked, g.Flags, g.Language)
	}
}

// The migration to lists of public greetings fills them for a database
// of the version before, whose shown_versions documents held a version
// only, or none (a campaign approved before there were versions).
func TestMigrationFillsPublicGreetingLists(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		old  func(ctx context.Context, shown *mongo.Collection) error
	}{
		{"version only", func(ctx context.Context, shown *mongo.Collection) error {
			_, err := shown.UpdateOne(ctx, bson.M{"_id": "c"}, bson.M{"$unset": bson.M{"ids": ""}})
			return err
		}},
		{"no document", func(ctx context.Context, shown *mongo.Collection) error {
			_, err := shown.DeleteOne(ctx, bson.M{"_id": "c"})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := dbs.Database(t)
			_, ids := approvedSite(t, db, 30, 28)
			shown := db.Collection("shown_versions")
			if err := tt.old(ctx, shown); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Collection(migrate.Collection).UpdateOne(ctx, bson.M{"_id": "version"}, bson.M{"$set": bson.M{"version": 13}}); err != nil {
				t.Fatal(err)
			}

			b := newAppOn(t, db)
			if err := b.Prepare(ctx); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				V   int64 `bson:"v"`
				IDs []struct {
					ID string `bson:"_id"`
				} `bson:"ids"`
			}
			if err := shown.FindOne(ctx, bson.M{"_id": "c"}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range doc.IDs {
				got = append(got, r.ID)
			}
			want := slices.Clone(ids[:28])
			slices.Reverse(want)
			want = want[:letters.ShownListed]
			if !slices.Equal(got, want) || doc.V == 0 {
				t.Errorf("list after the migration %v (version %d), want %v", got, doc.V, want)
			}
			if got := shownIDs(t, b); !slices.Equal(got, want[:letters.PublicCount]) {
				t.Errorf("shown after the migration %v, want %v", got, want[:letters.PublicCount])
			}
			// The next approval goes on from the filled list.
			if _, err := b.Moderation.Approve(ctx, ids[29]); err != nil {
				t.Fatal(err)
			}
			if got := shownIDs(t, b); len(got) == 0 || got[0] != ids[29] {
				t.Errorf("shown after the next approval %v, want %s first", got, ids[29])
			}
		})
	}
}
