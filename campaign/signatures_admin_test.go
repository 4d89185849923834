package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/testdb"

	"github.com/solidarity-letters/solidarity/campaign"
)

func (nopGreetings) EraseGreeting(context.Context, string) error { return nil }

func (nopGreetings) HasGreeting(context.Context, string) (bool, error) { return false, nil }

func (nopGreetings) RehearseGreeting(context.Context, string, string) error { return nil }
func (nopGreetings) ReadDecoyGreeting(context.Context) error                { return nil }

// memGreetings keeps greetings in memory, to see what erasure does to them.
type memGreetings struct {
	mu sync.Mutex
	m  map[string]string // signature ID → text
}

func (g *memGreetings) RecordGreeting(_ context.Context, _, id, text string, _ time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m[id] = text
	return nil
}

func (g *memGreetings) EraseGreeting(_ context.Context, id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.m, id)
	return nil
}

func (g *memGreetings) HasGreeting(_ context.Context, id string) (bool, error) { return g.has(id), nil }

func (g *memGreetings) RehearseGreeting(context.Context, string, string) error { return nil }
func (g *memGreetings) ReadDecoyGreeting(context.Context) error                { return nil }

func (g *memGreetings) has(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.m[id]
	return ok
}

// newServiceWith is newService with a greeting recorder and a settable
// clock.
func newServiceWith(t testing.TB, now *time.Time, greetings campaign.GreetingRecorder) *campaign.Service {
	t.Helper()
	store := campaign.NewStore(dbs.Database(t), testdb.Keys(t))
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	if err := store.EnsureDecoys(context.Background()); err != nil {
		t.Fatalf("EnsureDecoys: %v", err)
	}
	return campaign.NewService(store, greetings, []byte("0123456789abcdef0123456789abcdef"), func() time.Time { return *now })
}

// listed is a signature as the list test knows it.
type listed struct {
	name     string
	at       time.Time
	country  string
	city     string
	source   campaign.Source
	greeting bool
}

