package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Texts of the test campaign, written in Belarusian and translated into
// English and Polish.
const (
	beTitle      = "Ліст Алесю Бяляцкаму"
	beSum        = "Слова звонку шмат значаць."
	beLetterText = "Дарагі Алесь, пра цябе памятаюць."
	enTitle      = "A letter to Ales Bialiatski"
	enSum        = "Words from outside mean a lot."
	enLetterText = "Dear Ales, you are not forgotten."
	enShare      = "I wrote to Ales Bialiatski in prison"
	plTitle      = "List do Alesia Bialackiego"
	plSum        = "Słowa z zewnątrz wiele znaczą."
	plLetterText = "Drogi Alesiu, pamiętamy o Tobie."
)

// addTranslatedCampaign adds an open campaign written in Belarusian with
// an English and a Polish translation.
func (s *site) addTranslatedCampaign(t *testing.T, slug string) *campaign.Campaign {
	t.Helper()
	return s.addCampaign(t, slug, func(c *campaign.Campaign) {
		c.Language, c.Title, c.Summary, c.Letter = "be", beTitle, beSum, beLetterText
		c.Translations = []campaign.Text{
			{Lang: "en", Title: enTitle, Summary: enSum, Letter: enLetterText, Share: enShare},
			{Lang: "pl", Title: plTitle, Summary: plSum, Letter: plLetterText},
		}
	})
}

// A public page shows the campaign in the reader's language when it has a
// text in it, with lang attributes naming that language; else in the
// language it is written in, saying which in the reader's language.
func TestCampaignPageInReadersLanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addTranslatedCampaign(t, "ales")
	for _, tt := range []struct {
		lang, text                     string // the page's language, the texts'
		title, summary, letter, notice string
		signoff                        string
	}{
		{"en", "en", enTitle, enSum, enLetterText, "", "Test NGO and everyone who signed"},
		{"pl", "pl", plTitle, plSum, plLetterText, "", "Test NGO i wszystkie osoby, które podpisały ten list"},
		{"be", "be", beTitle, beSum, beLetterText, "", "Test NGO і ўсе, хто падпісаўся"},
		{"de", "be", beTitle, beSum, beLetterText, "Diese Kampagne ist auf Belarussisch geschrieben.", "Test NGO і ўсе, хто падпісаўся"},
		{"ru", "be", beTitle, beSum, beLetterText, "Эта кампания написана на белорусском языке.", "Test NGO і ўсе, хто падпісаўся"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			res := s.get(t, "/c/ales?lang="+tt.lang)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d", res.Status)
			}
			b := res.Body
			for _, want := range []string{
				`<html lang="` + tt.lang + `">`,
				`<h1 lang="` + tt.text + `">` + tt.title + `</h1>`,
				`<p class="lead" lang="` + tt.text + `">` + tt.summary + `</p>`,
				`<div class="paper" lang="` + tt.text + `">` + "\n<p>" + tt.letter + `</p>`,
				`<p class="signoff">` + tt.signoff + `</p>`,
				`<title>` + tt.title + ` · `,
			} {
				if !strings.Contains(b, want) {
					t.Errorf("the page lacks %s", want)
				}
			}
			tags := headTags(t, b)
			if tags["og:title"] != tt.title || !strings.HasPrefix(tags["og:description"], tt.summary) || !strings.HasPrefix(tags["description"], tt.summary) {
				t.Errorf("share tags %q / %q / %q, want the title %q and the summary", tags["og:title"], tags["og:description"], tags["description"], tt.title)
			}
			notice := writtenIn(b)
			if notice != tt.notice {
				t.Errorf("notice %q, want %q", notice, tt.notice)
			}
			if tt.notice != "" {
				// The reader may choose one of the other texts instead.
				for _, link := range []string{`href="/c/ales?lang=en" lang="en" hreflang="en">English</a>`, `href="/c/ales?lang=pl" lang="pl" hreflang="pl">Polski</a>`} {
					if !strings.Contains(b, link) {
						t.Errorf("the notice does not link %s", link)
					}
				}
			}
			for _, other := range []string{enTitle, plTitle, beTitle} {
				if other != tt.title && strings.Contains(b, other) {
					t.Errorf("the page shows the title %q too", other)
				}
			}
		})
	}
}

