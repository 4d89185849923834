package posts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// nopGreetings records nothing; these tests are about posts.
type nopGreetings struct{}

func (nopGreetings) RecordGreeting(context.Context, string, string, string, time.Time) error {
	return nil
}
func (nopGreetings) HasGreeting(context.Context, string) (bool, error)      { return false, nil }
func (nopGreetings) EraseGreeting(context.Context, string) error            { return nil }
func (nopGreetings) RehearseGreeting(context.Context, string, string) error { return nil }
func (nopGreetings) ReadDecoyGreeting(context.Context) error                { return nil }

// records keeps the audit entries.
type records struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *records) Record(_ context.Context, actor string, action audit.Action, target, detail string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, audit.Entry{Actor: actor, Action: action, Target: target, Detail: detail})
	return nil
}

type env struct {
	svc   *posts.Service
	clock *testclock.Clock
	audit *records
	db    *mongo.Database
}

// newEnv makes a posts service over a fresh database with one recipient
// (r-1) and one campaign (c-1).
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := dbs.Database(t)
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	cs := campaign.NewStore(db, testdb.Keys(t))
	if err := cs.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cs.CreateRecipient(ctx, &campaign.Recipient{ID: "r-1", Name: "Ales Bialiatski", Country: "BY"}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CreateCampaign(ctx, &campaign.Campaign{ID: "c-1", Slug: "ales", Title: "T", RecipientID: "r-1",
		OpensAt: clk.Now(), ClosesAt: clk.Now().Add(24 * time.Hour), TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	camps := campaign.NewService(cs, nopGreetings{}, []byte("0123456789abcdef0123456789abcdef"), clk.Now)
	if err := camps.LoadCampaigns(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &records{}
	store := posts.NewStore(db, testdb.Keys(t))
	for range 2 { // the migration may run again
		if err := store.EnsureCollections(ctx); err != nil {
			t.Fatal(err)
		}
	}
	svc := posts.NewService(store, camps, rec, clk.Now)
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, clock: clk, audit: rec, db: db}
}

func validInput() posts.Input {
	return posts.Input{Title: "Paris, Paris… but I return home", Lang: "en", RecipientID: "r-1", Kind: "from",
		WrittenOn: "2012-12-02", WrittenAt: "Babruysk", ReceivedOn: "2013-01-10", ReceivedBy: "family",
		Consent: true, ConsentBy: "Natallia Pinchuk, his wife", Excerpt: "Excerpts of letters.", Body: "Dear friends,\n\n*thank you*.",
		Tags: "New Year, replies, New Year", CampaignID: "c-1"}
}

// Each field's rules, with the field's own problem.
func TestValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		edit  func(*posts.Input)
		field string
		want  campaign.Problem
	}{
		{"title missing", func(in *posts.Input) { in.Title = "  " }, "title", campaign.ProblemRequired},
		{"title too long", func(in *posts.Input) { in.Title = strings.Repeat("я", posts.TitleMax+1) }, "title", campaign.ProblemTooLong},
		{"title control", func(in *posts.Input) { in.Title = "a\u202eb" }, "title", campaign.ProblemInvalid},
		{"slug wrong", func(in *posts.Input) { in.Slug = "Not a slug!" }, "slug", campaign.ProblemSlug},
		{"language wrong", func(in *posts.Input) { in.Lang = "english" }, "lang", campaign.ProblemLanguage},
		{"recipient missing", func(in *posts.Input) { in.RecipientID = "" }, "recipient_id", campaign.ProblemRequired},
		{"recipient unknown", func(in *posts.Input) { in.RecipientID = "nobody" }, "recipient_id", campaign.ProblemUnknown},
		{"kind wrong", func(in *posts.Input) { in.Kind = "poem" }, "kind", campaign.ProblemChoice},
		{"written date wrong", func(in *posts.Input) { in.WrittenOn = "2 December 2012" }, "written_on", campaign.ProblemDate},
		{"received by wrong", func(in *posts.Input) { in.ReceivedBy = "pigeon" }, "received_by", campaign.ProblemChoice},
		{"consent without whom", func(in *posts.Input) { in.ConsentBy = "" }, "consent_by", campaign.ProblemRequired},
		{"body missing", func(in *posts.Input) { in.Body = "\n\n" }, "body", campaign.ProblemRequired},
		{"body control", func(in *posts.Input) { in.Body = "a\x00b" }, "body", campaign.ProblemInvalid},
		{"tag too long", func(in *posts.Input) { in.Tags = strings.Repeat("x", posts.TagMax+1) }, "tags", campaign.ProblemTooLong},
		{"campaign unknown", func(in *posts.Input) { in.CampaignID = "c-404" }, "campaign_id", campaign.ProblemUnknown},
		{"translation without body", func(in *posts.Input) {
			in.Translations = []posts.Translation{{Lang: "be", Title: "Парыж"}}
		}, "tr_be", campaign.ProblemRequired},
		{"translation into the original", func(in *posts.Input) {
			in.Translations = []posts.Translation{{Lang: "en", Title: "x", Body: "y"}}
		}, "tr_en", campaign.ProblemLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.edit(&in)
			_, err := e.svc.Create(context.Background(), in)
			var verr *campaign.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("got %v, want a validation error", err)
			}
			if len(verr.Fields) != 1 || verr.Fields[0].Field != tt.field || verr.Fields[0].Problem != tt.want {
				t.Errorf("got %v, want only %s: %s", verr.Fields, tt.field, tt.want)
			}
		})
	}
}

