package web_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

var eraseLinkRE = regexp.MustCompile(`id="erase-link" type="url" readonly value="[^"]*/erase/([a-z2-7]+)"`)

// signForCode signs the campaign as email through its form, follows the
// redirect to the thanks page as a browser does (with the cookies the
// answer set) and returns the erasure code the thanks page shows.
func signForCode(t *testing.T, s *site, slug, email, name string) string {
	t.Helper()
	res := s.post(t, "/c/"+slug+"/sign", signForm(s.token(t, slug), func(v url.Values) {
		v.Set("email", email)
		v.Set("name", name)
	}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d\n%s", res.Status, res.Body)
	}
	var cookies []string
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Value != "" {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	thanks := s.get(t, res.Header.Get("Location"), "Cookie", strings.Join(cookies, "; "))
	m := eraseLinkRE.FindStringSubmatch(thanks.Body)
	if m == nil {
		t.Fatalf("no erasure link on the thanks page (status %d)", thanks.Status)
	}
	if !strings.Contains(thanks.Body, `value="`+m[1]+`"`) {
		t.Error("the thanks page shows the link but not the code")
	}
	if got := thanks.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("thanks page with a code: Referrer-Policy %q", got)
	}
	cleared := false
	for _, c := range (&http.Response{Header: thanks.Header}).Cookies() {
		cleared = cleared || (c.Name == "erase_code" && (c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))))
	}
	if !cleared {
		t.Error("the thanks page does not clear the code's cookie: it would show it again")
	}
	// Later visits show no code.
	if again := s.get(t, res.Header.Get("Location")); eraseLinkRE.MatchString(again.Body) {
		t.Error("a second visit to the thanks page shows an erasure code")
	}
	return m[1]
}

func TestSelfErasure(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	ctx := context.Background()
	anna := signForCode(t, s, "ales", "anna@example.org", "Anna Nowak")
	signForCode(t, s, "ales", "jan@example.org", "Jan Kowalski")
	if got := s.Service.Count(c.ID); got != 2 {
		t.Fatalf("count %d, want 2", got)
	}
	id := campaign.SignatureID(emailKey, c.ID, campaign.DuplicateKey("anna@example.org", c.MergeAliases))
	if _, err := s.Greetings.Greeting(ctx, id); err != nil {
		t.Fatalf("Anna's greeting before erasure: %v", err)
	}

	// The link shows the campaign and a button, and changes nothing.
	page := s.get(t, "/erase/"+anna)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, html.EscapeString(c.Title)) || !strings.Contains(page.Body, `<button type="submit">Erase my signature</button>`) {
		t.Fatalf("GET /erase/CODE: %d\n%s", page.Status, page.Body)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"} {
		if got := page.Header.Get(k); got != want {
			t.Errorf("GET /erase/CODE: %s %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(page.Body, `<meta name="robots" content="noindex">`) {
		t.Error("the erasure page does not ask search engines to leave it out")
	}
	if _, err := s.Service.Store().Signature(ctx, id); err != nil {
		t.Fatalf("the signature after GET /erase/CODE: %v", err)
	}
	if got := s.Service.Count(c.ID); got != 2 {
		t.Fatalf("count %d after a GET, want 2", got)
	}

	// Someone who types Anna's address gets a code of the same shape,
	// whose page and answer are the same, and which erases nothing.
	repeat := signForCode(t, s, "ales", "anna@example.org", "Mallory")
	if repeat == anna || len(repeat) != len(anna) {
		t.Fatalf("a repeat's code %q, Anna's %q: want another code of the same length", repeat, anna)
	}
	if got := s.get(t, "/erase/"+repeat); got.Status != page.Status || strings.ReplaceAll(got.Body, repeat, "CODE") != strings.ReplaceAll(page.Body, anna, "CODE") {
		t.Errorf("the repeat's erasure page differs from a real one's:\n%s", got.Body)
	}
	res := s.post(t, "/erase", url.Values{"code": {repeat}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/erase/done" {
		t.Fatalf("POST a repeat's code: %d %q", res.Status, res.Header.Get("Location"))
	}
	if _, err := s.Service.Store().Signature(ctx, id); err != nil {
		t.Fatalf("a repeat's code erased the signature: %v", err)
	}
	if got := s.Service.Count(c.ID); got != 2 {
		t.Fatalf("count %d after a repeat's code, want 2", got)
	}

	// Anna's own code erases her signature, greeting and all; typed with
	// spaces and capitals as people do.
	typed := strings.ToUpper(anna[:10]) + " " + anna[10:40] + "-" + anna[40:]
	real := s.post(t, "/erase", url.Values{"code": {typed}})
	if real.Status != res.Status || real.Header.Get("Location") != res.Header.Get("Location") || real.Body != res.Body {
		t.Errorf("a real erasure answers %d %q, a repeat's %d %q", real.Status, real.Header.Get("Location"), res.Status, res.Header.Get("Location"))
	}
	if _, err := s.Service.Store().Signature(ctx, id); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("the signature after erasure: %v, want ErrNotFound", err)
	}
	if _, err := s.Greetings.Greeting(ctx, id); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("the greeting after erasure: %v, want ErrNotFound", err)
	}
	if got := s.Service.Count(c.ID); got != 1 {
		t.Errorf("count %d after erasure, want 1", got)
	}
	if got := apiCount(t, s, "ales"); got != 1 {
		t.Errorf("public count after erasure = %d, want 1", got)
	}
	done := s.get(t, "/erase/done")
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "is erased") {
		t.Errorf("/erase/done: %d\n%s", done.Status, done.Body)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	export := org.get(t, "/admin/campaigns/"+c.ID+"/signatures.csv")
	if strings.Contains(export.Body, "Anna") || !strings.Contains(export.Body, "Jan Kowalski") {
		t.Errorf("export after erasure:\n%s", export.Body)
	}
	var erased []audit.Entry
	for _, e := range s.allAuditEntries(t) {
		if e.Action == audit.Erased {
			erased = append(erased, e)
		}
		for _, secret := range []string{"Anna", "Nowak", "anna@", id, anna} {
			if strings.Contains(e.Actor+" "+e.Target+" "+e.Detail, secret) {
				t.Errorf("the audit log names the supporter: %+v", e)
			}
		}
	}
	if len(erased) != 1 || erased[0].Actor != "supporter" || erased[0].Target != "ales" {
		t.Errorf("audit entries of erasures: %+v, want one by the supporter", erased)
	}

	// Again: the same answer, nothing more erased.
	if again := s.post(t, "/erase", url.Values{"code": {anna}}); again.Status != res.Status || again.Header.Get("Location") != "/erase/done" {
		t.Errorf("a second erasure: %d %q", again.Status, again.Header.Get("Location"))
	}
	if got := s.Service.Count(c.ID); got != 1 {
		t.Errorf("count %d after a second erasure, want 1", got)
	}
}

