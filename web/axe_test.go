package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// axeTags are the rule sets every page must pass: WCAG 2.0, 2.1 and 2.2,
// levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeKnown lists violations the suite accepts for now, by page and rule id,
// each with the reason it is not fixed yet. Keep it empty.
var axeKnown = map[string]string{}

// axeCoreJS returns the text of axe-core's axe.min.js: the file named by
// AXE_CORE_JS, or the copy .ci/run installs in the user's cache folder
// (npm install --prefix <cache>/solidarity/axe-core axe-core). Without it
// the test is skipped, except on CI.
func axeCoreJS(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, "solidarity", "axe-core", "node_modules", "axe-core", "axe.min.js")
		}
	}
	js, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must install axe-core (see .ci/run): %v", err)
		}
		t.Skipf("no axe-core: %v", err)
	}
	return string(js)
}

// axeViolation is the part of an axe-core result a failure shows.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// Every page type and state, public and console, passes axe-core's WCAG
// 2.2 A and AA rules in a real browser.
func TestAccessibilityWithAxe(t *testing.T) {
	// Not parallel: one headless browser at a time.
	axe := axeCoreJS(t)
	s := newSite(t, dbs.Database(t))
	open := s.addCampaign(t, "open", func(c *campaign.Campaign) {
		c.Translations = []campaign.Text{{Lang: "pl", Title: "List do Alesia", Summary: "Słowa z zewnątrz.", Letter: "Drogi Alesiu"}}
	})
	s.addCampaign(t, "closed", func(c *campaign.Campaign) {
		c.ClosesAt = time.Date(2027, 5, 20, 21, 0, 0, 0, time.UTC)
	})
	// A signature with a greeting, so that the console's tables and the
	// moderation queue have rows.
	if res := s.post(t, "/c/open/sign", signForm(s.token(t, "open"), nil)); res.Status != 303 {
		t.Fatalf("sign: status %d", res.Status)
	}
	s.addPartner(t, "ngo", "https://ngo.example")
	if _, err := s.Accounts.AddUser(t.Context(), "admin@example.org", account.RoleAdmin, testPassword); err != nil {
		t.Fatal(err)
	}

	b := newHeadlessFor(t, 1280, 900, 4*time.Minute)
	do, eval := b.do, b.eval

	checkAt := func(page string, width, height int64) {
		t.Helper()
		do("resize for "+page, chromedp.EmulateViewport(width, height))
		if got := eval("look for axe", `typeof axe`); got == "undefined" {
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](axe+";0")); err != nil {
				t.Fatalf("%s: inject axe-core: %v", page, err)
			}
		}
		tags, _ := json.Marshal(axeTags)
		out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`axe.run(document, {runOnly: {type: 'tag', values: `+string(tags)+`}}).then(r => JSON.stringify(r.violations))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: run axe: %v", page, err)
		}
		var found []axeViolation
		if err := json.Unmarshal([]byte(out), &found); err != nil {
			t.Fatalf("%s: read axe's result: %v", page, err)
		}
		for _, v := range found {
			if _, ok := axeKnown[page+" "+v.ID]; ok {
				continue
			}
			var targets []string
			for _, n := range v.Nodes {
				targets = append(targets, fmt.Sprint(n.Target...))
			}
			t.Errorf("%s: %s (%s) at %s: %s", page, v.ID, v.Impact, strings.Join(targets, ", "), v.Help)
		}
	}
	// check runs axe-core on the page as it is, at a desktop width and at
	// a phone's.
	check := func(page string) {
		t.Helper()
		checkAt(page+" at 1280 px", 1280, 900)
		checkAt(page+" at 360 px", 360, 800)
	}
	visit := func(page, path string) {
		t.Helper()
		do("open "+page, chromedp.Navigate(s.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
		if got, want := eval("where "+page+" is", `location.pathname + location.search`), path; got != want {
			t.Fatalf("%s: the browser is at %s, want %s", page, got, want)
		}
		check(page)
	}
	// submit sends the form of button as it is, past the browser's own
	// checks, as a person who waited past the minimum fill time, and
	// checks the answer, which must show what was wrong.
	submit := func(page, button string) {
		t.Helper()
		s.Clock.Set(s.Clock.Now().Add(time.Minute))
		eval("mark the page before "+page, fmt.Sprintf(`(() => { window.axeBefore = true; document.querySelector(%q).form.noValidate = true; return '' })()`, button))
		do("submit "+page, chromedp.Click(chromedp.CSS(button)))
		b.poll("the answer to "+page, `window.axeBefore === undefined && document.readyState === 'complete'`)
		if got := eval("look for the errors of "+page, `String(document.querySelector('.error-summary, [aria-invalid=true]') !== null)`); got != "true" {
			t.Fatalf("%s: the answer shows no error", page)
		}
		check(page)
	}

	visit("home", "/")
	visit("campaign in a language it has no text in", "/c/open?lang=de")
	visit("campaign", "/c/open?lang=en")
	submit("campaign form with errors", "#sign button[type=submit]")
	visit("thanks", "/c/open/thanks")
	visit("closed campaign", "/c/closed")
	visit("contact", "/contact")
	s.addPost(t, "A letter", s.Clock.Now(), func(in *posts.Input) {
		in.RecipientID, in.CampaignID = open.RecipientID, open.ID
		in.Body = "Dear friends,\n\n> A quotation.\n\n[A link](https://example.org)"
	})
	visit("letters", "/letters")
	visit("a letter", "/letters/a-letter")
	visit("not found", "/c/no-such-campaign")
	visit("embed", "/embed/open")
	submit("embed form with errors", "form button[type=submit]")
	visit("embed thanks", "/embed/open/thanks")
	visit("console login", "/admin/login")
	submit("console login with errors", "form button[type=submit]")

	// The second step of a sign-in, for a user with two-factor
	// authentication on: the code form, and the form after a wrong code.
	s.addUser(t, "two@example.org", account.RoleOrganizer)
	two := s.browser()
	if res := two.signIn(t, "two@example.org", testPassword); res.Status != 303 {
		t.Fatalf("sign in to enrol a second factor: %d", res.Status)
	}
	enrol(t, two)
	visit("console login", "/admin/login")
	do("sign in with the password of an account with a second factor",
		chromedp.SendKeys(chromedp.CSS("#f-email"), "two@example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")))
	b.poll("the password leads to the code step", `location.pathname === '/admin/login/code' && document.readyState === 'complete'`)
	if got := eval("look for the code field", `String(document.querySelector('input[autocomplete=one-time-code]') !== null)`); got != "true" {
		t.Fatal("the second step has no code field")
	}
	check("console login code")
	do("type a wrong code", chromedp.SendKeys(chromedp.CSS("#f-code"), "000000"))
	submit("console login code with errors", "form button[type=submit]")

	visit("console login", "/admin/login")

	do("sign in",
		chromedp.SendKeys(chromedp.CSS("#f-email"), "admin@example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), testPassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")))
	b.poll("the sign-in leaves the login page", `location.pathname !== '/admin/login' && document.readyState === 'complete'`)
	if got := eval("where the sign-in leads", `location.pathname`); got != "/admin" {
		t.Fatalf("signed in to %s, want /admin", got)
	}
	check("dashboard")
	visit("campaigns", "/admin/campaigns")
	visit("campaign preview", "/admin/campaigns/"+open.ID+"/preview")
	visit("campaign close", "/admin/campaigns/"+open.ID+"/close")
	visit("campaign edit", "/admin/campaigns/"+open.ID)
	eval("clear the title", `(() => { document.getElementById('f-title').value = ''; return '' })()`)
	submit("campaign edit with errors", `button[name=action][value=save]:not(.visually-hidden)`)
	visit("campaign texts", "/admin/campaigns/"+open.ID+"/texts")
	submit("campaign texts with errors", `#t-new button[type=submit]`)
	visit("campaign text removal", "/admin/campaigns/"+open.ID+"/texts/pl/remove")
	visit("new campaign", "/admin/campaigns/new")
	visit("recipients", "/admin/recipients")
	visit("recipient edit", "/admin/recipients/r-open")
	visit("new recipient", "/admin/recipients/new")
	submit("new recipient with errors", ".recipient-form button[type=submit]")
	visit("signatures", "/admin/campaigns/"+open.ID+"/signatures")
	do("open a signature's erasure", chromedp.Click(chromedp.CSS(`a[href*="/erase"]`)))
	b.poll("the erasure form opens", `location.pathname.endsWith('/erase') && document.readyState === 'complete'`)
	check("signature erasure")
	visit("stats", "/admin/campaigns/"+open.ID+"/stats")
	visit("paper", "/admin/campaigns/"+open.ID+"/paper")
	submit("paper tally with errors", `form[action$="/paper/tally#tally"] button[type=submit]`)
	visit("paper blank sheets with errors", "/admin/campaigns/"+open.ID+"/paper/sheets.pdf?lang=en&sheets=0&first=1")
	visit("bundle", "/admin/campaigns/"+open.ID+"/bundle")
	// A finished bundle, listed with its download.
	buildBundle(t, s, s.loginAs(t, account.RoleOrganizer), open.ID, url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}})
	do("open the bundle page again", chromedp.Navigate(s.URL+"/admin/campaigns/"+open.ID+"/bundle"), chromedp.WaitReady(chromedp.CSS("body")))
	if got := eval("look for the download", `String(document.querySelector('a[href*="/bundle/"]') !== null)`); got != "true" {
		t.Fatal("the bundle page lists no built bundle to download")
	}
	check("bundle with a built bundle")
	visit("embed builder", "/admin/campaigns/"+open.ID+"/embed")
	visit("moderation", "/admin/moderation")
	submit("moderation with errors", `form.reject button[type=submit]`)
	visit("name moderation", "/admin/moderation/names")
	visit("translations", "/admin/translations")
	visit("translation review", "/admin/translations/review")
	visit("partners", "/admin/partners")
	submit("new partner with errors", `form[action="/admin/partners"] button[type=submit]`)
	visit("partner", "/admin/partners/ngo")
	do("make a stats link", chromedp.Click(chromedp.CSS(`form[action$="/link"] button`)))
	b.poll("the new link shows", `document.getElementById('new-link') !== null && document.readyState === 'complete'`)
	check("partner with a new stats link")
	visit("partner stats", strings.TrimPrefix(eval("read the link", `document.getElementById('new-link').value`), s.URL))
	visit("users", "/admin/users")
	submit("new user with errors", `form[action="/admin/users"] button[type=submit]`)
	visit("organisation", "/admin/organisation")
	submit("organisation with errors", `.organisation-form button[type=submit]`)
	visit("audit", "/admin/audit")
	visit("mail", "/admin/mail")
	visit("account", "/admin/account")
	submit("password change with errors", `form[action="/admin/account/password"] button[type=submit]`)
	visit("two-factor setup", "/admin/account/2fa")
}
