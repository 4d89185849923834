package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Only the widget's pages may be framed: by any site, or by the sites the
// campaign names; every other page forbids framing twice over.
func TestOnlyEmbedPagesMayBeFramed(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	s.addCampaign(t, "partners-only", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://partner.example"}
	})
	tests := []struct {
		path      string
		status    int
		ancestors string // the frame-ancestors directive
	}{
		{"/embed/open", 200, "frame-ancestors *"},
		{"/embed/open?origin=https://any.example&theme=dark&compact=1", 200, "frame-ancestors *"},
		{"/embed/partners-only?origin=https://partner.example", 200, "frame-ancestors 'self' https://partner.example"},
		{"/embed/open/thanks", 200, "frame-ancestors *"},
		{"/c/open", 200, "frame-ancestors 'none'"},
		{"/", 200, "frame-ancestors 'none'"},
		{"/admin/login", 200, "frame-ancestors 'none'"},
		{"/embed/missing", 404, "frame-ancestors 'none'"},
		{"/embed/partners-only?origin=https://other.example", 403, "frame-ancestors 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := s.get(t, tt.path)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d", res.Status, tt.status)
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, tt.ancestors) && !strings.Contains(csp, tt.ancestors+";") {
				t.Errorf("CSP %q, want %s", csp, tt.ancestors)
			}
			for _, want := range []string{"default-src 'none'", "script-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %s", csp, want)
				}
			}
			xfo := res.Header.Get("X-Frame-Options")
			framable := tt.ancestors != "frame-ancestors 'none'"
			if framable && xfo != "" {
				t.Errorf("X-Frame-Options %q on an embed page", xfo)
			}
			if !framable && xfo != "DENY" {
				t.Errorf("X-Frame-Options %q, want DENY", xfo)
			}
		})
	}
}

func TestEmbedPageStates(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	s.addCampaign(t, "closed", func(c *campaign.Campaign) { c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC) })
	tests := []struct {
		path      string
		want      []string
		dontWant  []string
		wantStyle bool
	}{
		{"/embed/open?origin=https://partner.example",
			[]string{"Send a message to Ales Bialiatski", "For Ales Bialiatski", "Sign before", `name="token"`,
				`action="/embed/open/sign?origin=https%3A%2F%2Fpartner.example"`, `name="origin" value="https://partner.example"`,
				`data-origin="https://partner.example"`, "0</strong> signatures", `<progress max="1000"`},
			[]string{"<style"}, false},
		{"/embed/open?compact=1&theme=dark&accent=%23C0392B",
			[]string{`class="embed dark"`, `target="_blank" rel="noopener"`, "Read the letter and sign", "--accent: #c0392b; --accent-ink: #ffffff"},
			[]string{`name="token"`, "data-origin"}, true},
		{"/embed/open?accent=red;}body{display:none",
			[]string{`name="token"`}, []string{"<style", "display:none"}, false},
		{"/embed/open?accent=%23ffe",
			[]string{"--accent: #ffffee; --accent-ink: #000000"}, nil, true},
		{"/embed/closed", []string{"This campaign closed on"}, []string{`name="token"`}, false},
		{"/embed/open/thanks", []string{"Thank you. Your name is on the letter.", "Share the campaign"}, []string{`name="token"`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := s.get(t, tt.path)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d", res.Status)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(res.Body, w) {
					t.Errorf("page shows %q", w)
				}
			}
			csp := res.Header.Get("Content-Security-Policy")
			if got := strings.Contains(csp, "'nonce-"); got != tt.wantStyle {
				t.Errorf("CSP %q: style nonce %v, want %v", csp, got, tt.wantStyle)
			}
		})
	}
}

func TestEmbedOrigins(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	s.addCampaign(t, "restricted", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://partner.example", "http://127.0.0.1:8081"}
	})
	tests := []struct {
		path   string
		status int
	}{
		{"/embed/open?origin=https://anyone.example", 200},
		{"/embed/restricted?origin=https://partner.example", 200},
		{"/embed/restricted?origin=HTTPS://Partner.Example/", 200},
		{"/embed/restricted?origin=http://127.0.0.1:8081", 200},
		{"/embed/restricted", 200}, // a plain iframe: the browser enforces frame-ancestors
		{"/embed/restricted?origin=https://evil.example", 403},
		{"/embed/restricted?origin=http://partner.example", 403},
		{"/embed/restricted/thanks?origin=https://evil.example", 403},
		{"/embed/open?origin=javascript:alert(1)", 400},
		{"/embed/open?origin=https://a.example/path", 400},
		{"/embed/open?origin=https://a.example%22%3E", 400},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if res := s.get(t, tt.path); res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
		})
	}
}