var writtenInRE = regexp.MustCompile(`<p class="note written-in">([^<\n]*)`)

// writtenIn returns the notice naming the language a page shows its
// campaign in, or "".
func writtenIn(body string) string {
	m := writtenInRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// The home page, the thanks page with its share links, a closed
// campaign's offer of open ones, the widget and the badge use the reader's
// text too; lists say nothing about languages.
func TestOtherPagesInReadersLanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addTranslatedCampaign(t, "ales")
	s.addCampaign(t, "closed", func(c *campaign.Campaign) {
		c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC)
	})

	home := s.get(t, "/?lang=en").Body
	if !strings.Contains(home, `<h3 lang="en"><a href="/c/ales">`+enTitle+`</a></h3>`) || !strings.Contains(home, `<p lang="en">`+enSum+`</p>`) {
		t.Errorf("the home page in English does not list the English text")
	}
	if home := s.get(t, "/?lang=de").Body; !strings.Contains(home, `<h3 lang="be"><a href="/c/ales">`+beTitle) || writtenIn(home) != "" {
		t.Errorf("the home page in German: want the Belarusian title and no notice")
	}
	if others := othersSection(s.get(t, "/c/closed?lang=pl").Body); !strings.Contains(others, `<h3 lang="pl"><a href="/c/ales">`+plTitle) {
		t.Errorf("a closed campaign offers, in Polish:\n%s", others)
	}

	// The thanks page shares the text's own line, else the site's with
	// the text's title.
	q := url.QueryEscape
	for _, tt := range []struct{ lang, text, title, share string }{
		{"en", "en", enTitle, enShare},
		{"pl", "pl", plTitle, "Mój podpis jest już pod listem: " + plTitle + ". Dodaj też swój."},
		{"de", "be", beTitle, "Ich habe unterschrieben: " + beTitle + ". Jede weitere Unterschrift zählt."},
	} {
		b := s.get(t, "/c/ales/thanks?lang="+tt.lang).Body
		if !strings.Contains(b, `<p class="eyebrow" lang="`+tt.text+`">`+tt.title+"</p>") {
			t.Errorf("thanks in %s: no title %q", tt.lang, tt.title)
		}
		if want := "https://t.me/share/url?url=" + q(s.URL+"/c/ales") + "&text=" + q(tt.share); !strings.Contains(html.UnescapeString(b), want) {
			t.Errorf("thanks in %s: no Telegram link %s", tt.lang, want)
		}
	}

	// The widget.
	for _, tt := range []struct{ lang, text, title, letter, notice string }{
		{"en", "en", enTitle, enLetterText, ""},
		{"de", "be", beTitle, beLetterText, "Diese Kampagne ist auf Belarussisch geschrieben."},
	} {
		b := s.get(t, "/embed/ales?lang="+tt.lang).Body
		if !strings.Contains(b, `<h1 lang="`+tt.text+`"><a href="`+s.URL+`/c/ales" target="_blank" rel="noopener">`+tt.title+`</a></h1>`) {
			t.Errorf("widget in %s: no title %q in %s", tt.lang, tt.title, tt.text)
		}
		if !strings.Contains(b, `<div class="paper" lang="`+tt.text+`">`+"\n<p>"+tt.letter) {
			t.Errorf("widget in %s: no letter in %s", tt.lang, tt.text)
		}
		if got := writtenIn(b); got != tt.notice {
			t.Errorf("widget in %s: notice %q, want %q", tt.lang, got, tt.notice)
		}
		if !strings.Contains(b, "<title>"+tt.title+" · ") {
			t.Errorf("widget in %s: the page title is not %q", tt.lang, tt.title)
		}
	}
	if badge := s.get(t, "/c/ales/badge.svg?lang=pl").Body; !strings.Contains(badge, "<title>"+plTitle) {
		t.Errorf("badge in Polish: %s", badge)
	}
}