func TestListSignaturesPagesByKey(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("list", time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	// 23 signatures, several at the very same millisecond so that the key's
	// tie-break on _id matters, across days in Minsk (UTC+3).
	base := time.Date(2027, 6, 10, 20, 30, 0, 0, time.UTC) // 23:30 in Minsk
	var sigs []campaign.Signature
	want := map[string]listed{}
	for i := range 23 {
		l := listed{
			name:     fmt.Sprintf("Person %02d", i),
			at:       base.Add(time.Duration(i/3) * 20 * time.Minute), // three per instant
			country:  []string{"PL", "DE", "BY"}[i%3],
			city:     []string{"Białystok", "Berlin", "Minsk", "Łódź"}[i%4],
			source:   []campaign.Source{campaign.SourceWeb, campaign.SourcePaper}[min(i%5, 1)],
			greeting: i%4 == 0,
		}
		id := fmt.Sprintf("id%02d", (i*7)%23) // IDs not in the order of time
		want[id] = l
		sigs = append(sigs, campaign.Signature{ID: id, SignedAt: l.at, Source: l.source, HasGreeting: l.greeting,
			Person: campaign.Person{Name: l.name, City: l.city, Country: l.country}})
	}
	// Another campaign's signature never shows.
	if _, err := svc.AddSignatures(ctx, "other", []campaign.Signature{{ID: "x", SignedAt: base, Person: campaign.Person{Name: "Person 99"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddSignatures(ctx, c.ID, sigs); err != nil {
		t.Fatal(err)
	}
	minsk := c.Location()
	tests := []struct {
		name   string
		filter campaign.SignatureFilter
		keep   func(l listed) bool
	}{
		{"all", campaign.SignatureFilter{}, func(listed) bool { return true }},
		{"search name any case", campaign.SignatureFilter{Search: "person 1"}, func(l listed) bool { return strings.HasPrefix(l.name, "Person 1") }},
		{"search city, non-ASCII any case", campaign.SignatureFilter{Search: "ŁÓDŹ"}, func(l listed) bool { return l.city == "Łódź" }},
		{"search is not a pattern", campaign.SignatureFilter{Search: "P.rson"}, func(listed) bool { return false }},
		{"country", campaign.SignatureFilter{Country: "DE"}, func(l listed) bool { return l.country == "DE" }},
		{"paper", campaign.SignatureFilter{Source: campaign.SourcePaper}, func(l listed) bool { return l.source == campaign.SourcePaper }},
		{"with greeting", campaign.SignatureFilter{Greeting: campaign.WithGreeting}, func(l listed) bool { return l.greeting }},
		{"without greeting", campaign.SignatureFilter{Greeting: campaign.WithoutGreeting}, func(l listed) bool { return !l.greeting }},
		{"one day in Minsk", campaign.SignatureFilter{
			From:  campaign.StartOfDay(2027, 6, 11, minsk),
			Until: campaign.StartOfDay(2027, 6, 12, minsk),
		}, func(l listed) bool { return l.at.In(minsk).Day() == 11 }},
		{"everything at once", campaign.SignatureFilter{Search: "berlin", Country: "DE", Source: campaign.SourceWeb},
			func(l listed) bool { return l.city == "Berlin" && l.country == "DE" && l.source == campaign.SourceWeb }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The expected order: newest first, then by ID, descending.
			var wantIDs []string
			for id, l := range want {
				if tt.keep(l) {
					wantIDs = append(wantIDs, id)
				}
			}
			slices.SortFunc(wantIDs, func(a, b string) int {
				if c := want[b].at.Compare(want[a].at); c != 0 {
					return c
				}
				return strings.Compare(b, a)
			})
			for _, limit := range []int{4, 50} {
				// Forward to the end, page by page.
				var got []string
				var pages []campaign.SignaturePage
				req := campaign.ListRequest{Filter: tt.filter, Limit: limit}
				for range 20 {
					p, err := svc.ListSignatures(ctx, c.ID, req)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Signatures) > limit {
						t.Fatalf("page of %d rows, limit %d", len(p.Signatures), limit)
					}
					if len(pages) == 0 && !p.Prev.IsZero() {
						t.Errorf("first page has a previous page")
					}
					pages = append(pages, p)
					for _, s := range p.Signatures {
						got = append(got, s.ID)
					}
					if p.Next.IsZero() {
						break
					}
					req = campaign.ListRequest{Filter: tt.filter, Limit: limit, After: p.Next}
				}
				if !slices.Equal(got, wantIDs) {
					t.Fatalf("limit %d: forward = %v\nwant %v", limit, got, wantIDs)
				}
				// Back from the last page: every page comes out as it was.
				for i := len(pages) - 1; i > 0; i-- {
					p, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: tt.filter, Limit: limit, Before: pages[i].Prev})
					if err != nil {
						t.Fatal(err)
					}
					if g, w := ids(p.Signatures), ids(pages[i-1].Signatures); !slices.Equal(g, w) {
						t.Errorf("limit %d: back to page %d = %v, want %v", limit, i-1, g, w)
					}
					if (i-1 == 0) != p.Prev.IsZero() {
						t.Errorf("limit %d: page %d has previous = %v", limit, i-1, !p.Prev.IsZero())
					}
				}
			}
		})
	}
}

func ids(sigs []campaign.Signature) []string {
	out := make([]string, len(sigs))
	for i, s := range sigs {
		out[i] = s.ID
	}
	return out
}

func TestCursorRoundTrip(t *testing.T) {
	c := campaign.Cursor{SignedAt: time.Date(2027, 6, 10, 20, 30, 1, 234e6, time.UTC), ID: "p-0af3"}
	got, err := campaign.ParseCursor(c.String())
	if err != nil || !got.SignedAt.Equal(c.SignedAt) || got.ID != c.ID {
		t.Errorf("ParseCursor(%q) = %v, %v; want %v", c.String(), got, err, c)
	}
	for _, bad := range []string{"x", "12", "12.", "abc.def", "12.a b", "12.a.b"} {
		if _, err := campaign.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) succeeded", bad)
		}
	}
}

