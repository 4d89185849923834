package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// A supporter reads the site in the language they choose on the page, else
// in the one their browser asks for; the choice keeps the page they are
// on, and is remembered.
func TestLanguageSwitcher(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	htmlLang := regexp.MustCompile(`<html lang="([^"]+)">`)
	lang := func(r response) string {
		m := htmlLang.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no lang attribute in %s", r.Body)
		}
		return m[1]
	}

	tests := []struct {
		name    string
		path    string
		headers []string
		want    string
	}{
		{"English by default", "/c/ales", nil, "en"},
		{"the browser asks for Russian", "/c/ales", []string{"Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5"}, "ru"},
		{"the browser asks for Belarusian", "/c/ales", []string{"Accept-Language", "be"}, "be"},
		{"a language nobody translated", "/c/ales", []string{"Accept-Language", "ja"}, "en"},
		{"the switcher wins over the browser", "/c/ales?lang=pl", []string{"Accept-Language", "ru"}, "pl"},
		{"the remembered choice wins over the browser", "/c/ales", []string{"Accept-Language", "ru", "Cookie", "lang=uk"}, "uk"},
		{"the console too", "/admin/login", []string{"Accept-Language", "de"}, "de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lang(s.get(t, tt.path, tt.headers...)); got != tt.want {
				t.Errorf("lang %q, want %q", got, tt.want)
			}
		})
	}

	// The switcher links this page, query and all, in every language, each
	// name in its own language, and the page names its alternates.
	page := s.get(t, "/c/ales?ref=ngo", "Accept-Language", "be")
	for _, want := range []string{
		`<nav class="languages"`,
		`href="/c/ales?lang=be&amp;ref=ngo" lang="be" hreflang="be" aria-current="true">Беларуская</a>`,
		`href="/c/ales?lang=ru&amp;ref=ngo" lang="ru" hreflang="ru">Русский</a>`,
		`href="/c/ales?lang=en&amp;ref=ngo" lang="en" hreflang="en">English</a>`,
		`<link rel="alternate" hreflang="lt" href="` + html.EscapeString(s.URL+"/c/ales?lang=lt") + `">`,
		// The page without a language answers in the visitor's.
		`<link rel="alternate" hreflang="x-default" href="` + html.EscapeString(s.URL+"/c/ales") + `">`,
		// Each language version names itself as the one to index.
		`<link rel="canonical" href="` + html.EscapeString(s.URL+"/c/ales?lang=be") + `">`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the Belarusian campaign page lacks %s", want)
		}
	}
	if n := strings.Count(page.Body, `hreflang="`); n < 2*9 {
		t.Errorf("%d hreflang attributes, want a link and an alternate for each of the 9 languages", n)
	}

	// Choosing remembers the language in a cookie that holds nothing else.
	chosen := s.get(t, "/c/ales?lang=sv")
	if c := chosen.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "lang=sv;") {
		t.Errorf("choosing Swedish sets %q, want the lang cookie", c)
	}

	// On a form sent back with errors, the switcher leads to the campaign
	// page: the form's address takes posts only.
	res := s.post(t, "/c/ales/sign", url.Values{}, "Accept-Language", "fr")
	if !strings.Contains(res.Body, `href="/c/ales?lang=de" lang="de"`) {
		t.Errorf("the form sent with errors does not switch to the campaign page:\n%s", res.Body)
	}
	// With the page the form was on at hand, it leads back there, query
	// and all (but its old language).
	res = s.post(t, "/c/ales/sign", url.Values{}, "Referer", s.URL+"/c/ales?lang=fr&ref=ngo")
	if !strings.Contains(res.Body, `href="/c/ales?lang=de&amp;ref=ngo" lang="de"`) {
		t.Errorf("the form sent with errors does not switch to the page it was on:\n%s", res.Body)
	}
	// Another site's address is not followed.
	res = s.post(t, "/c/ales/sign", url.Values{}, "Referer", "https://elsewhere.example/x")
	if strings.Contains(res.Body, "elsewhere") {
		t.Error("a language link leads to another site")
	}
}

// The console lists the translations their translators marked as
// uncertain, with the English text, the translation and why, to those who
// look after translations.
func TestCatalogReviewPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	marks := s.Core.Messages.Marks()
	if len(marks) == 0 {
		t.Fatal("no translation is marked for review; the page would show nothing to check")
	}
	translator := s.loginAs(t, account.RoleTranslator)
	page := translator.get(t, "/admin/translations/review")
	if page.Status != 200 {
		t.Fatalf("review page: %d", page.Status)
	}
	// (Not checkPage: this page shows message IDs on purpose.)
	for _, m := range marks {
		row := "<td><code>" + m.ID + "</code></td><td lang=\"en\">" + html.EscapeString(s.Core.Messages.Text(i18n.Default(), m.ID)) + "</td><td lang=\"" + m.Lang.String() + "\">" + html.EscapeString(s.Core.Messages.Text(m.Lang, m.ID)) + "</td><td lang=\"en\">" + html.EscapeString(m.Note) + "</td>"
		if !strings.Contains(page.Body, row) {
			t.Errorf("the review page lacks %s %s", m.Lang, m.ID)
			break
		}
	}
	if list := translator.get(t, "/admin/translations"); !strings.Contains(list.Body, `href="/admin/translations/review"`) {
		t.Error("the translations page does not link to the texts marked for review")
	}
}

// A campaign written in Belarusian keeps its letter in Belarusian on a page
// read in German: the closing line follows the letter, and the texts say
// their language to screen readers. The console sets the language.
func TestCampaignLanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.Language = "be"; c.OrganizerName = "Вясна" })
	page := s.get(t, "/c/ales?lang=de")
	for _, want := range []string{`<html lang="de">`, `<h1 lang="be">`, `<div class="paper" lang="be">`, `<p class="signoff">Вясна і ўсе, хто падпісаўся</p>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the German page of a Belarusian campaign lacks %s", want)
		}
	}

	// A visitor who names no language the site ships reads the campaign's.
	for _, tt := range []struct {
		path    string
		headers []string
		want    string
	}{
		{"/c/ales", nil, "be"},
		{"/c/ales", []string{"Accept-Language", "ja"}, "be"},
		{"/c/ales", []string{"Accept-Language", "de"}, "de"},
		{"/c/ales?lang=en", []string{"Accept-Language", "ja"}, "en"},
		{"/embed/ales", nil, "be"},
	} {
		if page := s.get(t, tt.path, tt.headers...); !strings.Contains(page.Body, `<html lang="`+tt.want+`">`) {
			t.Errorf("%s %v: not in %s", tt.path, tt.headers, tt.want)
		}
	}

	org := s.loginAs(t, account.RoleOrganizer)
	edit := org.get(t, "/admin/campaigns/"+c.ID)
	if !strings.Contains(edit.Body, `<option value="be" lang="be" selected>Беларуская</option>`) {
		t.Error("the campaign form does not show the campaign's language")
	}
	stored, err := s.Service.Campaign(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(stored, func(v url.Values) { v.Set("language", "ja") })); res.Status != 422 || !strings.Contains(res.Body, "Choose a language from the list.") {
		t.Errorf("a language the site does not ship: %d, want 422 with the problem", res.Status)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(stored, func(v url.Values) { v.Set("language", "uk") })); res.Status != 303 {
		t.Fatalf("save in Ukrainian: %d", res.Status)
	}
	if got, _ := s.Service.Campaign(context.Background(), c.ID); got.Language != "uk" {
		t.Errorf("stored language %q, want uk", got.Language)
	}
}