// The API answers in the language ?lang= asks for, when the campaign has
// a text in it, and says which language it answered in.
func TestAPITextsInALanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addTranslatedCampaign(t, "ales")
	if err := s.Service.Refresh(context.Background()); err != nil { // the list the API answers from
		t.Fatal(err)
	}
	for _, tt := range []struct{ query, lang, title, summary, letter string }{
		{"", "be", beTitle, beSum, beLetterText},
		{"?lang=en", "en", enTitle, enSum, enLetterText},
		{"?lang=en-GB", "en", enTitle, enSum, enLetterText},
		{"?lang=pl", "pl", plTitle, plSum, plLetterText},
		{"?lang=de", "be", beTitle, beSum, beLetterText},
		{"?lang=%%%", "be", beTitle, beSum, beLetterText},
	} {
		var one campaignJSON
		res := s.get(t, "/api/v1/campaigns/ales"+tt.query)
		if err := json.Unmarshal([]byte(res.Body), &one); err != nil {
			t.Fatalf("%s: %d %v", tt.query, res.Status, err)
		}
		var list struct{ Campaigns []campaignJSON }
		if err := json.Unmarshal([]byte(s.get(t, "/api/v1/campaigns"+tt.query).Body), &list); err != nil || len(list.Campaigns) != 1 {
			t.Fatalf("list%s: %v, %d campaigns", tt.query, err, len(list.Campaigns))
		}
		want := campaignJSON{Title: tt.title, Summary: tt.summary, Letter: tt.letter, Lang: tt.lang, Languages: []string{"be", "en", "pl"}}
		for name, got := range map[string]campaignJSON{"campaign": one, "list": list.Campaigns[0]} {
			if got.Title != want.Title || got.Summary != want.Summary || got.Letter != want.Letter || got.Lang != want.Lang || !slices.Equal(got.Languages, want.Languages) {
				t.Errorf("%s%s = %+v, want %+v", name, tt.query, got, want)
			}
		}
	}
}

type campaignJSON struct {
	Title, Summary, Letter, Lang string
	Languages                    []string
}

// textValues is a translation form as an organizer sends it.
func textValues(version string, edit func(url.Values)) url.Values {
	v := url.Values{"title": {"A letter to Ales"}, "summary": {"Words\r\n\r\nmatter."}, "letter": {"Dear Ales,\r\n\r\nhello."},
		"share": {""}, "version": {version}}
	if edit != nil {
		edit(v)
	}
	return v
}

var textVersionRE = regexp.MustCompile(`id="(t-[a-z]+)"[^>]*>\s*<h2[^>]*>[^<]*</h2>\s*<form method="post" action="[^"]*" class="campaign-form">\s*<input type="hidden" name="token" value="[^"]*">\s*<input type="hidden" name="version" value="(-?\d+)">`)

// formVersions returns the version each translation form of the texts
// page carries, by the form's ID (t-en, t-new).
func formVersions(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range textVersionRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	if out["t-new"] == "" {
		t.Fatalf("no version on the add form:\n%s", body)
	}
	return out
}