func TestCreateNormalisesAndSealsConsent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := e.svc.Create(ctx, validInput())
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "paris-paris-but-i-return-home" {
		t.Errorf("slug = %q", p.Slug)
	}
	if strings.Join(p.Tags, "|") != "new-year|replies" {
		t.Errorf("tags = %q", p.Tags)
	}
	if p.State != posts.Draft {
		t.Errorf("state = %s", p.State)
	}
	raw, err := e.db.Collection("posts").FindOne(ctx, bson.M{"_id": p.ID}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), "Pinchuk") {
		t.Error("who consented is stored in the clear")
	}
	got, err := e.svc.Post(ctx, p.ID)
	if err != nil || got.ConsentBy != "Natallia Pinchuk, his wife" {
		t.Errorf("read back consent %q, %v", got.ConsentBy, err)
	}
	// A second post with the same title needs another slug.
	_, err = e.svc.Create(ctx, validInput())
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0].Field != "slug" || verr.Fields[0].Problem != campaign.ProblemTaken {
		t.Errorf("duplicate slug: %v", err)
	}
	in := validInput()
	in.Title = "Лісты з Бабруйска"
	if p, err := e.svc.Create(ctx, in); err != nil || p.Slug != "listy-z-babruiska" {
		t.Errorf("Cyrillic title's slug %q, %v", p.Slug, err)
	}
}

