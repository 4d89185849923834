package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/web"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func apiCount(t *testing.T, s *site, slug string) int64 {
	t.Helper()
	res := s.get(t, "/api/v1/campaigns/"+slug)
	if res.Status != 200 {
		t.Fatalf("API status %d: %s", res.Status, res.Body)
	}
	var got struct{ Signatures int64 }
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatal(err)
	}
	return got.Signatures
}

// storedSignatures reads every stored signature, opened, in the order the
// database keeps them.
func storedSignatures(t *testing.T, s *site) []campaign.Signature {
	t.Helper()
	ctx := context.Background()
	cur, err := s.DB.Collection("signatures").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	store := s.Core.Campaigns
	var out []campaign.Signature
	for _, d := range ids {
		sig, err := store.Signature(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *sig)
	}
	return out
}

func TestSignSuccess(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)

	page := s.get(t, "/c/ales")
	for _, want := range []string{c.Title, "Ales Bialiatski", "Sign before 12 July 2027", "Letters must be in Belarusian or Russian.",
		`<strong>0</strong> signatures`, `name="name"`, `name="email"`, `name="consent"`, `<option value=BY>Belarus<option`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}

	res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil))
	if res.Status != 303 || res.Header.Get("Location") != "/c/ales/thanks" {
		t.Fatalf("sign: status %d Location %q, want 303 to /c/ales/thanks\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	thanks := s.get(t, "/c/ales/thanks")
	for _, want := range []string{"Thank you", `<strong>1</strong> signature`, "https://t.me/share/url?url=" + url.QueryEscape(s.URL+"/c/ales")} {
		if !strings.Contains(html.UnescapeString(thanks.Body), want) {
			t.Errorf("thanks page lacks %q", want)
		}
	}
	if strings.Contains(thanks.Body, "<script") {
		t.Error("thanks page has a script")
	}
	if n := apiCount(t, s, "ales"); n != 1 {
		t.Errorf("API signatures = %d right after signing, want 1", n)
	}

	sigs := storedSignatures(t, s)
	if len(sigs) != 1 {
		t.Fatalf("stored %d signatures, want 1", len(sigs))
	}
	got := sigs[0]
	// The email domain is kept, sealed, for the console's bursts.
	want := campaign.Person{Name: "Anna Nowak", City: "Białystok", Country: "PL", Display: campaign.NameFull, Domain: "example.org"}
	if got.Person != want {
		t.Errorf("stored person = %+v, want %+v (no email without updates, only its domain)", got.Person, want)
	}
	if got.SignedAt.Location() != time.UTC || !got.SignedAt.Equal(s.Clock.Now()) {
		t.Errorf("signed_at = %v, want the clock's %v in UTC", got.SignedAt, s.Clock.Now())
	}
	if got.ID != campaign.SignatureID(emailKey, c.ID, "anna@example.org") {
		t.Errorf("signature ID is not the HMAC of campaign and email")
	}
	g, err := s.Greetings.Greeting(context.Background(), got.ID)
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	if g.Text != "Trzymaj się, Ales!" || g.Status != letters.StatusPending {
		t.Errorf("greeting = %q %s, want the text, pending", g.Text, g.Status)
	}
}

func TestSignKeepsEmailOnlyForUpdates(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	_, box := confirmingCampaign(t, s, "ales")
	res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
		v.Set("email", " Olga@Example.ORG ")
		v.Set("updates", "yes")
		v.Set("display", "country")
		v.Del("greeting")
	}))
	if res.Status != 303 {
		t.Fatalf("status %d, want 303", res.Status)
	}
	box.confirmLast(t, s)
	sigs := storedSignatures(t, s)
	if len(sigs) != 1 || sigs[0].Person.Email != "olga@example.org" || !sigs[0].Updates || sigs[0].Person.Display != campaign.NameCountry {
		t.Fatalf("stored %+v, want one signature keeping the normalised email", sigs)
	}
	if _, err := s.Greetings.Greeting(context.Background(), sigs[0].ID); err == nil {
		t.Error("a greeting was stored for an empty greeting field")
	}
}

