package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Translations of the test campaign's letter.
var (
	beLetter = campaign.Text{Lang: "be", Title: "Напішыце Алесю Бяляцкаму да 12 ліпеня", Summary: "Ліст з волі шмат значыць.",
		Letter: "Дарагі Алесь,\n\nПра цябе памятаюць. Свабоду ўсім палітвязням!"}
	plLetter = campaign.Text{Lang: "pl", Title: "Napisz do Alesia Bialackiego przed 12 lipca", Summary: "List z wolności wiele znaczy.",
		Letter: "Drogi Alesiu,\n\nNie zapomnieliśmy o Tobie."}
)

// lettersSite is a site with the campaign "ales" in English, translated
// into texts, whose recipient's prison takes only langs and rejects censor.
func lettersSite(t *testing.T, langs, censor []string, texts ...campaign.Text) (*site, *campaign.Campaign, *user) {
	t.Helper()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) {
		c.Letter = "Dear Ales,\n\nFreedom for all political prisoners!"
		c.Translations = texts
	})
	r, err := s.Service.Recipient(ctx, c.RecipientID)
	if err != nil {
		t.Fatal(err)
	}
	r.Languages, r.CensorWords = langs, censor
	if err := s.Service.Store().ReplaceRecipient(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.reload(t)
	return s, c, s.loginAs(t, account.RoleOrganizer)
}

// langChoice are the values of the bundle form's language choice, and the
// one selected.
func langChoice(t *testing.T, page string) (values []string, selected string) {
	t.Helper()
	sel := regexp.MustCompile(`(?s)<select id="f-lang" name="lang"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if sel == nil {
		t.Fatalf("the bundle page has no language choice:\n%s", page)
	}
	for _, m := range regexp.MustCompile(`<option value="([^"]+)"( selected)?>`).FindAllStringSubmatch(sel[1], -1) {
		values = append(values, m[1])
		if m[2] != "" {
			selected = m[1]
		}
	}
	return values, selected
}