// Drafts, posts scheduled for later and unlisted posts are in no list;
// unlisted ones are found by their slug.
func TestVisibility(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mk := func(title string) posts.Post {
		in := validInput()
		in.Title = title
		p, err := e.svc.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	draft := mk("Draft")
	now := mk("Now")
	later := mk("Later")
	unlisted := mk("Unlisted")
	var err error
	if now, err = e.svc.Publish(ctx, now.ID, now.Version, time.Time{}, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	if later, err = e.svc.Publish(ctx, later.ID, later.Version, e.clock.Now().Add(time.Hour), "org@example.org"); err != nil {
		t.Fatal(err)
	}
	if later.State != posts.Scheduled {
		t.Errorf("state %s, want scheduled", later.State)
	}
	if unlisted, err = e.svc.Publish(ctx, unlisted.ID, unlisted.Version, time.Time{}, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	if unlisted, err = e.svc.SetUnlisted(ctx, unlisted.ID, unlisted.Version, true, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, svc *posts.Service, wantListed []string, wantPublic map[string]bool) {
		t.Helper()
		set := svc.Posts()
		var got []string
		for _, e := range set.Listed(e.clock.Now(), "") {
			got = append(got, e.Post.Slug)
		}
		if strings.Join(got, ",") != strings.Join(wantListed, ",") {
			t.Errorf("listed %v, want %v", got, wantListed)
		}
		for slug, want := range wantPublic {
			if _, ok := set.Public(slug, e.clock.Now()); ok != want {
				t.Errorf("%s public: %v, want %v", slug, ok, want)
			}
		}
	}
	public := map[string]bool{draft.Slug: false, now.Slug: true, later.Slug: false, unlisted.Slug: true}
	check(t, e.svc, []string{now.Slug}, public)

	// Another node reads the same from the database.
	other := posts.NewService(posts.NewStore(e.db, testdb.Keys(t)), nil, &records{}, e.clock.Now)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	check(t, other, []string{now.Slug}, public)

	e.clock.Set(e.clock.Now().Add(2 * time.Hour))
	public[later.Slug] = true
	check(t, e.svc, []string{later.Slug, now.Slug}, public)
	if _, ok := e.svc.Published(later.Slug); !ok {
		t.Error("Published does not find the scheduled post once its time came")
	}

	if _, err := e.svc.Unpublish(ctx, now.ID, now.Version, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	public[now.Slug] = false
	check(t, e.svc, []string{later.Slug}, public)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	check(t, other, []string{later.Slug}, public)

	var actions []string
	for _, a := range e.audit.entries {
		actions = append(actions, string(a.Action))
	}
	want := "post_published,post_scheduled,post_published,post_visibility_changed,post_unpublished"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit %v, want %s", actions, want)
	}
}

// A letter from the recipient is published only with a recorded consent.
func TestPublishNeedsConsent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := validInput()
	in.Consent, in.ConsentBy = false, ""
	p, err := e.svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Publish(ctx, p.ID, p.Version, time.Time{}, "org@example.org")
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0].Field != "consent" {
		t.Fatalf("publish without consent: %v", err)
	}
	if _, ok := e.svc.Published(p.Slug); ok {
		t.Error("published without consent")
	}
	in.Kind = "news"
	if p, err = e.svc.Update(ctx, p.ID, p.Version, in); err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.Publish(ctx, p.ID, p.Version, time.Time{}, "org@example.org"); err != nil {
		t.Errorf("news needs no consent: %v", err)
	}
	// A stale version is refused.
	if _, err := e.svc.Update(ctx, p.ID, p.Version, in); !errors.Is(err, posts.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Ales Bialiatski: “All prizes…”": "ales-bialiatski-all-prizes",
		"Алесь Бяляцкі":                  "ales-bialiatski",
		"Łódź, Kraków":                   "lodz-krakow",
		"!!!":                            "",
	} {
		if got := posts.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

// A post whose consent cannot be unsealed is left out of memory, named in
// Load's error, and does not keep the other posts out; it is not read
// again until it changes.
func TestLoadSkipsAnUnreadablePost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var published []posts.Post
	for _, title := range []string{"Readable", "Unreadable"} {
		in := validInput()
		in.Title = title
		p, err := e.svc.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if p, err = e.svc.Publish(ctx, p.ID, p.Version, time.Time{}, "org@example.org"); err != nil {
			t.Fatal(err)
		}
		published = append(published, p)
	}
	good, bad := published[0], published[1]
	// The other post's sealed consent: sealed for another ID, it does not open.
	coll := e.db.Collection("posts")
	var raw bson.M
	if err := coll.FindOne(ctx, bson.M{"_id": good.ID}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateByID(ctx, bad.ID, bson.M{"$set": bson.M{"consent_by": raw["consent_by"]}}); err != nil {
		t.Fatal(err)
	}

	other := posts.NewService(posts.NewStore(e.db, testdb.Keys(t)), nil, &records{}, e.clock.Now)
	err := other.Load(ctx)
	if !errors.Is(err, posts.ErrSkipped) || !strings.Contains(err.Error(), bad.ID) {
		t.Fatalf("Load: %v, want ErrSkipped naming %s", err, bad.ID)
	}
	if _, ok := other.Posts().Public(good.Slug, e.clock.Now()); !ok {
		t.Error("the readable post is not in memory")
	}
	if _, ok := other.Posts().Public(bad.Slug, e.clock.Now()); ok {
		t.Error("the unreadable post is in memory")
	}
	if err := other.Load(ctx); err != nil {
		t.Errorf("second Load: %v, want nil (the post has not changed)", err)
	}
}

// A post whose slug changes keeps its old ones: they lead to it while it
// is public, no other post may take them, and it may take one back.
func TestSlugHistory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := validInput()
	in.Slug = "first"
	p, err := e.svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = e.svc.Publish(ctx, p.ID, p.Version, time.Time{}, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	rename := func(p posts.Post, slug string) posts.Post {
		t.Helper()
		in := posts.InputOf(&p)
		in.Slug = slug
		p, err := e.svc.Update(ctx, p.ID, p.Version, in)
		if err != nil {
			t.Fatalf("rename to %s: %v", slug, err)
		}
		return p
	}
	p = rename(p, "second")
	p = rename(p, "third")
	if got := strings.Join(p.OldSlugs, ","); got != "first,second" {
		t.Errorf("old slugs %q, want first,second", got)
	}
	other := posts.NewService(posts.NewStore(e.db, testdb.Keys(t)), nil, &records{}, e.clock.Now)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []*posts.Service{e.svc, other} {
		set := svc.Posts()
		for _, old := range []string{"first", "second"} {
			if to, ok := set.Moved(old, e.clock.Now()); !ok || to != "third" {
				t.Errorf("Moved(%s) = %q, %v, want third", old, to, ok)
			}
			if _, ok := set.Public(old, e.clock.Now()); ok {
				t.Errorf("an old slug %s is a post's own", old)
			}
			// A reply recorded by the old slug still finds the post.
			if got, ok := svc.Published(old); !ok || got.Slug != "third" {
				t.Errorf("Published(%s) = %v, %v, want the post as third", old, got, ok)
			}
		}
		if _, ok := set.Moved("third", e.clock.Now()); ok {
			t.Error("the current slug counts as moved")
		}
	}

	// No other post may take a slug this one answers to, new or renamed.
	wantOld := func(t *testing.T, err error) {
		t.Helper()
		var verr *campaign.ValidationError
		if !errors.As(err, &verr) || len(verr.Fields) != 1 || verr.Fields[0].Field != "slug" || verr.Fields[0].Problem != posts.ProblemOldSlug {
			t.Errorf("err = %v, want the slug's old_slug problem", err)
		}
	}
	in = validInput()
	in.Slug = "second"
	_, err = e.svc.Create(ctx, in)
	wantOld(t, err)
	in.Slug = "fourth"
	q, err := e.svc.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Slug = "first"
	_, err = e.svc.Update(ctx, q.ID, q.Version, in)
	wantOld(t, err)
	in.Slug = "third"
	_, err = e.svc.Update(ctx, q.ID, q.Version, in)
	var verr *campaign.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0].Problem != campaign.ProblemTaken {
		t.Errorf("another post's current slug: %v", err)
	}

	// The post may take an old slug of its own back.
	p = rename(p, "first")
	if got := strings.Join(p.OldSlugs, ","); got != "second,third" {
		t.Errorf("old slugs %q, want second,third", got)
	}
	if to, ok := e.svc.Posts().Moved("third", e.clock.Now()); !ok || to != "first" {
		t.Errorf("Moved(third) = %q, %v, want first", to, ok)
	}

	// Old slugs of a post visitors may not read lead nowhere.
	if _, err := e.svc.Unpublish(ctx, p.ID, p.Version, "org@example.org"); err != nil {
		t.Fatal(err)
	}
	if to, ok := e.svc.Posts().Moved("second", e.clock.Now()); ok {
		t.Errorf("an unpublished post's old slug moved to %q", to)
	}
}