func TestSignValidation(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.Greetings.MaxLength = 20 })
	tests := []struct {
		name    string
		edit    func(url.Values)
		field   string
		message string
		kept    string // what the user typed, shown again
	}{
		{"no name", func(v url.Values) { v.Set("name", "   ") }, "name", "Enter your name.", `value="anna@example.org"`},
		{"invisible name", func(v url.Values) { v.Set("name", "\u3164\u200b") }, "name", "Please use visible letters.", `value="Białystok"`},
		{"name with control characters", func(v url.Values) { v.Set("name", "Anna\x1b[31m") }, "name", "characters that cannot be printed", `value="anna@example.org"`},
		{"name too long", func(v url.Values) { v.Set("name", strings.Repeat("Ж", 81)) }, "name", "at most 80 characters", strings.Repeat("Ж", 81)},
		{"no email", func(v url.Values) { v.Set("email", "") }, "email", "Enter your email address.", `value="Anna Nowak"`},
		{"bad email", func(v url.Values) { v.Set("email", "anna@") }, "email", "like name@example.org", `value="anna@"`},
		{"city too long", func(v url.Values) { v.Set("city", strings.Repeat("a", 81)) }, "city", "at most 80 characters", strings.Repeat("a", 81)},
		{"no country", func(v url.Values) { v.Set("country", "") }, "country", "Choose your country.", `value="Anna Nowak"`},
		{"unknown country", func(v url.Values) { v.Set("country", "XX") }, "country", "Choose a country from the list.", `value="Anna Nowak"`},
		{"greeting too long", func(v url.Values) { v.Set("greeting", strings.Repeat("💛", 21)) }, "greeting", "at most 20 characters", strings.Repeat("💛", 21)},
		{"no consent", func(v url.Values) { v.Del("consent") }, "consent", "Tick this box to agree", `value="Anna Nowak"`},
		{"unknown name display", func(v url.Values) { v.Set("display", "nickname") }, "display", "Choose one of the options.", `value="Anna Nowak"`},
		{"invalid UTF-8", func(v url.Values) { v.Set("city", "Bia\xff") }, "city", "characters that cannot be printed", `value="Anna Nowak"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), tt.edit))
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			body := res.Body
			errID := fmt.Sprintf(`id="e-%s"`, tt.field)
			i := strings.Index(body, errID)
			if i < 0 {
				t.Fatalf("no error next to field %s", tt.field)
			}
			if msg := body[i:min(len(body), i+300)]; !strings.Contains(msg, tt.message) {
				t.Errorf("error next to %s = %q, want it to say %q", tt.field, msg, tt.message)
			}
			if tag := fieldTag(body, tt.field); !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, "e-"+tt.field) {
				t.Errorf("field %s is not marked invalid and tied to its error: %s", tt.field, tag)
			}
			if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "<title>Error: ") {
				t.Error("the problem is not announced (role=alert, title prefix)")
			}
			if !strings.Contains(body, tt.kept) {
				t.Errorf("the form does not keep %q", tt.kept)
			}
			if n := len(storedSignatures(t, s)); n != 0 {
				t.Errorf("stored %d signatures for invalid input", n)
			}
		})
	}
	if n := apiCount(t, s, "ales"); n != 0 {
		t.Errorf("count = %d after only invalid submissions", n)
	}
}

func TestSignRepeatLooksLikeSuccess(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	first := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil))
	firstThanks := s.get(t, "/c/ales/thanks")
	again := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
		v.Set("email", "ANNA@example.org ")
		v.Set("name", "Someone Else")
		v.Set("greeting", "A second greeting")
	}))
	if first.Status != 303 || again.Status != 303 || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("first %d %q, repeat %d %q: want the same redirect", first.Status, first.Header.Get("Location"), again.Status, again.Header.Get("Location"))
	}
	if again.Body != first.Body {
		t.Errorf("repeat body %q differs from first %q", again.Body, first.Body)
	}
	if thanks := s.get(t, "/c/ales/thanks"); thanks.Body != firstThanks.Body {
		t.Error("the thanks page after a repeat differs from the first one")
	}
	sigs := storedSignatures(t, s)
	if len(sigs) != 1 || sigs[0].Person.Name != "Anna Nowak" {
		t.Fatalf("stored %+v, want only the first signature", sigs)
	}
	g, err := s.Greetings.Greeting(context.Background(), sigs[0].ID)
	if err != nil || g.Text != "Trzymaj się, Ales!" {
		t.Errorf("greeting = %+v, %v; want the first one unchanged", g, err)
	}
	if n := apiCount(t, s, "ales"); n != 1 {
		t.Errorf("count = %d after a repeat, want 1", n)
	}
}

func TestFormProtection(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "other", nil)
	tests := []struct {
		name   string
		token  func() string
		header []string
		status int
		want   string
	}{
		{"missing token", func() string { return "" }, nil, 403, "This form was open for too long"},
		{"forged token", func() string { return "AAAAAGsGphUGXA0kpb2Yth97CMnewe-w" }, nil, 403, "This form was open for too long"},
		{"token of another campaign", func() string { return s.token(t, "other") }, nil, 403, "This form was open for too long"},
		{"expired token", func() string {
			tok := s.token(t, "ales")
			s.Clock.Set(s.Clock.Now().Add(25 * time.Hour))
			return tok
		}, nil, 403, "This form was open for too long"},
		{"sent at once", func() string {
			tok := s.token(t, "ales")
			s.Clock.Set(s.Clock.Now().Add(-29 * time.Second))
			return tok
		}, nil, 422, "That was very quick"},
		{"other origin", func() string { return s.token(t, "ales") }, []string{"Origin", "https://evil.example"}, 403, "sent from another site"},
		{"cross-site fetch", func() string { return s.token(t, "ales") }, []string{"Sec-Fetch-Site", "cross-site"}, 403, "sent from another site"},
		{"no origin or referer", func() string { return s.token(t, "ales") }, []string{"Origin", ""}, 403, "sent from another site"},
		{"other referer", func() string { return s.token(t, "ales") }, []string{"Origin", "", "Referer", "https://evil.example/c/ales"}, 403, "sent from another site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.post(t, "/c/ales/sign", signForm(tt.token(), nil), tt.header...)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d", res.Status, tt.status)
			}
			if !strings.Contains(res.Body, tt.want) {
				t.Errorf("page does not say %q", tt.want)
			}
			if tt.status == 403 && strings.Contains(tt.want, "too long") && !strings.Contains(res.Body, `value="Anna Nowak"`) {
				t.Error("the refused form does not keep what was typed")
			}
		})
	}
	if n := len(storedSignatures(t, s)); n != 0 {
		t.Fatalf("stored %d signatures from refused forms", n)
	}
	// Old browsers send only a Referer; ours is accepted.
	res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil), "Origin", "", "Referer", s.URL+"/c/ales")
	if res.Status != 303 {
		t.Errorf("same-site Referer without Origin: status %d, want 303", res.Status)
	}
}

func TestHoneypotStoresNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) { v.Set("hp_x7", "http://spam.example") }))
	if res.Status != 303 {
		t.Fatalf("status %d, want the usual 303", res.Status)
	}
	if n := len(storedSignatures(t, s)); n != 0 {
		t.Errorf("a bot's submission stored %d signatures", n)
	}
}

func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "draft", func(c *campaign.Campaign) { c.OpensAt = time.Time{} })
	s.addCampaign(t, "later", func(c *campaign.Campaign) { c.OpensAt = time.Date(2027, 6, 20, 0, 0, 0, 0, time.UTC) })

	for _, path := range []string{"/c/draft", "/c/later", "/c/nope", "/c/draft/thanks", "/no/such/page"} {
		res := s.get(t, path)
		if res.Status != 404 || !strings.Contains(res.Body, "Page not found") {
			t.Errorf("GET %s: status %d, want a 404 page", path, res.Status)
		}
	}
	if res := s.post(t, "/c/later/sign", signForm("x", nil)); res.Status != 404 {
		t.Errorf("POST to a scheduled campaign: status %d, want 404", res.Status)
	}
	if res := s.get(t, "/api/v1/campaigns/draft"); res.Status != 404 || !strings.Contains(res.Body, `"code":"not_found"`) {
		t.Errorf("API for a draft: %d %s, want a JSON 404", res.Status, res.Body)
	}
	home := s.get(t, "/")
	if !strings.Contains(home.Body, `href="/c/ales"`) || strings.Contains(home.Body, "/c/draft") || strings.Contains(home.Body, "/c/later") {
		t.Errorf("home page should list only the open campaign:\n%s", home.Body)
	}

	// The last instant of 11 July in Minsk is still open; the next is not.
	s.Clock.Set(c.ClosesAt.Add(-time.Minute))
	tok := s.token(t, "ales")
	s.Clock.Set(c.ClosesAt.Add(-time.Nanosecond))
	if res := s.post(t, "/c/ales/sign", signForm(tok, nil)); res.Status != 303 {
		t.Fatalf("signing just before the deadline: status %d, want 303", res.Status)
	}
	s.Clock.Set(c.ClosesAt)
	page := s.get(t, "/c/ales")
	if page.Status != 200 || !strings.Contains(html.UnescapeString(page.Body), "This campaign closed on 12 July 2027, 00:00 (UTC+03)") {
		t.Errorf("closed campaign page (%d) does not say when it closed", page.Status)
	}
	if strings.Contains(page.Body, "<form") {
		t.Error("closed campaign page still shows the form")
	}
	res := s.post(t, "/c/ales/sign", signForm(tok, func(v url.Values) { v.Set("email", "late@example.org") }))
	if res.Status != 410 || !strings.Contains(res.Body, "This campaign closed on") {
		t.Errorf("POST after closing: status %d, want 410 with a readable page", res.Status)
	}
	if n := apiCount(t, s, "ales"); n != 1 {
		t.Errorf("count = %d, want only the signature made before the deadline", n)
	}
	if home := s.get(t, "/"); !strings.Contains(home.Body, "Recently closed") || !strings.Contains(home.Body, `href="/c/ales"`) {
		t.Error("home page does not list the campaign as recently closed")
	}
}

func TestAPICampaign(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil))
	res := s.get(t, "/api/v1/campaigns/ales")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"slug": "ales", "title": c.Title, "signatures": 1.0, "goal": 1000.0,
		"opens_at": "2027-05-01T00:00:00Z", "closes_at": "2027-07-11T21:00:00Z", "status": "open",
		"deadline": "2027-07-12T00:00:00+03:00", "time_zone": "Europe/Minsk",
		"summary": c.Summary, "letter": c.Letter, "lang": "en", "kind": "letter",
	}
	if byCountry, ok := got["signatures_by_country"].(map[string]any); !ok || byCountry["PL"] != 1.0 {
		t.Errorf("API signatures_by_country = %v, want PL: 1", got["signatures_by_country"])
	}
	if langs, ok := got["languages"].([]any); !ok || len(langs) != 1 || langs[0] != "en" {
		t.Errorf("API languages = %v, want [en]", got["languages"])
	}
	if d, ok := got["delivery"].([]any); !ok || len(d) != 0 {
		t.Errorf("API delivery = %v, want no events", got["delivery"])
	}
	if len(got) != len(want)+3 {
		t.Errorf("API fields = %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("API %s = %v, want %v", k, got[k], v)
		}
	}
}

func TestOriginBehindAProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    func(*web.Config)
		header []string
		want   int
	}{
		{"base URL: browser origin matches", func(c *web.Config) { c.BaseURL = "https://letters.example.org" },
			[]string{"Origin", "https://letters.example.org"}, 303},
		{"base URL: the local address is another origin", func(c *web.Config) { c.BaseURL = "https://letters.example.org" },
			nil, 403},
		{"trusted proxy says https", func(c *web.Config) { c.TrustedProxies = []string{"127.0.0.1"} },
			[]string{"X-Forwarded-Proto", "https", "Origin", "https://HOST"}, 303},
		{"untrusted proxy headers are ignored", func(c *web.Config) { c.TrustedProxies = []string{"10.9.9.9"} },
			[]string{"X-Forwarded-Proto", "https", "Origin", "https://HOST"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSiteWith(t, dbs.Database(t), tt.cfg)
			s.addCampaign(t, "ales", nil)
			header := append([]string(nil), tt.header...)
			for i := range header {
				header[i] = strings.ReplaceAll(header[i], "HOST", strings.TrimPrefix(s.URL, "http://"))
			}
			res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil), header...)
			if res.Status != tt.want {
				t.Errorf("status %d, want %d", res.Status, tt.want)
			}
		})
	}
}

// fieldTag returns the HTML tag of the form control with id f-<name>.
func fieldTag(body, name string) string {
	i := strings.Index(body, `id="f-`+name+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<")
	end := strings.Index(body[i:], ">")
	return body[start : i+end+1]
}