func TestEraseSignature(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	greetings := &memGreetings{m: map[string]string{}}
	svc := newServiceWith(t, &now, greetings)
	c := testCampaign("erase", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"a@example.org", "b@example.org"} {
		in := campaign.SignInput{Name: "A", Email: email, Country: "SE", Consent: true, Greeting: "Hello " + email}
		if err := svc.Sign(ctx, c, in); err != nil {
			t.Fatal(err)
		}
	}
	p, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{})
	if err != nil || len(p.Signatures) != 2 {
		t.Fatalf("list = %v, %v", p.Signatures, err)
	}
	gone, kept := p.Signatures[0].ID, p.Signatures[1].ID
	if !p.Signatures[0].HasGreeting || !greetings.has(gone) {
		t.Fatalf("signature has greeting %v, greeting stored %v", p.Signatures[0].HasGreeting, greetings.has(gone))
	}
	if err := svc.EraseSignature(ctx, "id-other", gone); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("erase through another campaign = %v, want ErrNotFound", err)
	}
	if err := svc.EraseSignature(ctx, c.ID, gone); err != nil {
		t.Fatal(err)
	}
	if got := svc.Count(c.ID); got != 1 {
		t.Errorf("count after erasure = %d, want 1", got)
	}
	if greetings.has(gone) || !greetings.has(kept) {
		t.Errorf("greetings after erasure: erased one there %v, other one there %v", greetings.has(gone), greetings.has(kept))
	}
	if _, err := svc.Store().Signature(ctx, gone); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("erased signature read back: %v", err)
	}
	p, err = svc.ListSignatures(ctx, c.ID, campaign.ListRequest{})
	if err != nil || len(p.Signatures) != 1 || p.Signatures[0].ID != kept {
		t.Errorf("list after erasure = %v, %v", ids(p.Signatures), err)
	}
	if err := svc.EraseSignature(ctx, c.ID, gone); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("second erasure = %v, want ErrNotFound", err)
	}
	if got := svc.Count(c.ID); got != 1 {
		t.Errorf("count after a second erasure = %d, want 1", got)
	}
	// The count loaded at the next start agrees.
	// The node writes what it counted, as it does every second and when
	// it stops; the next one starts from the counter documents.
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := campaign.NewService(svc.Store(), nopGreetings{}, nil, time.Now)
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Count(c.ID); got != 1 {
		t.Errorf("loaded count = %d, want 1", got)
	}
}

// seedSignatures stores n web signatures of the campaign in batches, one
// a second from start.
func seedSignatures(tb testing.TB, svc *campaign.Service, campaignID string, n int, start time.Time) {
	tb.Helper()
	ctx := context.Background()
	batch := make([]campaign.Signature, 0, 1000)
	for i := range n {
		batch = append(batch, campaign.Signature{
			ID: fmt.Sprintf("%s-%07d", campaignID, i), SignedAt: start.Add(time.Duration(i) * time.Second),
			Source: campaign.SourceWeb, Updates: i%3 == 0, HasGreeting: i%5 == 0,
			Person: campaign.Person{Name: fmt.Sprintf("Supporter %d", i), City: "Vilnius", Country: "LT",
				Email: map[bool]string{true: fmt.Sprintf("s%d@example.org", i)}[i%3 == 0]},
		})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := svc.AddSignatures(ctx, campaignID, batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkListSignatures100k times one page of the console's list, deep
// in a campaign of 100,000 signatures, on the test database.
func BenchmarkListSignatures100k(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(b, &now, nopGreetings{})
	c := testCampaign("bench", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	seedSignatures(b, svc, c.ID, 100_000, now.AddDate(0, 0, -4))
	first, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{})
	if err != nil || first.Next.IsZero() {
		b.Fatalf("first page: %v", err)
	}
	for _, bc := range []struct {
		name string
		req  campaign.ListRequest
	}{
		{"first", campaign.ListRequest{}},
		{"deep", campaign.ListRequest{After: campaign.Cursor{SignedAt: now.AddDate(0, 0, -3), ID: "~"}}},
		{"search", campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "supporter 99999"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := svc.ListSignatures(ctx, c.ID, bc.req)
				if err != nil || len(p.Signatures) == 0 {
					b.Fatalf("page: %d rows, %v", len(p.Signatures), err)
				}
			}
		})
	}
}

// FuzzParseCursor checks that list positions from links either parse into
// a cursor that encodes back the same way, or fail.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "1811876400000.p-0af3", "12.abc", "-5.x", "1.a.b", "9999999999999999999.x", "1.é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := campaign.ParseCursor(s)
		if err != nil {
			return
		}
		again, err := campaign.ParseCursor(c.String())
		if err != nil || !again.SignedAt.Equal(c.SignedAt) || again.ID != c.ID {
			t.Errorf("ParseCursor(%q) = %v, but its String %q parses to %v, %v", s, c, c.String(), again, err)
		}
	})
}
