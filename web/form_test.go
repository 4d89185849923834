package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Posted forms are read from the body only. A value in the query string
// is ignored: a link cannot fill in or override what a supporter sends,
// and a form token in a URL (kept by logs, histories and Referer headers)
// is worth nothing.
func TestFormFieldsOnlyFromTheBody(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "open", nil)
	s.addCampaign(t, "widget", func(c *campaign.Campaign) { c.EmbedOrigins = []string{"https://partner.example"} })
	ctx := context.Background()
	stored := func(email string) *campaign.Signature {
		sig, err := s.Service.Store().Signature(ctx, campaign.SignatureID(emailKey, c.ID, email))
		if err != nil {
			return nil
		}
		return sig
	}
	fields := func(email string) url.Values {
		return url.Values{"name": {"Query Person"}, "email": {email}, "country": {"PL"}, "consent": {"yes"}}
	}

	t.Run("sign: fields only in the query", func(t *testing.T) {
		tok := s.token(t, "open")
		res := s.post(t, "/c/open/sign?"+fields("query@example.org").Encode(), url.Values{"token": {tok}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.Status)
		}
		for _, want := range []string{`class="error-summary"`, `id="e-name"`, `id="e-email"`, `id="e-consent"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if stored("query@example.org") != nil {
			t.Error("signed with fields from the query string")
		}
	})
	t.Run("sign: token only in the query", func(t *testing.T) {
		tok := s.token(t, "open")
		res := s.post(t, "/c/open/sign?token="+url.QueryEscape(tok), signForm("", func(v url.Values) { v.Set("email", "qtoken@example.org") }))
		if res.Status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.Status)
		}
		if stored("qtoken@example.org") != nil {
			t.Error("signed with a token from the query string")
		}
	})
	t.Run("sign: the query does not override the body", func(t *testing.T) {
		tok := s.token(t, "open")
		q := url.Values{"name": {"Planted Name"}, "email": {"planted@example.org"}, "greeting": {"Planted words"}, "updates": {"yes"}, "hp_x7": {"bot"}}
		res := s.post(t, "/c/open/sign?"+q.Encode(), signForm(tok, func(v url.Values) { v.Set("email", "body@example.org") }))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", res.Status)
		}
		sig := stored("body@example.org")
		if sig == nil {
			t.Fatal("the body's signature was not stored (the query's honeypot or email won)")
		}
		if sig.Person.Name != "Anna Nowak" || sig.Updates || stored("planted@example.org") != nil {
			t.Errorf("stored name %q, updates %v: the query string was read", sig.Person.Name, sig.Updates)
		}
		g, err := s.Greetings.Greeting(ctx, sig.ID)
		if err != nil || g.Text != "Trzymaj się, Ales!" {
			t.Errorf("greeting %v, %v: want the body's", g, err)
		}
	})
	t.Run("embed: fields only in the query", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/widget")
		res := s.post(t, "/embed/widget/sign?"+fields("equery@example.org").Encode(), url.Values{"token": {tok}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="e-email"`) {
			t.Fatalf("status %d, want 422 with the email's error", res.Status)
		}
	})
	t.Run("embed: token only in the query", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/widget")
		res := s.post(t, "/embed/widget/sign?token="+url.QueryEscape(tok), signForm("", func(v url.Values) { v.Set("email", "etoken@example.org") }))
		if res.Status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.Status)
		}
	})
	t.Run("embed: origin only in the query is no attribution", func(t *testing.T) {
		tok := s.embedToken(t, "/embed/widget?origin=https://partner.example")
		res := s.post(t, "/embed/widget/sign?origin=https%3A%2F%2Fpartner.example", signForm(tok, func(v url.Values) { v.Set("email", "eorigin@example.org") }))
		if res.Status != http.StatusForbidden {
			t.Fatalf("status %d, want 403 (the token is the partner's, the body names none)", res.Status)
		}
	})

	t.Run("login: token only in the query", func(t *testing.T) {
		if _, err := s.Accounts.AddUser(ctx, "q@example.org", account.RoleOrganizer, testPassword); err != nil {
			t.Fatal(err)
		}
		form := s.get(t, "/admin/login")
		tok := tokenRE.FindStringSubmatch(form.Body)[1]
		res := s.post(t, "/admin/login?token="+url.QueryEscape(tok), url.Values{"email": {"q@example.org"}, "password": {testPassword}})
		if res.Status != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("status %d, cookie %q: want 403 and no session", res.Status, res.Header.Get("Set-Cookie"))
		}
		q := url.Values{"email": {"q@example.org"}, "password": {testPassword}, "next": {"/admin/users"}}
		res = s.post(t, "/admin/login?"+q.Encode(), url.Values{"token": {tok}})
		if res.Status != http.StatusUnauthorized || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("credentials in the query: status %d, want 401 and no session", res.Status)
		}
	})
	t.Run("console: token only in the query", func(t *testing.T) {
		org := s.loginAs(t, account.RoleOrganizer)
		res := s.post(t, "/admin/partners?token="+url.QueryEscape(org.token), url.Values{"name": {"Query NGO"}, "ref": {"query-ngo"}},
			"Cookie", "solidarity_session="+org.cookie)
		if res.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.Status)
		}
		if _, err := s.Partners.Partner(ctx, "query-ngo"); err == nil {
			t.Error("a partner was added with a token from the query string")
		}
	})
	t.Run("console: fields only in the query", func(t *testing.T) {
		org := s.loginAs(t, account.RoleOrganizer)
		q := url.Values{"name": {"Query NGO"}, "ref": {"query-ngo"}}
		res := org.post(t, "/admin/partners?"+q.Encode(), url.Values{})
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("status %d, want 422", res.Status)
		}
		if _, err := s.Partners.Partner(ctx, "query-ngo"); err == nil {
			t.Error("a partner was added from the query string")
		}
	})
}

// Handlers read posted fields with formValue: Fiber's c.FormValue prefers
// the query string. This keeps it from coming back.
func TestNoHandlerReadsFormValue(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, ".FormValue(") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d reads c.FormValue, which prefers the query string; use formValue", f, i+1)
			}
		}
	}
}