// An organizer adds, edits and removes a campaign's translations in the
// console; bad input and stale forms are refused without losing what
// was typed or what is stored, and each change is in the audit log.
func TestConsoleEditsTranslations(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.Language = "be"; c.Title = beTitle })
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID + "/texts"
	stored := func() *campaign.Campaign {
		t.Helper()
		got, err := s.Service.Campaign(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	later := func() { s.Clock.Set(s.Clock.Now().Add(time.Minute)) }

	// The campaign's edit page links here.
	if edit := org.get(t, "/admin/campaigns/"+c.ID).Body; !strings.Contains(edit, `href="`+base+`"`) {
		t.Fatal("the campaign's edit page does not link its texts page")
	}
	page := org.get(t, base)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "There are no texts in other languages yet.") {
		t.Fatalf("texts page: %d\n%s", page.Status, page.Body)
	}
	if strings.Contains(page.Body, `<option value="be"`) || !strings.Contains(page.Body, `<option value="en">English</option>`) {
		t.Error("the add form must offer the catalog's languages but the campaign's own")
	}
	v0 := formVersions(t, page.Body)["t-new"]

	// Refused: no title, no language, the campaign's own language, and a
	// language the catalog does not have; what was typed stays.
	for _, tt := range []struct {
		name, lang, title, field, message, form string
	}{
		{"empty title", "en", "  ", "t-new-title", "Enter a title.", "English"},
		{"no language", "", "A letter", "t-new-lang", "Choose the language of this text.", "Add a language"},
		{"own language", "be", "A letter", "t-new-lang", "The campaign is written in this language: edit that text in the campaign form.", "Belarusian"},
		{"unknown language", "xx", "A letter", "t-new-lang", "Choose a language from the list.", "Add a language"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := org.post(t, base, textValues(v0, func(v url.Values) { v.Set("lang", tt.lang); v.Set("title", tt.title) }))
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
			if got := fieldError(res.Body, tt.field); got != tt.message {
				t.Errorf("error at %s: %q, want %q", tt.field, got, tt.message)
			}
			if !strings.Contains(res.Body, `<a href="#f-`+tt.field+`">`+tt.form+": "+tt.message+`</a>`) || !strings.Contains(res.Body, "<title>Error: ") {
				t.Error("the error summary and the page title do not say what is wrong")
			}
			if !strings.Contains(res.Body, "Dear Ales,\n\nhello.</textarea>") {
				t.Error("the letter typed is lost")
			}
			if got := stored(); len(got.Translations) != 0 {
				t.Errorf("stored %+v", got.Translations)
			}
		})
	}

	later()
	res := org.post(t, base, textValues(v0, func(v url.Values) { v.Set("lang", "en"); v.Set("title", "  A letter to Ales ") }))
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != base+"?done=text_added#t-en" {
		t.Fatalf("add: %d %s", res.Status, res.Header.Get("Location"))
	}
	en, ok := stored().TextIn("en")
	if want := (campaign.Text{Lang: "en", Title: "A letter to Ales", Summary: "Words\n\nmatter.", Letter: "Dear Ales,\n\nhello."}); !ok || en != want {
		t.Fatalf("stored English text %+v, want %+v", en, want)
	}
	page = org.get(t, base+"?done=text_added")
	if !strings.Contains(page.Body, "The text is added.") || !strings.Contains(page.Body, `<h2 id="t-en-h">English</h2>`) ||
		!strings.Contains(page.Body, `id="f-t-en-title" name="title" type="text" value="A letter to Ales" required maxlength="200" lang="en"`) {
		t.Fatalf("the texts page after adding:\n%s", page.Body)
	}
	if strings.Contains(page.Body, `<option value="en">`) {
		t.Error("English is offered again")
	}
	versions := formVersions(t, page.Body)
	// The original cannot move onto the translation's language.
	res = org.post(t, "/admin/campaigns/"+c.ID, campaignValues(stored(), func(v url.Values) { v.Set("language", "en") }))
	if want := "This campaign has a translation into this language."; res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(fieldError(res.Body, "language"), want) {
		t.Errorf("the campaign form moving the original to English: %d, %q", res.Status, fieldError(res.Body, "language"))
	}

	// Two organizers open the English form; the first saves, the
	// second's save is refused with their text kept, then goes through
	// on purpose.
	later()
	if res := org.post(t, base+"/en", textValues(versions["t-en"], func(v url.Values) { v.Set("title", "Their edit"); v.Set("share", "Write to Ales") })); res.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", res.Status, res.Body)
	}
	later()
	stale := textValues(versions["t-en"], func(v url.Values) { v.Set("title", "My edit") })
	res = org.post(t, base+"/en", stale)
	if res.Status != http.StatusConflict || fieldError(res.Body, "t-en-title") == "" || !strings.Contains(res.Body, `value="My edit"`) {
		t.Fatalf("stale save: %d, want 409 with the text kept\n%s", res.Status, res.Body)
	}
	if en, _ := stored().TextIn("en"); en.Title != "Their edit" || en.Share != "Write to Ales" {
		t.Fatalf("the stale form overwrote the newer save: %+v", en)
	}
	stale.Set("version", formVersions(t, res.Body)["t-en"])
	later()
	if res := org.post(t, base+"/en", stale); res.Status != http.StatusSeeOther {
		t.Fatalf("save after seeing the conflict: %d", res.Status)
	}
	if en, _ := stored().TextIn("en"); en.Title != "My edit" {
		t.Errorf("after the deliberate save: %+v", en)
	}

	// An edit with an empty title keeps what is stored and what was typed.
	page = org.get(t, base)
	res = org.post(t, base+"/en", textValues(formVersions(t, page.Body)["t-en"], func(v url.Values) { v.Set("title", ""); v.Set("letter", "New letter") }))
	if res.Status != http.StatusUnprocessableEntity || fieldError(res.Body, "t-en-title") != "Enter a title." || !strings.Contains(res.Body, "New letter</textarea>") {
		t.Fatalf("empty title: %d\n%s", res.Status, res.Body)
	}
	if en, _ := stored().TextIn("en"); en.Title != "My edit" || en.Letter != "Dear Ales,\n\nhello." {
		t.Errorf("a refused edit changed the text: %+v", en)
	}

	// Removing asks first.
	confirm := org.get(t, base+"/en/remove")
	if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Remove this text?") || !strings.Contains(confirm.Body, `<form method="post" action="`+base+`/en/remove"`) {
		t.Fatalf("removal confirmation: %d\n%s", confirm.Status, confirm.Body)
	}
	if len(stored().Translations) != 1 {
		t.Fatal("asking removed the text")
	}
	later()
	if res := org.post(t, base+"/en/remove", nil); res.Status != http.StatusSeeOther || res.Header.Get("Location") != base+"?done=text_removed" {
		t.Fatalf("remove: %d %s", res.Status, res.Header.Get("Location"))
	}
	if got := stored(); len(got.Translations) != 0 || got.Title != beTitle {
		t.Errorf("after removing: %+v, %q", got.Translations, got.Title)
	}
	if res := org.post(t, base+"/en/remove", nil); res.Status != http.StatusNotFound {
		t.Errorf("removing it again: %d, want 404", res.Status)
	}
	if res := org.get(t, base+"/en/remove"); res.Status != http.StatusNotFound {
		t.Errorf("asking to remove a text that is not there: %d, want 404", res.Status)
	}

	var details []string
	for _, e := range s.auditEntries(t, audit.CampaignChanged) {
		details = append(details, e.Detail)
	}
	want := []string{
		"edited: translations (en added)",
		"edited: translations (en edited)",
		"edited: translations (en edited)",
		"edited: translations (en removed)",
	}
	if !slices.Equal(details, want) {
		t.Errorf("audit details %q, want %q", details, want)
	}
}

// The campaign form edits the original's share line, within its limit.
func TestCampaignFormShareLine(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) { v.Set("share", strings.Repeat("x", campaign.ShareMax+1)) }))
	if res.Status != http.StatusUnprocessableEntity || fieldError(res.Body, "share") == "" {
		t.Fatalf("too long a share line: %d, error %q", res.Status, fieldError(res.Body, "share"))
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) { v.Set("share", " Write to Ales ") })); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.Status)
	}
	got, _ := s.Service.Campaign(context.Background(), c.ID)
	if got.Share != "Write to Ales" {
		t.Errorf("share line %q", got.Share)
	}
	if e := s.auditEntries(t, audit.CampaignChanged); len(e) != 1 || e[0].Detail != "edited: share text" {
		t.Errorf("audit %+v", e)
	}
	if thanks := html.UnescapeString(s.get(t, "/c/ales/thanks").Body); !strings.Contains(thanks, "text="+url.QueryEscape("Write to Ales")) {
		t.Error("the thanks page does not share the campaign's line")
	}
}