// The bundle form offers the languages the campaign has a text in, and
// proposes the first the prison lets through, else the original with a
// warning that says which languages exist and where to add a translation.
func TestBundleLanguageChoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		rules    []string
		texts    []campaign.Text
		want     string // the languages offered
		selected string
		warnings []string // what the page says
	}{
		{name: "no rules", texts: []campaign.Text{plLetter, beLetter}, want: "en pl be", selected: "en"},
		{name: "the prison takes a translation", rules: []string{"be", "ru"}, texts: []campaign.Text{plLetter, beLetter},
			want: "en pl be", selected: "be"},
		{name: "the prison takes no text", rules: []string{"be", "ru"}, texts: []campaign.Text{plLetter}, want: "en pl", selected: "en",
			warnings: []string{
				"This bundle would print the letter, with its headings, page numbers and count, in English. The recipient&#39;s prison lets letters through only in: Belarusian, Russian.",
				"The campaign has its title and letter only in: English, Polish. The prison lets none of them through",
				`<a href="/admin/campaigns/c-ales/texts">Add a translation of the campaign</a>`,
				`name="confirm"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c, org := lettersSite(t, tc.rules, nil, tc.texts...)
			page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
			values, selected := langChoice(t, page.Body)
			if got := strings.Join(values, " "); got != tc.want || selected != tc.selected {
				t.Errorf("the form offers %q with %q selected, want %q with %q", got, selected, tc.want, tc.selected)
			}
			for _, want := range tc.warnings {
				if !strings.Contains(page.Body, want) {
					t.Errorf("the bundle page lacks %s", want)
				}
			}
			if len(tc.warnings) == 0 && strings.Contains(page.Body, `name="confirm"`) {
				t.Error("the page warns of a letter the prison takes")
			}
		})
	}
}

// A bundle in a language the prison does not take is built only with a
// ticked confirmation; one in a language the campaign has no text in not
// at all; the cover prints the chosen translation.
func TestBundleInTheChosenLanguage(t *testing.T) {
	t.Parallel()
	s, c, org := lettersSite(t, []string{"be", "ru"}, nil, plLetter, beLetter)
	ctx := context.Background()
	if res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil)); res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	bundle := "/admin/campaigns/" + c.ID + "/bundle"
	build := url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"ru"}}
	if res := org.post(t, bundle, build); res.Status != 422 || !strings.Contains(res.Body, "The campaign has no text in that language") {
		t.Errorf("a bundle in Russian, which the campaign has no text in: %d, want 422 saying so", res.Status)
	}

	build.Set("lang", "pl")
	res := org.post(t, bundle, build)
	if res.Status != 422 || !strings.Contains(res.Body, "Tick the box under the warnings") ||
		!strings.Contains(res.Body, "This bundle would print the letter, with its headings, page numbers and count, in Polish.") {
		t.Errorf("a bundle in Polish without the confirmation: %d, want 422 with the warning", res.Status)
	}
	if _, selected := langChoice(t, res.Body); selected != "pl" {
		t.Errorf("the form sent back has %q selected, want the Polish asked for", selected)
	}
	if jobs, err := s.Bundles.ForCampaign(ctx, c.ID); err != nil || len(jobs) != 0 {
		t.Fatalf("%d bundles queued without the confirmation (%v)", len(jobs), err)
	}
	build.Set("confirm", "yes")
	buildBundle(t, s, org, c.ID, build)

	build = url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"be"}}
	buildBundle(t, s, org, c.ID, build)

	built := map[string]string{} // language: download link
	for _, r := range bundleRows(t, org, c.ID) {
		if m := regexp.MustCompile(`list, A4, (\w+)`).FindStringSubmatch(r.HTML); m != nil && r.Href != "" {
			built[m[1]] = r.Href
		}
	}
	if len(built) != 2 || built["be"] == "" || built["pl"] == "" {
		t.Fatalf("want bundles built in be and pl, got %v", built)
	}
	for _, tc := range []struct {
		lang      string
		want, not []string
	}{
		{"be", []string{beLetter.Title, "Пра цябе памятаюць.", "Подпісы: 1 чалавек"}, []string{plLetter.Title, "Freedom for all", "Signed by"}},
		{"pl", []string{plLetter.Title, "Nie zapomnieliśmy o Tobie.", "Podpisy: 1 osoba"}, []string{beLetter.Title, "Freedom for all"}},
	} {
		text, ok := zipText(t, org.get(t, built[tc.lang]).Body)
		if !ok {
			return
		}
		text = strings.Join(strings.Fields(text), " ")
		for _, want := range tc.want {
			if !strings.Contains(text, want) {
				t.Errorf("the bundle lacks %q:\n%s", want, text)
			}
		}
		for _, not := range tc.not {
			if strings.Contains(text, not) {
				t.Errorf("the bundle prints %q:\n%s", not, text)
			}
		}
	}
}

// The censor words are looked for in the title and letter the bundle
// prints, whatever its language.
func TestBundleCensorWordsInTheChosenText(t *testing.T) {
	t.Parallel()
	_, c, org := lettersSite(t, []string{"be", "pl"}, []string{"палітвязням", "political prisoners", "Bialackiego"}, plLetter, beLetter)
	bundle := "/admin/campaigns/" + c.ID + "/bundle"
	for _, tc := range []struct {
		lang, words string
	}{
		{"be", "палітвязням"},
		{"pl", "Bialackiego"},
	} {
		res := org.post(t, bundle, url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {tc.lang}})
		if res.Status != 422 || !strings.Contains(res.Body, "censors are known to reject: "+tc.words+".") {
			t.Errorf("%s: %d, want 422 naming %s", tc.lang, res.Status, tc.words)
		}
		if strings.Contains(res.Body, "prison lets letters through only in") {
			t.Errorf("%s: a language warning for a language the prison takes", tc.lang)
		}
	}
	page := org.get(t, bundle)
	if !strings.Contains(page.Body, "censors are known to reject: палітвязням.") || strings.Contains(page.Body, "political prisoners.") {
		t.Error("the page proposing Belarusian does not warn of the Belarusian letter's words, or warns of the English one's")
	}
}
