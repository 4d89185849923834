package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// nopGreetings records nothing; these tests are about signatures.
type nopGreetings struct{}

func (nopGreetings) RecordGreeting(context.Context, string, string, string, time.Time) error {
	return nil
}

func newService(t *testing.T, now time.Time) *campaign.Service {
	t.Helper()
	store := campaign.NewStore(dbs.Database(t), testdb.Keys(t))
	for range 2 { // indexes are created idempotently
		if err := store.EnsureIndexes(context.Background()); err != nil {
			t.Fatalf("EnsureIndexes: %v", err)
		}
		if err := store.EnsureDecoys(context.Background()); err != nil {
			t.Fatalf("EnsureDecoys: %v", err)
		}
	}
	return campaign.NewService(store, nopGreetings{}, []byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
}

func testCampaign(slug string, opens, closes time.Time) *campaign.Campaign {
	return &campaign.Campaign{ID: "id-" + slug, Slug: slug, Title: "T " + slug, OpensAt: opens, ClosesAt: closes,
		TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
}

func TestCreateCampaignRules(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	ok := testCampaign("ok", now, now.Add(time.Hour))
	if err := svc.Store().CreateCampaign(ctx, ok); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *campaign.Campaign
		dup  bool
	}{
		{"slug taken", func() *campaign.Campaign { c := testCampaign("ok", now, now.Add(time.Hour)); c.ID = "other"; return c }(), true},
		{"bad slug", testCampaign("Not OK", now, now.Add(time.Hour)), false},
		{"closes before it opens", testCampaign("back", now, now.Add(-time.Hour)), false},
		{"unknown zone", func() *campaign.Campaign {
			c := testCampaign("tz", now, now.Add(time.Hour))
			c.TimeZone = "Mars/Base"
			return c
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Store().CreateCampaign(ctx, tt.c)
			if err == nil {
				t.Fatal("CreateCampaign succeeded")
			}
			if got := errors.Is(err, campaign.ErrDuplicate); got != tt.dup {
				t.Errorf("errors.Is(err, ErrDuplicate) = %v, want %v (%v)", got, tt.dup, err)
			}
		})
	}
}

func TestListAndCounts(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	campaigns := []*campaign.Campaign{
		testCampaign("late", now.AddDate(0, 0, -1), now.AddDate(0, 2, 0)),
		testCampaign("soon", now.AddDate(0, 0, -1), now.AddDate(0, 0, 3)),
		testCampaign("closed", now.AddDate(0, -2, 0), now.AddDate(0, -1, 0)),
		testCampaign("ancient", now.AddDate(-3, 0, 0), now.AddDate(-2, 0, 0)),
		testCampaign("future", now.AddDate(0, 0, 1), now.AddDate(0, 1, 0)),
		testCampaign("draft", time.Time{}, now.AddDate(0, 1, 0)),
	}
	for _, c := range campaigns {
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	l, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slugs := func(cs []campaign.Campaign) string {
		s := ""
		for _, c := range cs {
			s += c.Slug + " "
		}
		return s
	}
	if got := slugs(l.Open); got != "soon late " {
		t.Errorf("open = %q, want soon late (closing soonest first)", got)
	}
	if got := slugs(l.Closed); got != "closed " {
		t.Errorf("recently closed = %q, want closed", got)
	}
	for _, slug := range []string{"future", "draft"} {
		if _, err := svc.Public(ctx, slug); !errors.Is(err, campaign.ErrNotFound) {
			t.Errorf("Public(%s) error = %v, want ErrNotFound", slug, err)
		}
	}

	// 30 signatures in a batch, 5 of them repeats: 25 are new.
	var sigs []campaign.Signature
	for i := range 30 {
		email := fmt.Sprintf("p%d@example.org", i%25)
		sigs = append(sigs, campaign.Signature{ID: campaign.SignatureID([]byte("k"), "id-soon", email), SignedAt: now,
			Person: campaign.Person{Name: "P", Country: "SE"}})
	}
	n, err := svc.AddSignatures(ctx, "id-soon", sigs)
	if err != nil || n != 25 {
		t.Fatalf("AddSignatures = %d, %v; want 25 new", n, err)
	}
	if got := svc.Count("id-soon"); got != 25 {
		t.Errorf("Count = %d, want 25", got)
	}
	// The node writes what it counted, as it does every second and when
	// it stops; the next one starts from the counter documents.
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := campaign.NewService(svc.Store(), nopGreetings{}, nil, time.Now)
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Count("id-soon"); got != 25 {
		t.Errorf("count loaded from the database = %d, want 25", got)
	}
	if got := fresh.Count("id-late"); got != 0 {
		t.Errorf("count of a campaign without signatures = %d", got)
	}
}

func TestSignRejectsClosedAndUnopened(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	in := campaign.SignInput{Name: "A", Email: "a@example.org", Country: "SE", Consent: true}
	tests := []struct {
		c    *campaign.Campaign
		want error
	}{
		{testCampaign("closed", now.AddDate(0, -1, 0), now), campaign.ErrClosed},
		{testCampaign("future", now.Add(time.Second), now.AddDate(0, 1, 0)), campaign.ErrNotOpen},
		{testCampaign("draft", time.Time{}, now.AddDate(0, 1, 0)), campaign.ErrNotOpen},
	}
	for _, tt := range tests {
		if err := svc.Sign(context.Background(), tt.c, in); !errors.Is(err, tt.want) {
			t.Errorf("Sign(%s) = %v, want %v", tt.c.Slug, err, tt.want)
		}
	}
}

// failingOnce fails the first greeting it is asked to record.
type failingOnce struct {
	*memGreetings
	failed bool
}

func (g *failingOnce) RecordGreeting(ctx context.Context, c, id, text string, at time.Time) error {
	if !g.failed {
		g.failed = true
		return errors.New("disk full")
	}
	return g.memGreetings.RecordGreeting(ctx, c, id, text, at)
}

func TestGreetingSurvivesAFailedFirstAttempt(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	greetings := &failingOnce{memGreetings: &memGreetings{m: map[string]string{}}}
	svc := newServiceWith(t, &now, greetings)
	c := testCampaign("ales", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	c.ID = "c1"
	ctx := context.Background()
	in := campaign.SignInput{Name: "A", Email: "a@example.org", Country: "SE", Consent: true, Greeting: "Stay strong"}

	if err := svc.Sign(ctx, c, in); err == nil {
		t.Fatal("the greeting's failure was not reported")
	}
	id := campaign.SignatureID([]byte("0123456789abcdef0123456789abcdef"), "c1", "a@example.org")
	// The supporter sends the form again: the signature is a repeat, and
	// the greeting that failed is stored now.
	if err := svc.Sign(ctx, c, in); !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("second attempt: %v, want ErrDuplicate", err)
	}
	if !greetings.has(id) {
		t.Fatal("the greeting was lost")
	}
	// A real repeat changes nothing.
	in.Greeting = "Someone else's words"
	if err := svc.Sign(ctx, c, in); !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("repeat: %v", err)
	}
	if got := greetings.m[id]; got != "Stay strong" {
		t.Errorf("greeting = %q after a repeat, want the first one", got)
	}
	other := campaign.SignInput{Name: "B", Email: "b@example.org", Country: "SE", Consent: true}
	if err := svc.Sign(ctx, c, other); err != nil {
		t.Fatal(err)
	}
	other.Greeting = "Added later"
	if err := svc.Sign(ctx, c, other); !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatal(err)
	}
	if greetings.has(campaign.SignatureID([]byte("0123456789abcdef0123456789abcdef"), "c1", "b@example.org")) {
		t.Error("a repeat added a greeting to a signature that had none")
	}
	if got := svc.Count("c1"); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
}
