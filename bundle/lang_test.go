package bundle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// beText is a Belarusian translation of the fixture's campaign.
var beText = campaign.Text{Lang: "be", Title: "Лісты Алесю", Summary: "Напішыце Алесю.",
	Letter: "Дарагі Алесь,\n\nМы памятаем пра цябе і чакаем дома."}

// translate stores t as a translation of the fixture's campaign.
func (f *fixture) translate(t *testing.T, texts ...campaign.Text) {
	t.Helper()
	for _, x := range texts {
		f.c.SetTranslation(x)
	}
	if _, err := f.svc.UpdateCampaign(context.Background(), f.c); err != nil {
		t.Fatal(err)
	}
}

// rules sets the recipient's languages and censor words.
func (f *fixture) rules(t *testing.T, langs, censor []string) *campaign.Recipient {
	t.Helper()
	ctx := context.Background()
	r, err := f.svc.Recipient(ctx, f.c.RecipientID)
	if err != nil {
		t.Fatal(err)
	}
	r.Languages, r.CensorWords = langs, censor
	if err := f.svc.Store().ReplaceRecipient(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// build enqueues a bundle in opts, builds it and returns its letters' text,
// or false without pdftotext.
func (f *fixture) build(t *testing.T, opts Options) (string, bool) {
	t.Helper()
	job := f.enqueue(t, opts)
	f.runAll(t)
	if got := f.job(t, job.ID); got.Status != StatusDone {
		t.Fatalf("job %s: %s", got.Status, got.Error)
	}
	return f.text(t, f.job(t, job.ID))
}

// The cover letter prints the campaign's text in the bundle's language,
// title and letter, with the fixed texts in that language too; a language
// the campaign has no text in is refused.
func TestCoverPrintsTheChosenText(t *testing.T) {
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	f.translate(t, beText)
	if _, err := f.jobs.Enqueue(t.Context(), f.c, Options{Lang: "ru"}, "organizer@example.org"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a bundle in Russian, which the campaign has no text in: got %v, want ErrInvalid", err)
	}
	text, ok := f.build(t, Options{Lang: "be"})
	if !ok {
		return
	}
	for _, want := range []string{"Лісты Алесю", "Дарагі Алесь,", "Мы памятаем пра цябе і чакаем дома.", "Подпісы: 1 чалавек з 1 краіны."} {
		if !strings.Contains(text, want) {
			t.Errorf("the Belarusian bundle lacks %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"You are not forgotten", "Letters to Ales", "Signed by"} {
		if strings.Contains(text, not) {
			t.Errorf("the Belarusian bundle prints the English %q", not)
		}
	}
	// The original still prints in its own language.
	if text, ok := f.build(t, Options{Lang: "en"}); ok && (!strings.Contains(text, "You are not forgotten.") || strings.Contains(text, "Дарагі")) {
		t.Errorf("the English bundle does not print the original letter:\n%s", text)
	}
}

// A job asked for before bundles printed the campaign's translations (or
// whose translation was removed since) still builds: its fixed texts in its
// language, its cover letter in the original.
func TestStoredJobWithoutItsTextRebuilds(t *testing.T) {
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	f.put(t, "old-lt", StatusQueued, bson.M{"options": Options{Layout: "list", Paper: "A4", MaxSheets: 10, Lang: "lt"}})
	f.runAll(t)
	job := f.job(t, "old-lt")
	if job.Status != StatusDone {
		t.Fatalf("job %s: %s", job.Status, job.Error)
	}
	if text, ok := f.text(t, job); ok {
		for _, want := range []string{"Letters to Ales", "You are not forgotten.", "Pasirašė 1 asmuo iš 1 šalies."} {
			if !strings.Contains(text, want) {
				t.Errorf("the rebuilt bundle lacks %q:\n%s", want, text)
			}
		}
	}
}

// A greeting printed in its approved translation has its original beside
// it when the prison lets the original's language through too, and not
// when it does not.
func TestGreetingPrintsItsOriginalWhereAllowed(t *testing.T) {
	const original, translation = "Pozdrowienia z Warszawy, trzymaj się!", "Прывітанне з Варшавы, трымайся!"
	for _, tc := range []struct {
		name     string
		langs    []string
		original bool
	}{
		{"original allowed", []string{"be", "pl"}, true},
		{"original not allowed", []string{"be"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rules(t, tc.langs, nil)
			f.translate(t, beText)
			sig := campaign.Signature{ID: "sig-pl", SignedAt: f.clock.Now(), Source: campaign.SourceWeb, HasGreeting: true,
				Person: campaign.Person{Name: "Jan Kowalski", City: "Warszawa", Country: "PL"}}
			ctx := context.Background()
			if _, err := f.svc.AddSignatures(ctx, f.c.ID, []campaign.Signature{sig}); err != nil {
				t.Fatal(err)
			}
			g := letters.Greeting{ID: sig.ID, CampaignID: f.c.ID, Text: original, Status: letters.StatusApproved,
				CreatedAt: sig.SignedAt, Checked: true, Language: "pl", NeedsTranslation: !slices.Contains(tc.langs, "pl"),
				Translation: &letters.Translation{Language: "be", Text: translation, Status: letters.TranslationApproved, WrittenAt: sig.SignedAt}}
			if err := f.greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(time.Minute)
			text, ok := f.build(t, Options{Lang: "be"})
			if !ok {
				return
			}
			flat := strings.Join(strings.Fields(text), " ")
			if !strings.Contains(flat, translation) {
				t.Errorf("the translation is not printed:\n%s", text)
			}
			label := f.jobs.builder.messages.Localizer(language.Make("be")).T("pdf.original")
			if got := strings.Contains(flat, original) && strings.Contains(flat, label); got != tc.original {
				t.Errorf("original %q under %q printed: %v, want %v\n%s", original, label, got, tc.original, text)
			}
		})
	}
}

// The bundle form offers the languages the campaign has a text in that the
// catalog prints, and proposes the first of the prison's that is one of
// them.
func TestLanguagesAndDefault(t *testing.T) {
	t.Parallel()
	msgs := testMessages(t)
	c := &campaign.Campaign{Language: "en", Title: "T", Letter: "L",
		Translations: []campaign.Text{{Lang: "pl", Title: "T"}, {Lang: "xx", Title: "T"}, {Lang: "ru", Title: "T"}, {Lang: "be", Title: "T"}}}
	if got, want := Languages(c, msgs), []string{"en", "pl", "ru", "be"}; !slices.Equal(got, want) {
		t.Errorf("Languages = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		rules []string
		want  string
	}{
		{nil, "en"},
		{[]string{"be", "ru"}, "be"},
		{[]string{"ru", "be"}, "ru"},
		{[]string{"uk", "pl"}, "pl"},
		{[]string{"uk"}, "en"},
	} {
		r := &campaign.Recipient{Languages: tc.rules}
		if got := DefaultLanguage(c, r, msgs); got != tc.want {
			t.Errorf("DefaultLanguage for a prison taking %v = %s, want %s", tc.rules, got, tc.want)
		}
	}
	if got := DefaultLanguage(c, nil, msgs); got != "en" {
		t.Errorf("DefaultLanguage without a recipient = %s, want en", got)
	}
}

// The check reads the censor words in the title and letter of the text
// the bundle prints, and says whether any text would pass.
func TestCheckLetter(t *testing.T) {
	t.Parallel()
	msgs := testMessages(t)
	c := &campaign.Campaign{Language: "en", Title: "Letters to Ales", Letter: "Dear Ales, greetings.",
		Translations: []campaign.Text{
			{Lang: "ru", Title: "Письма Алесю", Letter: "Дорогой Алесь, режим падёт."},
			{Lang: "be", Title: "Лісты Алесю: Лукашэнка", Letter: "Дарагі Алесь."},
		}}
	r := &campaign.Recipient{Languages: []string{"be", "ru"}, CensorWords: []string{"Лукашэнка", "режим", "greetings"}}
	for _, tc := range []struct {
		lang              string
		allowed, possible bool
		censored          []string
	}{
		{"en", false, true, []string{"greetings"}},
		{"ru", true, true, []string{"режим"}},
		{"be", true, true, []string{"Лукашэнка"}},
	} {
		k := CheckLetter(c, r, tc.lang, msgs)
		if k.Allowed != tc.allowed || k.Allowable != tc.possible || !slices.Equal(k.Censored, tc.censored) || k.Text.Lang != tc.lang {
			t.Errorf("%s: got %+v, want allowed %v, allowable %v, censored %v", tc.lang, k, tc.allowed, tc.possible, tc.censored)
		}
		if k.OK() {
			t.Errorf("%s: OK with censor words", tc.lang)
		}
	}
	if k := CheckLetter(c, &campaign.Recipient{Languages: []string{"uk"}}, "en", msgs); k.Allowable || k.Allowed {
		t.Errorf("a prison taking only Ukrainian: %+v, want neither allowed nor allowable", k)
	}
	if k := CheckLetter(c, nil, "en", msgs); !k.OK() || !k.Allowable {
		t.Errorf("no recipient: %+v, want OK", k)
	}
}
