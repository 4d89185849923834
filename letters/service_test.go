package letters_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// fixture is a greetings service over a fresh database holding the demo
// recipient's rules and one campaign, "c".
type fixture struct {
	db        *mongo.Database
	svc       *letters.Service
	campaigns *campaign.Store
	clock     *testclock.Clock
	n         int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOn(t, dbs.Database(t))
}

// newFixtureOn is newFixture on db, a fresh database.
func newFixtureOn(t testing.TB, db *mongo.Database) *fixture {
	t.Helper()
	ctx := context.Background()
	cs := campaign.NewStore(db, testdb.Keys(t))
	r := campaign.Recipient{ID: "r", Name: "Ales", Country: "BY", Languages: rulesBeRu.Languages, CensorWords: rulesBeRu.CensorWords}
	if err := cs.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c", "d"} {
		c := campaign.Campaign{ID: id, Slug: "slug-" + id, Title: "T", RecipientID: "r", TimeZone: "Europe/Minsk"}
		if err := cs.CreateCampaign(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	store := letters.NewStore(db, testdb.Keys(t))
	for range 2 {
		if err := store.EnsureIndexes(ctx); err != nil {
			t.Fatalf("EnsureIndexes: %v", err)
		}
		if err := store.EnsureDecoys(ctx); err != nil {
			t.Fatalf("EnsureDecoys: %v", err)
		}
	}
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	return &fixture{db: db, svc: letters.NewService(store, cs, clk.Now), campaigns: cs, clock: clk}
}

// greet signs campaign c as "<name> Kowalska" from Minsk with text, a
// second later than the previous greeting, and returns the signature ID.
func (f *fixture) greet(t *testing.T, campaignID, name, text string) string {
	t.Helper()
	f.n++
	id := fmt.Sprintf("sig-%03d", f.n)
	at := f.clock.Now().Truncate(time.Millisecond)
	f.clock.Add(time.Second)
	sig := campaign.Signature{ID: id, CampaignID: campaignID, SignedAt: at, Source: campaign.SourceWeb,
		Person: campaign.Person{Name: name + " Kowalska", City: "Minsk", Country: "BY", Email: "secret@example.org"}}
	if err := f.campaigns.InsertSignature(context.Background(), &sig); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordGreeting(context.Background(), campaignID, id, text, at); err != nil {
		t.Fatalf("RecordGreeting: %v", err)
	}
	return id
}

func (f *fixture) greeting(t *testing.T, id string) *letters.Greeting {
	t.Helper()
	g, err := f.svc.Store().Greeting(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRecordGreetingFlags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.greet(t, "c", "Anna", "Жыве Беларусь!")
	dup := f.greet(t, "c", "Olga", "жыве,  БЕЛАРУСЬ")
	other := f.greet(t, "d", "Iryna", "Жыве Беларусь!")
	polish := f.greet(t, "c", "Ewa", "Drogi Alesiu, jesteśmy z Panem. Pozdrowienia z Białegostoku!")
	tests := []struct {
		id        string
		flags     []letters.Flag
		lang      string
		translate bool
	}{
		{first, []letters.Flag{letters.FlagCensor}, "be", false},
		{dup, []letters.Flag{letters.FlagCensor, letters.FlagDuplicate}, "be", false},
		{other, []letters.Flag{letters.FlagCensor}, "be", false}, // duplicates count per campaign
		{polish, []letters.Flag{letters.FlagScript}, "pl", true},
	}
	for _, tt := range tests {
		g := f.greeting(t, tt.id)
		if !slices.Equal(g.Flags, tt.flags) || g.Flagged != (len(tt.flags) > 0) || g.Language != tt.lang ||
			g.NeedsTranslation != tt.translate || !g.Checked || g.Status != letters.StatusPending {
			t.Errorf("greeting %q: flags %v (flagged %v), language %q, needs translation %v, checked %v, status %s; "+
				"want flags %v, language %q, needs translation %v, pending", g.Text, g.Flags, g.Flagged, g.Language,
				g.NeedsTranslation, g.Checked, g.Status, tt.flags, tt.lang, tt.translate)
		}
	}

	// Recording the same signature's greeting again keeps the first and
	// does not make it a duplicate of itself.
	if err := f.svc.RecordGreeting(ctx, "c", first, "something else", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if g := f.greeting(t, first); g.Text != "Жыве Беларусь!" || slices.Contains(g.Flags, letters.FlagDuplicate) {
		t.Errorf("after recording again: %q with flags %v, want the first text without the duplicate flag", g.Text, g.Flags)
	}

	// An unknown campaign is an error, not a greeting without rules.
	if err := f.svc.RecordGreeting(ctx, "nope", "sig-x", "hi", f.clock.Now()); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("RecordGreeting for an unknown campaign: %v, want ErrNotFound", err)
	}
}

func TestQueuePagesOldestFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		want = append(want, f.greet(t, "c", "Anna", fmt.Sprintf("Трымайся %d", i)))
		if i == 3 {
			f.greet(t, "d", "Olga", "Іншая кампанія")
		}
	}
	// Two greetings at the same instant are ordered by ID.
	f.clock.Add(-time.Second)
	want = append(want, f.greet(t, "c", "Ewa", "Апошні"))

	var got []string
	var after letters.Cursor
	pages := 0
	for {
		p, err := f.svc.Queue(ctx, "c", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range p.Items {
			got = append(got, it.ID)
			if it.Author.Name == "" || it.Author.City != "Minsk" || it.Author.Email != "" {
				t.Errorf("author of %s = %+v, want the name and city without the email", it.ID, it.Author)
			}
		}
		if p.Next.IsZero() {
			break
		}
		after = p.Next
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("queue of c in pages of 3 = %v in %d pages, want %v in 3", got, pages, want)
	}
	all, err := f.svc.Queue(ctx, "", letters.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 9 || !all.Next.IsZero() {
		t.Errorf("queue of all campaigns: %d items, next %v; want 9 and no next page", len(all.Items), all.Next)
	}
}

func TestDecisions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.greet(t, "c", "Anna", "Дарагі Алесь, трымайцеся!")
	b := f.greet(t, "c", "Olga", "Звані +375 29 123 45 67")
	c := f.greet(t, "c", "Ewa", "Мы з вамі, Алесь.")
	d := f.greet(t, "c", "Iryna", "Дзякуй!")

	if _, err := f.svc.Reject(ctx, d, "rude"); !errors.Is(err, letters.ErrInvalidReason) {
		t.Errorf("reject with an unknown reason: %v, want ErrInvalidReason", err)
	}
	g, err := f.svc.Reject(ctx, d, letters.ReasonNotGreeting)
	if err != nil || g.Status != letters.StatusRejected || g.Reason != letters.ReasonNotGreeting {
		t.Fatalf("Reject = %+v, %v", g, err)
	}
	approved, err := f.svc.ApproveUnflagged(ctx, []string{a, b, d, "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(approved) != 1 || approved[0].ID != a {
		t.Errorf("ApproveUnflagged approved %v, want only %s (b is flagged, d rejected)", approved, a)
	}
	if g := f.greeting(t, b); g.Status != letters.StatusPending {
		t.Errorf("flagged greeting after bulk approval: %s, want pending", g.Status)
	}
	if g := f.greeting(t, d); g.Status != letters.StatusRejected {
		t.Errorf("rejected greeting after bulk approval: %s, want rejected", g.Status)
	}
	if _, err := f.svc.Approve(ctx, b); err != nil {
		t.Errorf("approve a flagged greeting one by one: %v", err)
	}
	if _, err := f.svc.Approve(ctx, d); !errors.Is(err, letters.ErrDecided) {
		t.Errorf("approve a rejected greeting: %v, want ErrDecided", err)
	}
	if _, err := f.svc.Approve(ctx, "missing"); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("approve a missing greeting: %v, want ErrNotFound", err)
	}
	counts, err := f.svc.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[letters.Status]int64{letters.StatusApproved: 2, letters.StatusRejected: 1, letters.StatusPending: 1}
	for st, n := range want {
		if counts["c"][st] != n {
			t.Errorf("count of %s = %d, want %d", st, counts["c"][st], n)
		}
	}
	p, err := f.svc.Queue(ctx, "c", letters.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != c {
		t.Errorf("queue after decisions = %v, want only %s", p.Items, c)
	}
}

func TestLanguageAndTranslation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pl := f.greet(t, "c", "Ewa", "Trzymaj się, Ales!")
	be := f.greet(t, "c", "Anna", "Трымайся, Алесь!")
	for _, id := range []string{pl, be} {
		if _, err := f.svc.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []string {
		t.Helper()
		p, err := f.svc.Translations(ctx, "", letters.Cursor{}, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range p.Items {
			ids = append(ids, it.ID)
			if !slices.Equal(it.Languages, []string{"be", "ru"}) {
				t.Errorf("languages of %s = %v, want be, ru", it.ID, it.Languages)
			}
		}
		return ids
	}
	if got := list(); !slices.Equal(got, []string{pl}) {
		t.Fatalf("to translate = %v, want the Polish greeting", got)
	}

	// The moderator says the Belarusian one is Ukrainian: now it needs one.
	if _, _, err := f.svc.SetLanguage(ctx, be, "xx"); !errors.Is(err, letters.ErrInvalidLanguage) {
		t.Errorf("SetLanguage xx: %v, want ErrInvalidLanguage", err)
	}
	g, before, err := f.svc.SetLanguage(ctx, be, "uk")
	if err != nil || before != "be" || g.Language != "uk" || !g.LanguageCorrected || !g.NeedsTranslation {
		t.Fatalf("SetLanguage uk = %+v, before %q, %v", g, before, err)
	}
	if got := list(); !slices.Equal(got, []string{pl, be}) {
		t.Errorf("to translate = %v, want both", got)
	}
	if _, _, err := f.svc.SetLanguage(ctx, be, "be"); err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.Translate(ctx, pl, "pl", " ")
	if !errors.Is(err, letters.ErrTranslationEmpty) || !errors.Is(err, letters.ErrTranslationLanguage) {
		t.Errorf("empty translation into Polish: %v, want both problems", err)
	}
	if _, err := f.svc.ReviewTranslation(ctx, pl, true); !errors.Is(err, letters.ErrDecided) {
		t.Errorf("approve a translation never written: %v, want ErrDecided", err)
	}
	g, err = f.svc.Translate(ctx, pl, "be", "  Трымайся,\r\nАлесь! ")
	if err != nil || g.Translation == nil || g.Translation.Text != "Трымайся,\nАлесь!" || g.Translation.Status != letters.TranslationSubmitted {
		t.Fatalf("Translate = %+v, %v", g, err)
	}
	if g, err = f.svc.ReviewTranslation(ctx, pl, false); err != nil || g.Translation.Status != letters.TranslationRejected {
		t.Fatalf("reject translation = %+v, %v", g, err)
	}
	if _, err := f.svc.Translate(ctx, pl, "ru", "Держись, Алесь!"); err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.ReviewTranslation(ctx, pl, true); err != nil || !g.Translation.Approved() || g.Text != "Trzymaj się, Ales!" {
		t.Fatalf("approve translation = %+v, %v", g, err)
	}
	if _, err := f.svc.Translate(ctx, pl, "be", "Іншы"); !errors.Is(err, letters.ErrDecided) {
		t.Errorf("translate after approval: %v, want ErrDecided", err)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("to translate after approval = %v, want none", got)
	}
}

func TestLatest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for i := range 8 {
		ids = append(ids, f.greet(t, "c", fmt.Sprintf("Name%d", i), fmt.Sprintf("Трымайся, нумар %d", i)))
	}
	shown, err := f.svc.Latest(ctx, "c")
	if err != nil || len(shown) != 0 {
		t.Fatalf("Latest before any approval = %v, %v; want none", shown, err)
	}
	for _, id := range ids[:7] {
		if _, err := f.svc.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	shown, err = f.svc.Latest(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range shown {
		names = append(names, s.FirstName)
		if s.City != "Minsk" || s.Country != "BY" {
			t.Errorf("shown %+v, want city and country", s)
		}
	}
	want := []string{"Name6", "Name5", "Name4", "Name3", "Name2", "Name1"}
	if !slices.Equal(names, want) {
		t.Errorf("Latest = %v, want %v (newest approved first, first names only)", names, want)
	}

	// Approval here shows at once; erasure too.
	if _, err := f.svc.Approve(ctx, ids[7]); err != nil {
		t.Fatal(err)
	}
	if shown, _ = f.svc.Latest(ctx, "c"); len(shown) == 0 || shown[0].FirstName != "Name7" {
		t.Errorf("after approving Name7, Latest starts with %v", shown)
	}
	if err := f.svc.EraseGreeting(ctx, ids[7]); err != nil {
		t.Fatal(err)
	}
	if shown, _ = f.svc.Latest(ctx, "c"); len(shown) == 0 || shown[0].FirstName != "Name6" {
		t.Errorf("after erasing Name7, Latest starts with %v", shown)
	}
	if _, err := f.svc.Store().Greeting(ctx, ids[7]); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("erased greeting: %v, want ErrNotFound", err)
	}

	// A change made by another node shows at this node's next refresh,
	// and a node that starts reads what is shown.
	other := letters.NewService(f.svc.Store(), f.campaigns, f.clock.Now)
	if _, err := other.Approve(ctx, f.greet(t, "c", "Late", "Позна, але шчыра")); err != nil {
		t.Fatal(err)
	}
	if shown, _ = f.svc.Latest(ctx, "c"); shown[0].FirstName != "Name6" {
		t.Errorf("before a refresh, Latest starts with %s, want the kept Name6", shown[0].FirstName)
	}
	_, before := f.svc.LatestVersion("c")
	if err := f.svc.RefreshShown(ctx); err != nil {
		t.Fatal(err)
	}
	shown, after := f.svc.LatestVersion("c")
	if shown[0].FirstName != "Late" || after == before {
		t.Errorf("after a refresh, Latest starts with %s at version %d (was %d), want Late at a new version", shown[0].FirstName, after, before)
	}
	if err := f.svc.RefreshShown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, again := f.svc.LatestVersion("c"); again != after {
		t.Errorf("a refresh without changes moved the version from %d to %d", after, again)
	}
	// A change whose note was not written (a crash between the decision and
	// the note) is not read by the periodic reload, which reads only what
	// the lists name: it shows after the next start's Repair.
	unnoted := f.greet(t, "c", "Unnoted", "Без нататкі")
	if _, err := f.svc.Store().Decide(ctx, unnoted, letters.StatusApproved, "", f.clock.Now(), false); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(6 * time.Minute)
	if err := f.svc.RefreshShown(ctx); err != nil {
		t.Fatal(err)
	}
	if shown, _ = f.svc.Latest(ctx, "c"); shown[0].FirstName != "Late" {
		t.Errorf("after six minutes, Latest starts with %s, want the listed Late", shown[0].FirstName)
	}

	third := letters.NewService(f.svc.Store(), f.campaigns, f.clock.Now)
	if err := third.LoadShown(ctx); err != nil {
		t.Fatal(err)
	}
	if shown, _ = third.Latest(ctx, "c"); len(shown) != letters.PublicCount || shown[0].FirstName != "Late" {
		t.Errorf("a node that starts shows %d greetings, first %v; want %d, Late first", len(shown), shown, letters.PublicCount)
	}
	if r, err := third.Repair(ctx); err != nil || r.Rebuilt != 1 {
		t.Fatalf("Repair = %+v, %v; want one list rebuilt", r, err)
	}
	if shown, _ = third.Latest(ctx, "c"); len(shown) != letters.PublicCount || shown[0].FirstName != "Unnoted" {
		t.Errorf("after Repair, a node that starts shows %d greetings, first %v; want %d, Unnoted first", len(shown), shown, letters.PublicCount)
	}
	if err := f.svc.RefreshShown(ctx); err != nil {
		t.Fatal(err)
	}
	if shown, _ = f.svc.Latest(ctx, "c"); shown[0].FirstName != "Unnoted" {
		t.Errorf("after the repair, the other node's refresh starts with %s, want Unnoted", shown[0].FirstName)
	}
}

// Greetings stored unchecked (demo data, imports) are neither listed,
// decided on nor shown until Repair checks them; Repair puts right the
// lists that a change cut short.
func TestRepair(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := f.clock.Now().Truncate(time.Millisecond)
	gs := []letters.Greeting{
		{ID: "b", CampaignID: "c", Text: "Stay strong!", Status: letters.StatusApproved, CreatedAt: at.Add(time.Minute)},
		{ID: "a", CampaignID: "c", Text: "Stay strong", Status: letters.StatusPending, CreatedAt: at},
		{ID: "z", CampaignID: "gone", Text: "Трымайся", Status: letters.StatusPending, CreatedAt: at},
	}
	sig := campaign.Signature{ID: "b", CampaignID: "c", SignedAt: at.Add(time.Minute), Source: campaign.SourceWeb,
		Person: campaign.Person{Name: "Bob Smith", City: "Leeds", Country: "GB", Email: "bob@example.org"}}
	if err := f.campaigns.InsertSignature(ctx, &sig); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Store().Insert(ctx, gs); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.LoadShown(ctx); err != nil {
		t.Fatal(err)
	}
	if shown, _ := f.svc.Latest(ctx, "c"); len(shown) != 0 {
		t.Errorf("before Repair, the unchecked approved b shows: %+v", shown)
	}
	if _, err := f.svc.Approve(ctx, "a"); !errors.Is(err, letters.ErrDecided) {
		t.Errorf("approve the unchecked a: %v, want ErrDecided", err)
	}
	if g := f.greeting(t, "a"); g.Status != letters.StatusPending {
		t.Errorf("the unchecked a is %s, want pending", g.Status)
	}
	printed := func() []string {
		t.Helper()
		var ids []string
		if err := f.svc.Store().EachApproved(ctx, "c", func(g *letters.Greeting) error {
			ids = append(ids, g.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := printed(); len(got) != 0 {
		t.Errorf("before Repair, the bundle gets the unchecked %v", got)
	}
	r, err := f.svc.Repair(ctx)
	if err != nil || r.Checked != 3 || r.Read != 3 {
		t.Fatalf("Repair = %+v, %v; want 3 read and checked", r, err)
	}
	if shown, _ := f.svc.Latest(ctx, "c"); len(shown) != 1 || shown[0].ID != "b" || shown[0].FirstName != "Bob" {
		t.Errorf("after Repair, shown %+v; want b by Bob", shown)
	}
	if got := printed(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after Repair, the bundle gets %v, want b", got)
	}
	if g := f.greeting(t, "a"); !slices.Equal(g.Flags, []letters.Flag{letters.FlagScript}) || g.Language != "en" || !g.NeedsTranslation {
		t.Errorf("older greeting: %+v, want script flag, en, needs translation", g)
	}
	if g := f.greeting(t, "b"); !slices.Equal(g.Flags, []letters.Flag{letters.FlagScript, letters.FlagDuplicate}) {
		t.Errorf("newer copy: flags %v, want script and duplicate", g.Flags)
	}
	if g := f.greeting(t, "z"); !g.Checked || g.Flagged {
		t.Errorf("greeting of a campaign that is gone: %+v, want checked without rules", g)
	}
	queued := func() []string {
		t.Helper()
		p, err := f.svc.Queue(ctx, "", letters.Cursor{}, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if got := queued(); !slices.Equal(got, []string{"a", "z"}) {
		t.Errorf("queue after Repair = %v, want the pending a and z", got)
	}
	if p, err := f.svc.Translations(ctx, "", letters.Cursor{}, 50); err != nil || len(p.Items) != 1 || p.Items[0].ID != "b" {
		t.Errorf("to translate after Repair = %+v, %v; want the approved English b", p.Items, err)
	}

	// Lists that went wrong (a change cut short) are put right: a stale
	// entry when someone decides on it, a missing one by the next Repair.
	queue := f.db.Collection("greeting_queue")
	if _, err := queue.DeleteOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := queue.InsertOne(ctx, bson.M{"_id": "b", "campaign_id": "c", "created_at": at}); err != nil {
		t.Fatal(err)
	}
	if got := queued(); !slices.Equal(got, []string{"b", "z"}) {
		t.Errorf("queue with a lost and a stale entry = %v, want b and z", got)
	}
	if _, err := f.svc.Approve(ctx, "b"); !errors.Is(err, letters.ErrDecided) {
		t.Errorf("approve the stale b: %v, want ErrDecided", err)
	}
	if got := queued(); !slices.Equal(got, []string{"z"}) {
		t.Errorf("queue after deciding on the stale entry = %v, want z", got)
	}
	if n, err := queue.CountDocuments(ctx, bson.M{"_id": "b"}); err != nil || n != 0 {
		t.Errorf("stale entry still there: %d, %v", n, err)
	}
	translate := f.db.Collection("greeting_translations")
	if _, err := translate.DeleteOne(ctx, bson.M{"_id": "b"}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.svc.Repair(ctx); err != nil || r.Checked != 0 || r.Relisted != 2 || r.Rebuilt != 0 {
		t.Errorf("Repair again = %+v, %v; want nothing checked, 2 relisted, no list rebuilt", r, err)
	}
	if got := queued(); !slices.Equal(got, []string{"a", "z"}) {
		t.Errorf("queue after the next Repair = %v, want a and z", got)
	}
	if p, err := f.svc.Translations(ctx, "", letters.Cursor{}, 50); err != nil || len(p.Items) != 1 || p.Items[0].ID != "b" {
		t.Errorf("to translate after the next Repair = %+v, %v; want b", p.Items, err)
	}
}

func TestCursor(t *testing.T) {
	c := letters.Cursor{At: time.Date(2027, 6, 1, 12, 0, 0, 123e6, time.UTC), ID: "ab.c"}
	got, err := letters.ParseCursor(c.String())
	if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
	}
	if z, err := letters.ParseCursor(""); err != nil || !z.IsZero() {
		t.Errorf("ParseCursor(\"\") = %+v, %v; want the zero cursor", z, err)
	}
	for _, bad := range []string{"x", "12", "12.", ".id", "1e3.id", "99999999999999999999.id"} {
		if _, err := letters.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "1700000000000.abc", "x.y", "-5.z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := letters.ParseCursor(s)
		if err != nil || c.IsZero() {
			return
		}
		again, err := letters.ParseCursor(c.String())
		if err != nil || !again.At.Equal(c.At) || again.ID != c.ID {
			t.Errorf("ParseCursor(%q) = %+v does not survive a round trip: %+v, %v", s, c, again, err)
		}
	})
}

// A greeting that cannot be read does not stop Repair: it is skipped,
// named in the report, and the others are checked.
func TestRepairSkipsAnUnreadableGreeting(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := f.clock.Now().Truncate(time.Millisecond)
	gs := []letters.Greeting{
		{ID: "a", CampaignID: "c", Text: "Stay strong", Status: letters.StatusPending, CreatedAt: at},
		{ID: "b", CampaignID: "c", Text: "Hold on", Status: letters.StatusPending, CreatedAt: at.Add(time.Second)},
		{ID: "c", CampaignID: "c", Text: "We remember", Status: letters.StatusPending, CreatedAt: at.Add(2 * time.Second)},
	}
	if err := f.svc.Store().Insert(ctx, gs); err != nil {
		t.Fatal(err)
	}
	// b gets a's sealed text: sealed for another ID, it does not open.
	coll := f.db.Collection("greetings")
	var raw bson.M
	if err := coll.FindOne(ctx, bson.M{"_id": "a"}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateByID(ctx, "b", bson.M{"$set": bson.M{"text": raw["text"]}}); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Repair(ctx)
	if err != nil {
		t.Fatalf("Repair: %v, want the others checked", err)
	}
	if _, ok := r.Skipped["b"]; !ok || len(r.Skipped) != 1 || r.Checked != 2 {
		t.Errorf("Repair = %+v; want b skipped and a, c checked", r)
	}
	if g := f.greeting(t, "c"); !g.Checked {
		t.Error("the greeting after the unreadable one is unchecked")
	}
}