// embedToken loads the widget's page as a browser does inside the
// partner's page (with a Referer from the ?origin= it names) and returns
// its form token, then moves the clock on as a person fills in the form.
func (s *site) embedToken(t *testing.T, path string) string {
	t.Helper()
	var header []string
	if u, err := url.Parse(path); err == nil && u.Query().Get("origin") != "" {
		header = []string{"Referer", u.Query().Get("origin") + "/campaigns.html"}
	}
	page := s.get(t, path, header...)
	m := tokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no form token on %s (status %d)", path, page.Status)
	}
	s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
	return m[1]
}

func TestSignThroughTheWidget(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "restricted", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://partner.example"}
	})
	ctx := context.Background()
	embedSigs := func() []campaign.Signature {
		t.Helper()
		p, err := s.Service.ListSignatures(ctx, camp.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Source: campaign.SourceEmbed}})
		if err != nil {
			t.Fatal(err)
		}
		return p.Signatures
	}

	t.Run("from a site not allowed", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/restricted")
		res := s.post(t, "/embed/restricted/sign", signForm(tok, func(v url.Values) {
			v.Set("origin", "https://evil.example")
			v.Set("email", "evil@example.org")
		}))
		if res.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.Status)
		}
		if n := len(embedSigs()); n != 0 {
			t.Errorf("%d signatures stored", n)
		}
	})

	t.Run("from another origin than ours", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/restricted")
		res := s.post(t, "/embed/restricted/sign", signForm(tok, func(v url.Values) { v.Set("origin", "https://partner.example") }),
			"Origin", "https://partner.example")
		if res.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.Status)
		}
	})

	t.Run("too fast", func(t *testing.T) {
		page := s.get(t, "/embed/restricted?origin=https://partner.example")
		tok := tokenRE.FindStringSubmatch(page.Body)[1]
		res := s.post(t, "/embed/restricted/sign?origin=https%3A%2F%2Fpartner.example",
			signForm(tok, func(v url.Values) { v.Set("origin", "https://partner.example") }))
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `class="notice"`) {
			t.Errorf("status %d, want 422 with a notice", res.Status)
		}
		if res.Header.Get("X-Frame-Options") != "" {
			t.Error("the form drawn again cannot be framed")
		}
	})

	t.Run("invalid fields", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/restricted?origin=https://partner.example")
		res := s.post(t, "/embed/restricted/sign?origin=https%3A%2F%2Fpartner.example&theme=dark",
			signForm(tok, func(v url.Values) { v.Set("origin", "https://partner.example"); v.Set("email", "nope") }))
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.Status)
		}
		for _, want := range []string{`class="error-summary"`, `aria-invalid="true"`, `value="Anna Nowak"`, `class="embed dark"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})

	t.Run("signs", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/restricted?origin=https://partner.example")
		res := s.post(t, "/embed/restricted/sign?origin=https%3A%2F%2Fpartner.example&lang=en",
			signForm(tok, func(v url.Values) { v.Set("origin", "https://partner.example") }))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", res.Status)
		}
		loc := res.Header.Get("Location")
		if want := "/embed/restricted/thanks?lang=en&origin=https%3A%2F%2Fpartner.example"; loc != want {
			t.Errorf("Location %q, want %q", loc, want)
		}
		thanks := s.get(t, loc)
		if !strings.Contains(thanks.Body, "Thank you. Your name is on the letter.") || !strings.Contains(thanks.Body, "1</strong> signature") {
			t.Errorf("thanks page lacks the thanks or the count (status %d)", thanks.Status)
		}
		if !strings.Contains(thanks.Body, `data-origin="https://partner.example"`) {
			t.Error("the thanks page does not tell embed.js where to send its height")
		}
		sigs := embedSigs()
		if len(sigs) != 1 {
			t.Fatalf("%d embed signatures, want 1", len(sigs))
		}
		if sigs[0].Source != campaign.SourceEmbed || sigs[0].Referrer != "https://partner.example" {
			t.Errorf("source %q referrer %q, want embed from https://partner.example", sigs[0].Source, sigs[0].Referrer)
		}
		badge := s.get(t, "/c/restricted/badge.svg")
		if badge.Status != 200 || !strings.HasPrefix(badge.Header.Get("Content-Type"), "image/svg+xml") {
			t.Fatalf("badge: status %d, type %q", badge.Status, badge.Header.Get("Content-Type"))
		}
		for _, want := range []string{"<title>Send a message to Ales Bialiatski befor…: 1 signature</title>", ">1 signature</text>"} {
			if !strings.Contains(badge.Body, want) {
				t.Errorf("badge lacks %q:\n%s", want, badge.Body)
			}
		}
		if cc := badge.Header.Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("badge Cache-Control %q", cc)
		}
		if strings.Contains(badge.Body, "@import") || strings.Contains(badge.Body, "href=") {
			t.Error("the badge loads something from elsewhere")
		}
	})

	t.Run("an origin that does not frame the page gets no credit", func(t *testing.T) {
		page := s.get(t, "/embed/restricted?origin=https://partner.example") // no Referer: not framed by it
		tok := tokenRE.FindStringSubmatch(page.Body)[1]
		s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
		res := s.post(t, "/embed/restricted/sign?origin=https%3A%2F%2Fpartner.example",
			signForm(tok, func(v url.Values) { v.Set("origin", "https://partner.example"); v.Set("email", "forged@example.org") }))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", res.Status)
		}
		forged := campaign.SignatureID(emailKey, "c-restricted", "forged@example.org")
		found := false
		for _, sig := range embedSigs() {
			if sig.ID == forged {
				found = true
				if sig.Referrer != "" {
					t.Errorf("the signature was credited to %q without the site framing the page", sig.Referrer)
				}
			}
		}
		if !found {
			t.Error("the signature was not stored")
		}
	})
}

func TestWidgetLoader(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	res := s.get(t, "/widget.js")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("status %d, type %q", res.Status, res.Header.Get("Content-Type"))
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write([]byte(res.Body))
	w.Close()
	if z.Len() >= 1024 {
		t.Errorf("widget.js is %d bytes gzipped, want under 1 KB", z.Len())
	}
	for _, want := range []string{"currentScript", "e.source !== f.contentWindow", "e.origin !== base", "solidarity:height", "insertBefore(f, s.nextSibling)"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("loader lacks %q", want)
		}
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if again := s.get(t, "/widget.js", "If-None-Match", etag); again.Status != http.StatusNotModified || again.Body != "" {
		t.Errorf("revalidation: status %d, %d bytes, want 304", again.Status, len(again.Body))
	}
}

func TestEmbedBuilder(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "open", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + camp.ID + "/embed"
	tests := []struct {
		query    string
		status   int
		want     []string
		dontWant []string
	}{
		{"", 200, []string{
			`&lt;script src=&#34;` + s.URL + `/widget.js&#34; data-campaign=&#34;open&#34; async&gt;&lt;/script&gt;`,
			`&lt;iframe src=&#34;` + s.URL + `/embed/open&#34;`,
			`/c/open/badge.svg`, `<iframe class="embed-preview" src="/embed/open"`, `aria-current="page">Embed</a>`,
			"Any site may embed this campaign."}, nil},
		{"?lang=en&theme=dark&accent=%23C0392B&compact=1", 200, []string{
			`data-lang=&#34;en&#34; data-theme=&#34;dark&#34; data-accent=&#34;#c0392b&#34; data-compact async`,
			`/embed/open?accent=%23c0392b&amp;compact=1&amp;lang=en&amp;theme=dark`, `value="dark" checked`}, nil},
		{"?accent=blue", 422, []string{`aria-invalid="true"`, "Enter a colour code"}, []string{"data-accent"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := org.get(t, base+tt.query)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d", res.Status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(res.Body, w) {
					t.Errorf("page shows %q", w)
				}
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q: the builder must frame our embed and not be framed", csp)
			}
		})
	}
}

func TestCampaignFormEmbedOrigins(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "open", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	path := "/admin/campaigns/" + camp.ID
	res := org.post(t, path, campaignValues(camp, func(v url.Values) {
		v.Set("embed_origins", "https://Partner.example/\r\nhttp://127.0.0.1:8081\r\nhttps://partner.example")
	}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.Status)
	}
	got, err := s.Service.Campaign(context.Background(), camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://partner.example", "http://127.0.0.1:8081"}; strings.Join(got.EmbedOrigins, " ") != strings.Join(want, " ") {
		t.Errorf("embed origins %q, want %q", got.EmbedOrigins, want)
	}
	res = org.post(t, path, campaignValues(got, func(v url.Values) { v.Set("embed_origins", "https://ok.example\nnot a site/") }))
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Enter web addresses like") ||
		!strings.Contains(res.Body, "not a site/</textarea>") {
		t.Errorf("status %d: want 422 with the problem and the typed text", res.Status)
	}
	got, _ = s.Service.Campaign(context.Background(), camp.ID)
	if len(got.EmbedOrigins) != 2 {
		t.Errorf("bad input changed the stored origins to %q", got.EmbedOrigins)
	}
}
