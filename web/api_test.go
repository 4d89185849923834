package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/web"
)

// addPartner registers a partner and returns an API key for it.
func (s *site) addPartner(t *testing.T, ref, website string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Partners.Add(ctx, campaign.PartnerInput{Name: "NGO " + ref, Website: website, Ref: ref}); err != nil {
		t.Fatal(err)
	}
	key, err := s.Partners.NewKey(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// apiPost posts body as JSON with the key (none when empty) and headers.
func (s *site) apiPost(t *testing.T, slug, key, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/campaigns/"+slug+"/signatures", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

func sigJSON(email string, edit func(map[string]any)) string {
	m := map[string]any{"name": "Olga Petrova", "email": email, "city": "Vilnius", "country": "LT", "consent": true}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// apiErr decodes an API error body.
func apiErr(t *testing.T, res response) (code string, fields map[string]string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(res.Body), &e); err != nil {
		t.Fatalf("error body %q: %v", res.Body, err)
	}
	if e.Error.Message == "" {
		t.Errorf("error %q has no message", e.Error.Code)
	}
	return e.Error.Code, e.Error.Fields
}

func TestAPISignStatuses(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	s.addCampaign(t, "closed", func(c *campaign.Campaign) { c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC) })
	s.addCampaign(t, "later", func(c *campaign.Campaign) {
		c.OpensAt, c.ClosesAt = time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC)
	})
	key := s.addPartner(t, "ngo-a", "https://ngo-a.example")

	tests := []struct {
		name       string
		slug, key  string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"signed", "open", key, sigJSON("olga@example.org", nil), 201, "", ""},
		{"same address again", "open", key, sigJSON("OLGA@example.org ", nil), 201, "", ""},
		{"no consent", "open", key, sigJSON("b@example.org", func(m map[string]any) { m["consent"] = false }), 422, "invalid", "consent"},
		{"bad email and country", "open", key, sigJSON("not-an-address", func(m map[string]any) { m["country"] = "XX" }), 422, "invalid", "email"},
		{"not JSON", "open", key, `{"name":`, 400, "bad_json", ""},
		{"unknown field", "open", key, `{"name":"A","nickname":"x"}`, 400, "bad_json", ""},
		{"no key", "open", "", sigJSON("c@example.org", nil), 401, "unauthorized", ""},
		{"wrong key", "open", "sol_wrongwrongwrong", sigJSON("c@example.org", nil), 401, "unauthorized", ""},
		{"unknown campaign", "nothing", key, sigJSON("c@example.org", nil), 404, "not_found", ""},
		{"not open yet", "later", key, sigJSON("c@example.org", nil), 404, "not_found", ""},
		{"closed", "closed", key, sigJSON("c@example.org", nil), 410, "closed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.apiPost(t, tt.slug, tt.key, tt.body)
			if res.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.wantStatus, res.Body)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("POST answered with CORS %q; partners call it from their servers", got)
			}
			if tt.wantCode == "" {
				if res.Body != `{"campaign":"open","status":"signed"}` {
					t.Errorf("body %s", res.Body)
				}
				return
			}
			code, fields := apiErr(t, res)
			if code != tt.wantCode {
				t.Errorf("code %q, want %q", code, tt.wantCode)
			}
			if tt.wantField != "" && fields[tt.wantField] == "" {
				t.Errorf("no message for field %s in %v", tt.wantField, fields)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
	// The stored signature is the partner's, normalised like the web form's.
	c, _ := s.Service.Public(context.Background(), "open")
	if got := s.Service.Count(c.ID); got != 1 {
		t.Errorf("count %d, want 1", got)
	}
	sig, err := s.Service.Store().Signature(context.Background(), campaign.SignatureID(emailKey, c.ID, "olga@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if sig.Source != campaign.SourceAPI || sig.Referrer != "ngo-a" || sig.Person.Email != "" {
		t.Errorf("stored source %q referrer %q email %q, want api, ngo-a and no address", sig.Source, sig.Referrer, sig.Person.Email)
	}
}

func TestAPIIdempotency(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-b", "")
	body := sigJSON("idem@example.org", nil)
	first := s.apiPost(t, "open", key, body, "Idempotency-Key", "order-1")
	again := s.apiPost(t, "open", key, body, "Idempotency-Key", "order-1")
	if first.Status != 201 || again.Status != 201 || first.Body != again.Body {
		t.Fatalf("first %d %s, repeat %d %s: want the same 201", first.Status, first.Body, again.Status, again.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("repeat not marked Idempotent-Replayed")
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("count %d after a repeated request, want 1", n)
	}
	// Without the key the same address is answered as if new, and counted once.
	if res := s.apiPost(t, "open", key, body); res.Status != 201 || res.Body != first.Body || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("same signature without key: %d %s replayed %q, want the first 201 not replayed", res.Status, res.Body, res.Header.Get("Idempotent-Replayed"))
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("count %d after the same address again, want 1", n)
	}
	// An error answer is remembered too.
	bad := sigJSON("x", nil)
	e1 := s.apiPost(t, "open", key, bad, "Idempotency-Key", "order-2")
	e2 := s.apiPost(t, "open", key, bad, "Idempotency-Key", "order-2")
	if e1.Status != 422 || e2.Status != 422 || e1.Body != e2.Body {
		t.Errorf("invalid twice: %d, %d", e1.Status, e2.Status)
	}
	// The same key with another request is refused.
	if res := s.apiPost(t, "open", key, sigJSON("other@example.org", nil), "Idempotency-Key", "order-1"); res.Status != 422 {
		t.Errorf("reused key: %d, want 422", res.Status)
	} else if code, _ := apiErr(t, res); code != "idempotency_key_reused" {
		t.Errorf("reused key: code %q", code)
	}
	// Another partner's key space is its own.
	other := s.addPartner(t, "ngo-c", "")
	if res := s.apiPost(t, "open", other, sigJSON("third@example.org", nil), "Idempotency-Key", "order-1"); res.Status != 201 {
		t.Errorf("other partner, same key: %d, want 201", res.Status)
	}
	// After 24 hours the key is new again.
	s.Clock.Set(s.Clock.Now().Add(25 * time.Hour))
	if res := s.apiPost(t, "open", key, sigJSON("other@example.org", nil), "Idempotency-Key", "order-1"); res.Status != 201 {
		t.Errorf("expired key: %d, want 201", res.Status)
	}
}

func TestAPIKeyRevocation(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-d", "")
	if res := s.apiPost(t, "open", key, sigJSON("a@example.org", nil)); res.Status != 201 {
		t.Fatalf("before revocation: %d", res.Status)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/partners/ngo-d")
	prefix := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if prefix == nil || !strings.HasPrefix(key, prefix[1]) {
		t.Fatalf("partner page lists no revocable key for %s", key[:8])
	}
	if strings.Contains(page.Body, key) {
		t.Error("the partner page shows the whole key after creation")
	}
	if res := org.post(t, "/admin/partners/ngo-d/keys/revoke", url.Values{"key": {prefix[1]}}); res.Status != 303 {
		t.Fatalf("revoke: %d", res.Status)
	}
	if res := s.apiPost(t, "open", key, sigJSON("b@example.org", nil)); res.Status != 401 {
		t.Errorf("revoked key: %d, want 401", res.Status)
	}
	if !strings.Contains(org.get(t, "/admin/partners/ngo-d").Body, "revoked") {
		t.Error("the key is not shown as revoked")
	}
}

func TestAPIRateLimits(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-e", "")
	for i := range 60 {
		if res := s.apiPost(t, "open", key, "{"); res.Status != 400 {
			t.Fatalf("request %d: %d, want 400", i+1, res.Status)
		}
	}
	res := s.apiPost(t, "open", key, sigJSON("late@example.org", nil))
	if res.Status != 429 || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("61st request in a minute: %d, Retry-After %q; want 429, 1", res.Status, res.Header.Get("Retry-After"))
	}
	if code, _ := apiErr(t, res); code != "rate_limited" {
		t.Errorf("code %q", code)
	}
	s.Clock.Set(s.Clock.Now().Add(2 * time.Second))
	if res := s.apiPost(t, "open", key, sigJSON("late@example.org", nil)); res.Status != 201 {
		t.Errorf("after waiting: %d, want 201", res.Status)
	}
	// Reads are limited per client address.
	var last response
	for range 601 {
		last = s.get(t, "/api/v1/campaigns/open")
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Errorf("601st read in a minute: %d, want 429 with Retry-After", last.Status)
	}
}

func TestAPIReadsCORSAndETag(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	for _, path := range []string{"/api/v1/campaigns", "/api/v1/campaigns/open"} {
		t.Run(path, func(t *testing.T) {
			res := s.get(t, path, "Origin", "https://partner.example")
			if res.Status != 200 {
				t.Fatalf("status %d", res.Status)
			}
			for h, want := range map[string]string{"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=2", "Content-Type": "application/json"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			etag := res.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			again := s.get(t, path, "If-None-Match", etag)
			if again.Status != 304 || again.Body != "" {
				t.Errorf("If-None-Match with the ETag: %d %q, want 304 and no body", again.Status, again.Body)
			}
			pre := s.do(t, preflight(t, s.URL+path))
			if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "GET") {
				t.Errorf("preflight: %d %v", pre.Status, pre.Header)
			}
		})
	}
	pre := s.do(t, preflight(t, s.URL+"/api/v1/campaigns/open/signatures"))
	if pre.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of the POST allowed: %v", pre.Header)
	}
	// A new signature changes the body and so the ETag.
	before := s.get(t, "/api/v1/campaigns/open")
	key := s.addPartner(t, "ngo-f", "")
	if res := s.apiPost(t, "open", key, sigJSON("e@example.org", nil)); res.Status != 201 {
		t.Fatal(res.Status)
	}
	after := s.get(t, "/api/v1/campaigns/open", "If-None-Match", before.Header.Get("ETag"))
	if after.Status != 200 || !strings.Contains(after.Body, `"signatures":1`) || !strings.Contains(after.Body, `"signatures_by_country":{"LT":1}`) {
		t.Errorf("after a signature: %d %s", after.Status, after.Body)
	}
}

func preflight(t *testing.T, u string) *http.Request {
	req, err := http.NewRequest(http.MethodOptions, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://partner.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "if-none-match")
	return req
}

// TestCountsReachOtherNodes runs a second node on the same database: a
// signature made on one shows in the other's API within two seconds.
func TestCountsReachOtherNodes(t *testing.T) {
	// Not parallel: it times how soon the other node counts.
	db := dbs.Database(t)
	s := newSite(t, db)
	c := s.addCampaign(t, "open", nil)
	node, err := app.New(dbs.Wrap(db), testKeys(t), app.Options{Now: s.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	other := node.Signing
	ctx, cancel := context.WithCancel(context.Background())
	if err := other.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- s.Service.Run(ctx, slog.New(slog.DiscardHandler)) }()
	go func() { done <- other.Run(ctx, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	})
	key := s.addPartner(t, "ngo-g", "")
	if res := s.apiPost(t, "open", key, sigJSON("n@example.org", nil)); res.Status != 201 {
		t.Fatal(res.Status)
	}
	start := time.Now()
	for other.Count(c.ID) != 1 || other.Countries(c.ID)["LT"] != 1 {
		if time.Since(start) > 2*time.Second+500*time.Millisecond {
			t.Fatalf("the other node counts %d after %v, want 1", other.Count(c.ID), time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The new campaign list reaches the API of the node too.
	if got := other.Campaigns(); len(got.All) != 1 {
		t.Errorf("other node lists %d campaigns", len(got.All))
	}
}

func TestPartnersConsoleAndStatsLink(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", nil)
	org := s.loginAs(t, account.RoleOrganizer)

	tests := []struct {
		name      string
		form      url.Values
		want      int
		wantError string
	}{
		{"bad ref", url.Values{"name": {"Amnesty PL"}, "ref": {"Amnesty PL!"}}, 422, "lower-case letters"},
		{"bad website", url.Values{"name": {"Amnesty PL"}, "ref": {"amnesty-pl"}, "website": {"ftp://x"}}, 422, "https://ngo.example"},
		{"no name", url.Values{"ref": {"amnesty-pl"}}, 422, "Enter the partner"},
		{"added", url.Values{"name": {"Amnesty PL"}, "ref": {"Amnesty-PL"}, "website": {"https://Amnesty.example/pl/"}}, 303, ""},
		{"ref taken", url.Values{"name": {"Other"}, "ref": {"amnesty-pl"}}, 422, "Another partner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := org.post(t, "/admin/partners", tt.form)
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d", res.Status, tt.want)
			}
			if tt.wantError != "" {
				if !strings.Contains(res.Body, tt.wantError) || !strings.Contains(res.Body, `aria-invalid="true"`) {
					t.Errorf("no error %q next to the field", tt.wantError)
				}
				if v := tt.form.Get("name"); v != "" && !strings.Contains(res.Body, `value="`+v+`"`) {
					t.Error("the typed name was lost")
				}
			}
		})
	}
	p, err := s.Partners.Partner(context.Background(), "amnesty-pl")
	if err != nil || p.Website != "https://amnesty.example" {
		t.Fatalf("stored partner %+v, %v", p, err)
	}

	// Attribution by ?ref= on the campaign page, and by the partner's website.
	page := s.get(t, "/c/open?ref=amnesty-pl")
	if !strings.Contains(page.Body, `name="ref" value="amnesty-pl"`) {
		t.Fatal("the campaign page does not carry ?ref= into its form")
	}
	token := tokenRE.FindStringSubmatch(page.Body)[1]
	s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
	res := s.post(t, "/c/open/sign", signForm(token, func(v url.Values) { v.Set("ref", "amnesty-pl"); v.Set("name", "Secret Supporter") }))
	if res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	if err := s.Service.Sign(context.Background(), mustPublic(t, s, "open"), campaign.SignInput{Name: "Widget Person", Email: "w@example.org",
		Country: "DE", Consent: true, Source: campaign.SourceEmbed, Referrer: "https://amnesty.example"}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Set(s.Clock.Now().Add(2 * time.Minute)) // past the counts' cache

	list := org.get(t, "/admin/partners")
	if !regexp.MustCompile(`(?s)Amnesty PL.*class="num">2</td>`).MatchString(list.Body) {
		t.Errorf("the list does not show 2 signatures for the partner")
	}
	created := org.post(t, "/admin/partners/amnesty-pl/link", nil)
	m := regexp.MustCompile(`value="(http://[^"]+/p/([^"]+))"`).FindStringSubmatch(created.Body)
	if created.Status != 200 || m == nil {
		t.Fatalf("stats link not shown: %d", created.Status)
	}
	if strings.Contains(org.get(t, "/admin/partners/amnesty-pl").Body, m[2]) {
		t.Error("the stats link is shown again")
	}
	stats := s.get(t, "/p/"+m[2])
	if stats.Status != 200 || !strings.Contains(stats.Body, "2 in total") || !strings.Contains(stats.Body, "2 signatures") {
		t.Errorf("stats page: %d", stats.Status)
	}
	if strings.Contains(stats.Body, "Secret Supporter") || strings.Contains(stats.Body, "Widget Person") || stats.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the stats page names supporters or leaks its address")
	}
	// A new link replaces the old one; revoking ends it.
	again := org.post(t, "/admin/partners/amnesty-pl/link", nil)
	m2 := regexp.MustCompile(`/p/([^"]+)"`).FindStringSubmatch(again.Body)
	if s.get(t, "/p/"+m[2]).Status != 404 || s.get(t, "/p/"+m2[1]).Status != 200 {
		t.Error("the replaced link still works, or the new one does not")
	}
	if res := org.post(t, "/admin/partners/amnesty-pl/link/revoke", nil); res.Status != 303 {
		t.Fatal(res.Status)
	}
	if s.get(t, "/p/"+m2[1]).Status != 404 {
		t.Error("the revoked link still works")
	}
	audit := org.get(t, "/admin/partners")
	_ = audit
}

func mustPublic(t *testing.T, s *site, slug string) *campaign.Campaign {
	t.Helper()
	c, err := s.Service.Public(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOpenAPIDescribesTheAPI checks real answers against the OpenAPI
// document: every documented operation answers, every answer's status is
// documented, and JSON bodies have exactly the documented properties and
// types.
func TestOpenAPIDescribesTheAPI(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "open", func(c *campaign.Campaign) {
		c.Translations = []campaign.Text{{Lang: "pl", Title: "List do Alesia", Summary: "Słowa z zewnątrz.", Letter: "Drogi Alesiu"}}
	})
	s.addCampaign(t, "closed", func(c *campaign.Campaign) { c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC) })
	s.addDrive(t, "drive")
	key := s.addPartner(t, "ngo-h", "")
	raw := s.get(t, "/api/v1/openapi.json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	tested := map[string]bool{}
	check := func(method, tmpl string, res response) {
		t.Helper()
		op, ok := dig(doc, "paths", tmpl, strings.ToLower(method)).(map[string]any)
		if !ok {
			t.Errorf("%s %s is not documented", method, tmpl)
			return
		}
		tested[method+" "+tmpl] = true
		status := fmt.Sprint(res.Status)
		spec, ok := dig(op, "responses", status).(map[string]any)
		if !ok {
			t.Errorf("%s %s answered %d, which is not documented", method, tmpl, res.Status)
			return
		}
		schema := dig(spec, "content", "application/json", "schema")
		if schema == nil {
			return
		}
		var body any
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Errorf("%s %s %d: not JSON: %v", method, tmpl, res.Status, err)
			return
		}
		for _, p := range matchSchema(doc, schema.(map[string]any), body, "body") {
			t.Errorf("%s %s %d: %s", method, tmpl, res.Status, p)
		}
		// An error's code is one the document lists.
		if code, ok := dig(body, "error", "code").(string); ok {
			codes, _ := dig(doc, "components", "schemas", "Error", "properties", "error", "properties", "code", "description").(string)
			if !slices.Contains(strings.Split(codes, ", "), code) {
				t.Errorf("%s %s %d: error code %q is not documented", method, tmpl, res.Status, code)
			}
		}
	}
	check("GET", "/campaigns", s.get(t, "/api/v1/campaigns"))
	check("GET", "/campaigns", s.get(t, "/api/v1/campaigns?lang=pl"))
	check("GET", "/campaigns/{slug}", s.get(t, "/api/v1/campaigns/open"))
	check("GET", "/campaigns/{slug}", s.get(t, "/api/v1/campaigns/open?lang=pl"))
	check("GET", "/campaigns/{slug}", s.get(t, "/api/v1/campaigns/nothing"))
	check("GET", "/campaigns/{slug}", s.get(t, "/api/v1/campaigns/drive"))
	check("OPTIONS", "/campaigns", s.do(t, preflight(t, s.URL+"/api/v1/campaigns")))
	check("OPTIONS", "/campaigns/{slug}", s.do(t, preflight(t, s.URL+"/api/v1/campaigns/open")))
	check("GET", "/openapi.json", raw)
	for _, tt := range []struct{ slug, key, body string }{
		{"open", key, sigJSON("a@example.org", nil)},
		{"open", key, sigJSON("a@example.org", nil)},
		{"open", key, sigJSON("bad", nil)},
		{"open", key, "[1"},
		{"open", key, `{"Name":"A"}`},
		{"open", key, `{"name":"A","name":"B"}`},
		{"open", key, "{\"name\":\"\xff\"}"},
		{"open", "", "{}"},
		{"nothing", key, sigJSON("a@example.org", nil)},
		{"closed", key, sigJSON("a@example.org", nil)},
		{"drive", key, sigJSON("a@example.org", func(m map[string]any) { m["recipient"], m["greeting"] = "maria-drive", "Stay strong" })},
		{"drive", key, sigJSON("a@example.org", func(m map[string]any) { m["recipient"], m["greeting"] = "free-drive", "Stay strong" })},
	} {
		check("POST", "/campaigns/{slug}/signatures", s.apiPost(t, tt.slug, tt.key, tt.body))
	}
	for _, tt := range []struct{ key, query string }{{key, ""}, {key, "?limit=0"}, {"", ""}} {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/api/v1/partner/contacts"+tt.query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		check("GET", "/partner/contacts", s.do(t, req))
	}
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			if op := strings.ToUpper(method) + " " + path; !tested[op] {
				t.Errorf("%s is documented but not tested", op)
			}
			route := strings.ToUpper(method) + " /api/v1" + strings.ReplaceAll(path, "{slug}", ":slug")
			if !slices.Contains(s.App.Routes(), route) {
				t.Errorf("%s is documented but has no route", route)
			}
		}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// matchSchema checks v against the subset of JSON Schema the document
// uses: $ref, type, properties, required, additionalProperties, items,
// enum and const. It returns the problems found.
func matchSchema(doc, schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		target, ok := dig(doc, parts...).(map[string]any)
		if !ok {
			return []string{at + ": unresolved " + ref}
		}
		return matchSchema(doc, target, v, at)
	}
	var problems []string
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		problems = append(problems, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if c, ok := schema["const"]; ok && c != v {
		problems = append(problems, fmt.Sprintf("%s: %v, want %v", at, v, c))
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(problems, fmt.Sprintf("%s: %T, want an object", at, v))
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := m[r]; !ok {
				problems = append(problems, at+": missing "+r)
			}
		}
		for k, val := range m {
			if ps, ok := props[k].(map[string]any); ok {
				problems = append(problems, matchSchema(doc, ps, val, at+"."+k)...)
				continue
			}
			switch extra := schema["additionalProperties"].(type) {
			case map[string]any:
				problems = append(problems, matchSchema(doc, extra, val, at+"."+k)...)
			case bool:
				if !extra {
					problems = append(problems, at+": undocumented property "+k)
				}
			}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			return append(problems, fmt.Sprintf("%s: %T, want an array", at, v))
		}
		items, _ := schema["items"].(map[string]any)
		for i, it := range list {
			problems = append(problems, matchSchema(doc, items, it, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(problems, fmt.Sprintf("%s: %T, want a string", at, v))
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				problems = append(problems, at+": not a date-time: "+str)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			problems = append(problems, fmt.Sprintf("%s: %v, want an integer", at, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			problems = append(problems, fmt.Sprintf("%s: %T, want a boolean", at, v))
		}
	}
	return problems
}

func asList(v any) []string {
	var out []string
	for _, x := range asAny(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func asAny(v any) []any { l, _ := v.([]any); return l }

// Behind a trusted proxy the client is the last address the proxy saw:
// addresses a client puts in front of it do not buy new rate limits.
func TestRateLimitIgnoresClaimedAddresses(t *testing.T) {
	t.Parallel()
	s := newSiteWith(t, dbs.Database(t), func(c *web.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
	s.addCampaign(t, "open", nil)
	var last response
	for i := range 601 {
		last = s.get(t, "/api/v1/campaigns/open", "X-Forwarded-For", fmt.Sprintf("10.%d.%d.1, 203.0.113.5", i/250, i%250))
	}
	if last.Status != 429 {
		t.Errorf("601st read from one client hiding behind made-up addresses: %d, want 429", last.Status)
	}
	if res := s.get(t, "/api/v1/campaigns/open", "X-Forwarded-For", "203.0.113.6"); res.Status != 200 {
		t.Errorf("another client: %d, want 200", res.Status)
	}
}
