package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/web"
	"github.com/valyala/fasthttp"
)

// A campaign page drawn once is sent again from memory; it must change as
// soon as what it shows does: the texts, the greetings, the recipient;
// and the count within web.CountLag.
func TestCachedPageFollowsChanges(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := modCampaign(t, s, "ales", true)
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(t *testing.T)
		want   string
		lag    time.Duration
	}{
		{"count", func(t *testing.T) {
			sigs := make([]campaign.Signature, 1234)
			for i := range sigs {
				sigs[i] = campaign.Signature{ID: fmt.Sprintf("cached-%d", i), SignedAt: s.Clock.Now(), Person: campaign.Person{Name: "A B", Country: "PL"}}
			}
			if _, err := s.Service.AddSignatures(ctx, c.ID, sigs); err != nil {
				t.Fatal(err)
			}
		}, "1,234", web.CountLag},
		{"texts", func(t *testing.T) {
			edited := *c
			edited.Summary = "A summary written again."
			if _, err := s.Service.UpdateCampaign(ctx, &edited); err != nil {
				t.Fatal(err)
			}
		}, "A summary written again.", 0},
		{"recipient", func(t *testing.T) {
			r, err := s.Service.Recipient(ctx, c.RecipientID)
			if err != nil {
				t.Fatal(err)
			}
			r.Name = "Ales Viktaravich Bialiatski"
			if _, err := s.Service.SaveRecipient(ctx, r); err != nil {
				t.Fatal(err)
			}
		}, "Ales Viktaravich Bialiatski", 0},
		{"greetings", func(t *testing.T) {
			id := modGreet(t, s, c, "Greta Kowalska", "greta@example.org", "Трымайся, калі ласка")
			if _, err := s.Core.Moderation.Approve(ctx, id); err != nil {
				t.Fatal(err)
			}
		}, "Трымайся, калі ласка", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.get(t, "/c/"+c.Slug)
			again := s.get(t, "/c/"+c.Slug)
			if before.Status != 200 || again.Body == "" || strings.Contains(again.Body, tt.want) {
				t.Fatalf("before the change: %d, shows %q already", before.Status, tt.want)
			}
			tt.change(t)
			time.Sleep(tt.lag)
			after := s.get(t, "/c/"+c.Slug)
			if !strings.Contains(after.Body, tt.want) {
				t.Errorf("after the change the page lacks %q", tt.want)
			}
		})
	}
	// The home page follows the count too.
	home := s.get(t, "/")
	if _, err := s.Service.AddSignatures(ctx, c.ID, []campaign.Signature{{ID: "one-more", SignedAt: s.Clock.Now(), Person: campaign.Person{Name: "C D", Country: "PL"}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(web.CountLag)
	if again := s.get(t, "/"); !strings.Contains(home.Body, "<strong>1,235</strong>") || !strings.Contains(again.Body, "<strong>1,236</strong>") {
		t.Errorf("home page count does not follow the signatures")
	}
}

// Each request of a cached page gets a token of its own, made by the
// form's token issuer, and the partner's ref of its link; gzip and plain
// answers say the same.
func TestCachedPageFillsTokenAndRef(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	var tokens []string
	for i := range 3 {
		page := s.get(t, "/c/ales")
		m := tokenRE.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("request %d: no token", i)
		}
		for _, seen := range tokens {
			if seen == m[1] {
				t.Fatalf("request %d got the token of an earlier one", i)
			}
		}
		tokens = append(tokens, m[1])
		s.Clock.Set(s.Clock.Now().Add(time.Second))
	}
	// Each token signs.
	s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
	for i, tok := range tokens {
		res := s.post(t, "/c/ales/sign", signForm(tok, func(v url.Values) {
			v.Set("email", fmt.Sprintf("t%d@example.org", i))
		}))
		if res.Status != 303 {
			t.Errorf("token %d: sign answered %d, want 303", i, res.Status)
		}
	}

	for _, path := range []string{"/c/ales?ref=partner-one", "/c/ales?lang=pl&ref=partner-two", "/?ref=partner-three"} {
		t.Run(path, func(t *testing.T) {
			ref := path[strings.Index(path, "ref=")+4:]
			for range 2 { // drawn, then from memory
				plain := s.get(t, path, "Accept-Encoding", "identity")
				packed := rawGet(t, s, path)
				if plain.Status != 200 || !strings.Contains(plain.Body, "ref="+ref) {
					t.Fatalf("%d, no ref=%s in the language links", plain.Status, ref)
				}
				if strings.HasPrefix(path, "/c/") && !strings.Contains(plain.Body, `<input type="hidden" name="ref" value="`+ref+`">`) {
					t.Errorf("the form does not carry ref %s", ref)
				}
				if tokenRE.ReplaceAllString(packed, "") != tokenRE.ReplaceAllString(plain.Body, "") {
					t.Errorf("the gzip answer differs from the plain one")
				}
			}
		})
	}
	// A query the cache does not know is drawn as before.
	if page := s.get(t, "/c/ales?utm_source=x&ref=partner-one"); page.Status != 200 || !strings.Contains(page.Body, "utm_source=x") {
		t.Errorf("page with another query: %d, language links lose the query", page.Status)
	}
}

// rawGet fetches path asking for gzip and unpacks it with the standard
// library's strict reader (which checks the length and the CRC).
func rawGet(t *testing.T, s *site, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q, Vary %q; want gzip, Accept-Encoding", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	return string(body)
}

// Two app nodes on one database: an edit, a signature count and an
// approved greeting made on one show on the other within two seconds, and
// at once on the node that made them.
func TestTwoNodesShowEachOthersChanges(t *testing.T) {
	t.Parallel()
	db := dbs.Database(t)
	a := newSite(t, db)
	c := modCampaign(t, a, "ales", true)
	b := newSite(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = b.Service.Run(ctx, slog.New(slog.DiscardHandler)); done <- struct{}{} }()
	go func() { b.Core.Moderation.RunShown(ctx, slog.New(slog.DiscardHandler)); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	if page := b.get(t, "/c/ales"); page.Status != 200 {
		t.Fatalf("node b: %d", page.Status)
	}

	edited := *c
	edited.Summary = "Edited on node a."
	if _, err := a.Service.UpdateCampaign(context.Background(), &edited); err != nil {
		t.Fatal(err)
	}
	if page := a.get(t, "/c/ales"); !strings.Contains(page.Body, "Edited on node a.") {
		t.Errorf("node a does not show its own edit at once")
	}
	id := modGreet(t, a, c, "Greta Kowalska", "greta@example.org", "Прывітанне з другога вузла")
	if _, err := a.Core.Moderation.Approve(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if page := a.get(t, "/c/ales"); !strings.Contains(page.Body, "Прывітанне з другога вузла") {
		t.Errorf("node a does not show its own approval at once")
	}
	// Node a writes its count to the counter document as its Run would.
	if err := a.Service.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, want := range []string{"Edited on node a.", "Прывітанне з другога вузла", `<p class="count"><strong>1</strong>`} {
		for {
			page := b.get(t, "/c/ales")
			if strings.Contains(page.Body, want) {
				break
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("node b does not show %q within 2 s", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("node b showed node a's changes after %v", time.Since(start))
}

// BenchmarkPublicPages measures the handlers of the public pages against
// /healthz's, without the network: go test -run '^$' -bench PublicPages
// -cpuprofile cpu.out ./web/.
func BenchmarkPublicPages(b *testing.B) {
	s := newSite(b, dbs.Database(b))
	s.addCampaign(b, "ales", nil)
	s.Logs.mu.Lock()
	s.Logs.discard = true
	s.Logs.mu.Unlock()
	h := s.App.Handler()
	for _, tt := range []struct{ path, accept string }{
		{"/healthz", ""}, {"/c/ales", ""}, {"/c/ales", "gzip"}, {"/", ""}, {"/api/v1/campaigns/ales", ""},
	} {
		b.Run(strings.TrimPrefix(tt.path, "/")+"+"+tt.accept, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var req fasthttp.Request
			n := 0
			for b.Loop() {
				n++
				req.Reset()
				req.SetRequestURI(tt.path)
				if tt.accept != "" {
					req.Header.Set("Accept-Encoding", tt.accept)
				}
				// Many clients, as the API's limit per client expects.
				ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(10, byte(n>>16), byte(n>>8), byte(n)), Port: 40000}, nil)
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("%s: %d", tt.path, ctx.Response.StatusCode())
				}
			}
		})
	}
}