func TestErasureCodeInvalid(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	code := signForCode(t, s, "ales", "anna@example.org", "Anna Nowak")
	broken := code[:20] + map[bool]string{true: "b", false: "a"}[code[20] == 'a'] + code[21:]
	for _, bad := range []string{"", "nonsense", code[:len(code)-1], broken, code + "aa"} {
		if bad != "" {
			page := s.get(t, "/erase/"+url.PathEscape(bad))
			if page.Status != http.StatusNotFound || !strings.Contains(page.Body, "This erasure link does not work") {
				t.Errorf("GET /erase/%s: %d, want the kind 404 page", bad, page.Status)
			}
		}
		res := s.post(t, "/erase", url.Values{"code": {bad}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "not a valid erasure code") {
			t.Errorf("POST code %q: %d, want 422 with the form", bad, res.Status)
		}
	}
	if got := s.Service.Count("c-ales"); got != 1 {
		t.Errorf("count %d after invalid codes, want 1", got)
	}
	if form := s.get(t, "/erase"); form.Status != http.StatusOK || !strings.Contains(form.Body, `name="code"`) {
		t.Errorf("GET /erase: %d", form.Status)
	}
}

// The widget's thanks state offers the code too, once.
func TestSelfErasureFromTheWidget(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	res := s.post(t, "/embed/ales/sign", signForm(s.freshToken(c.ID, ""), func(v url.Values) { v.Set("email", "wid@example.org") }))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in the widget: %d", res.Status)
	}
	var cookie string
	for _, k := range (&http.Response{Header: res.Header}).Cookies() {
		if k.Name == "erase_code" {
			cookie = k.Name + "=" + k.Value
			if k.Path != "/embed/ales/thanks" || !k.HttpOnly {
				t.Errorf("the code's cookie: path %q, HttpOnly %v", k.Path, k.HttpOnly)
			}
		}
	}
	thanks := s.get(t, res.Header.Get("Location"), "Cookie", cookie)
	m := eraseLinkRE.FindStringSubmatch(thanks.Body)
	if m == nil {
		t.Fatalf("no erasure link in the widget's thanks (status %d)", thanks.Status)
	}
	if done := s.post(t, "/erase", url.Values{"code": {m[1]}}); done.Status != http.StatusSeeOther {
		t.Fatalf("erase: %d", done.Status)
	}
	if got := s.Service.Count(c.ID); got != 0 {
		t.Errorf("count %d after erasing the widget's signature, want 0", got)
	}
}
