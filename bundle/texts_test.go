package bundle

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/pdf"
)

// testMessages is the message catalog the bundles print from.
func testMessages(tb testing.TB) *i18n.Catalog {
	tb.Helper()
	c, err := i18n.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// The English texts from the catalog are word for word those the bundles
// printed before the catalog had them.
func TestEnglishTexts(t *testing.T) {
	t.Parallel()
	tx := texts(testMessages(t).Localizer(language.English))
	for _, tc := range []struct{ got, want string }{
		{tx.Signatures, "Signatures"},
		{tx.Greetings, "Messages of support"},
		{tx.NumberColumn + "|" + tx.NameColumn + "|" + tx.CityColumn + "|" + tx.CountryColumn, "No.|Name|City|Country"},
		{tx.Original, "Original:"},
		{tx.Unprintable, "The text of this message cannot be printed: its script is not supported."},
		{tx.Footer(3, 12, 2, 10), "Letter 3 of 12 · page 2 of 10"},
		{tx.Footer(1, 1200, 1, 1), "Letter 1 of 1200 · page 1 of 1"},
		{tx.Envelope(3, 12), "Letter 3 of 12"},
		{tx.Title(3, 12), "letter 3 of 12"},
		{tx.Signed(1, 1), "Signed by 1 person from 1 country."},
		{tx.Signed(12384, 47), "Signed by 12,384 people from 47 countries."},
		{tx.Signed(5, 0), "Signed by 5 people."},
		{tx.Signed(0, 0), "Signed by 0 people."},
		{tx.Totals(12, 1234), "Letters: 12. Pages: 1,234. Every page shows its letter and page number."},
		{tx.Supporter("Lithuania"), "a supporter from Lithuania"},
		{tx.PrintedName("Anna", pdf.NameCountry, "Latvia"), "a supporter from Latvia"},
		{tx.Date(time.Date(2026, time.July, 12, 23, 0, 0, 0, time.UTC)), "12 July 2026"},
		{tx.Number(1000000), "1,000,000"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// messageID is the shape of a message ID, which the localizer returns for
// a message it lacks.
var messageID = regexp.MustCompile(`^[a-z][a-z_0-9]*(\.[a-z_0-9]+)+$`)

// Every language of the catalog has every text, and the fonts print all of
// it, digit grouping included.
func TestTextsOfEveryLanguage(t *testing.T) {
	t.Parallel()
	c := testMessages(t)
	if len(c.Languages()) < 9 {
		t.Errorf("the catalog has %d languages, want at least 9", len(c.Languages()))
	}
	for _, tag := range c.Languages() {
		tx := texts(c.Localizer(tag))
		strs := map[string]string{}
		v := reflect.ValueOf(tx)
		for i := range v.NumField() {
			if s, ok := v.Field(i).Interface().(string); ok {
				strs[v.Type().Field(i).Name] = s
			}
		}
		strs["Footer"] = tx.Footer(3, 12, 2, 10)
		strs["Envelope"] = tx.Envelope(3, 12)
		strs["Title"] = tx.Title(3, 12)
		strs["Signed"] = tx.Signed(12384, 47)
		strs["Signed without countries"] = tx.Signed(12384, 0)
		strs["Totals"] = tx.Totals(1234, 12345)
		strs["Supporter"] = tx.Supporter("X")
		// The date's words are the console's too (date.long, month.N):
		// the web catalog test holds every language to having them.
		if slices.Contains(c.IDs(tag), "date.long") {
			strs["Date"] = tx.Date(time.Date(2026, time.July, 12, 0, 0, 0, 0, time.UTC))
		}
		for name, s := range strs {
			if s == "" || messageID.MatchString(s) || strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
				t.Errorf("%s: %s is %q", tag, name, s)
			}
			if ok, reason := pdf.Printable(s); !ok || reason != "" {
				t.Errorf("%s: %s %q does not print: %s", tag, name, s, reason)
			}
		}
		for _, n := range []int{3, 12} {
			if s := tx.Footer(n, 12, 2, 10); !strings.Contains(s, fmt.Sprint(n)) || !strings.Contains(s, "12") {
				t.Errorf("%s: footer %q lacks its numbers", tag, s)
			}
		}
		if s := tx.Supporter("Xanadu"); !strings.Contains(s, "Xanadu") {
			t.Errorf("%s: supporter %q lacks the country", tag, s)
		}
	}
}

// The counts on the cover take the plural forms of each language.
func TestSignedPluralForms(t *testing.T) {
	t.Parallel()
	c := testMessages(t)
	counts := []int{0, 1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111}
	for _, tc := range []struct {
		lang, sentence    string // sentence has %d people, %d countries
		people, countries []string
	}{
		{"be", "Подпісы: %d %s з %d %s.",
			[]string{"чалавек", "чалавек", "чалавекі", "чалавек", "чалавек", "чалавек", "чалавек", "чалавек", "чалавекі", "чалавек", "чалавек", "чалавек"},
			[]string{"краін", "краіны", "краін", "краін", "краін", "краін", "краін", "краіны", "краін", "краін", "краіны", "краін"}},
		{"ru", "Подписи: %d %s из %d %s.",
			[]string{"человек", "человек", "человека", "человек", "человек", "человек", "человек", "человек", "человека", "человек", "человек", "человек"},
			[]string{"стран", "страны", "стран", "стран", "стран", "стран", "стран", "страны", "стран", "стран", "страны", "стран"}},
		{"uk", "Підписи: %d %s з %d %s.",
			[]string{"людей", "людина", "людини", "людей", "людей", "людей", "людей", "людина", "людини", "людей", "людина", "людей"},
			[]string{"країн", "країни", "країн", "країн", "країн", "країн", "країн", "країни", "країн", "країн", "країни", "країн"}},
		{"pl", "Podpisy: %d %s z %d %s.",
			[]string{"osób", "osoba", "osoby", "osób", "osób", "osób", "osób", "osób", "osoby", "osób", "osób", "osób"},
			[]string{"krajów", "kraju", "krajów", "krajów", "krajów", "krajów", "krajów", "krajów", "krajów", "krajów", "krajów", "krajów"}},
		{"lt", "Pasirašė %d %s iš %d %s.",
			[]string{"asmenų", "asmuo", "asmenys", "asmenys", "asmenų", "asmenų", "asmenų", "asmuo", "asmenys", "asmenys", "asmuo", "asmenų"},
			[]string{"šalių", "šalies", "šalių", "šalių", "šalių", "šalių", "šalių", "šalies", "šalių", "šalių", "šalies", "šalių"}},
		{"de", "Unterzeichnet von %d %s aus %d %s.",
			[]string{"Personen", "Person", "Personen", "Personen", "Personen", "Personen", "Personen", "Personen", "Personen", "Personen", "Personen", "Personen"},
			[]string{"Ländern", "Land", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern", "Ländern"}},
		{"sv", "Undertecknat av %d %s från %d %s.",
			[]string{"personer", "person", "personer", "personer", "personer", "personer", "personer", "personer", "personer", "personer", "personer", "personer"},
			[]string{"länder", "land", "länder", "länder", "länder", "länder", "länder", "länder", "länder", "länder", "länder", "länder"}},
		{"fr", "Lettre signée par %d %s de %d %s.",
			[]string{"personne", "personne", "personnes", "personnes", "personnes", "personnes", "personnes", "personnes", "personnes", "personnes", "personnes", "personnes"},
			[]string{"pays", "pays", "pays", "pays", "pays", "pays", "pays", "pays", "pays", "pays", "pays", "pays"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			tx := texts(c.Localizer(language.Make(tc.lang)))
			for i, n := range counts {
				// No countries leaves them out: 0 people come from 1.
				c, j := n, i
				if n == 0 {
					c, j = 1, 1
				}
				want := fmt.Sprintf(tc.sentence, n, tc.people[i], c, tc.countries[j])
				if got := tx.Signed(n, c); got != want {
					t.Errorf("Signed(%d, %d) = %q, want %q", n, c, got, want)
				}
			}
		})
	}
}

// A bundle prints in any language of the catalog the campaign has a text
// in, not only those pdf once had texts for; a language outside the
// catalog is refused.
func TestBundleInACatalogLanguage(t *testing.T) {
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	f.translate(t, campaign.Text{Lang: "lt", Title: "Laiškai Alesiui", Letter: "Brangus Alesi,\n\nMes jūsų nepamiršome."})
	job := f.enqueue(t, Options{Lang: "lt"})
	f.runAll(t)
	if got := f.job(t, job.ID); got.Status != StatusDone {
		t.Fatalf("job %s: %s", got.Status, got.Error)
	}
	if text, ok := f.text(t, f.job(t, job.ID)); ok {
		for _, want := range []string{"Laiškas 1 iš 1 · puslapis 1 iš", "Pasirašė 1 asmuo iš 1 šalies.", "Eil. Nr.", "Mes jūsų nepamiršome."} {
			if !strings.Contains(text, want) {
				t.Errorf("the bundle lacks %q:\n%s", want, text)
			}
		}
	}
	if _, err := f.jobs.Enqueue(t.Context(), f.c, Options{Lang: "xx"}, "organizer@example.org"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a bundle in xx: got %v, want ErrInvalid", err)
	}
}
