package pdf

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Texts are the fixed words of a bundle, already in the bundle's language.
// The censor must be able to read them, so the caller translates them into
// a language the prison lets through; pdf only prints them. What the code
// calls an envelope, the texts call a letter ("Letter 3 of 12"), as the
// recipient reads it. Every field is required. Render calls the functions
// from several goroutines at once, so they must be safe for that.
type Texts struct {
	// Signatures and Greetings name the sections in the page headers.
	Signatures, Greetings string
	// NumberColumn, NameColumn, CityColumn and CountryColumn head the
	// columns of the signature list.
	NumberColumn, NameColumn, CityColumn, CountryColumn string
	// Original labels the original of a translated greeting ("Original:").
	Original string
	// Unprintable is printed in place of a greeting whose script the fonts
	// cannot print.
	Unprintable string

	// Footer is every page's footer: "Letter 3 of 12 · page 2 of 10".
	Footer func(envelope, envelopes, page, pages int) string
	// Envelope is the mark on an envelope page: "Letter 3 of 12".
	Envelope func(envelope, envelopes int) string
	// Title follows the campaign's title in a PDF's title: "letter 3 of 12".
	Title func(envelope, envelopes int) string
	// Signed is the cover's total: "Signed by 12,384 people from 47
	// countries."; countries is zero when they are to be left out.
	Signed func(people, countries int) string
	// Totals is the cover's note on the envelopes: "Letters: 12. Pages:
	// 104. Every page shows its letter and page number."
	Totals func(envelopes, pages int) string
	// Supporter replaces a name that is not printed: "a supporter from
	// Lithuania", given the country's name in the bundle's language.
	Supporter func(country string) string
	// Date is the cover letter's date, a calendar day: "12 July 2026".
	Date func(time.Time) string
	// Number formats a signature's number with the language's digit
	// grouping: "12,384".
	Number func(int) string
}

// check reports the first field the caller left empty.
func (t *Texts) check() error {
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"Signatures", t.Signatures != ""}, {"Greetings", t.Greetings != ""},
		{"NumberColumn", t.NumberColumn != ""}, {"NameColumn", t.NameColumn != ""},
		{"CityColumn", t.CityColumn != ""}, {"CountryColumn", t.CountryColumn != ""},
		{"Original", t.Original != ""}, {"Unprintable", t.Unprintable != ""},
		{"Footer", t.Footer != nil}, {"Envelope", t.Envelope != nil}, {"Title", t.Title != nil},
		{"Signed", t.Signed != nil}, {"Totals", t.Totals != nil}, {"Supporter", t.Supporter != nil},
		{"Date", t.Date != nil}, {"Number", t.Number != nil},
	} {
		if !f.ok {
			return fmt.Errorf("%w: no text %s", ErrInvalid, f.name)
		}
	}
	return nil
}

// NameChoice is how a supporter asked their name to appear on the printed
// letter. Prison staff read the letters, so some prefer less than their
// full name.
type NameChoice string

const (
	// NameFull prints the name as entered; it is the default.
	NameFull NameChoice = "full"
	// NameFirstInitial prints the first name and the initial of the last:
	// "Anna K.".
	NameFirstInitial NameChoice = "first_initial"
	// NameCountry prints no name: "a supporter from Lithuania".
	NameCountry NameChoice = "country"
)

// Valid reports whether c is one of the defined choices.
func (c NameChoice) Valid() bool {
	return c == NameFull || c == NameFirstInitial || c == NameCountry
}

// PrintedName returns a supporter's name as it should appear in a bundle,
// following their choice: the full name, the first name and initial of the
// last name ("Anna K."), or t.Supporter(countryName) ("a supporter from
// Lithuania"). countryName must already be in the texts' language. An empty
// name and an unknown choice fall back to the most private reading that
// still works, the country phrase.
func (t *Texts) PrintedName(full string, choice NameChoice, countryName string) string {
	words := strings.FieldsFunc(full, unicode.IsSpace)
	if len(words) == 0 {
		return t.Supporter(strings.TrimSpace(countryName))
	}
	switch choice {
	case NameFull, "":
		return strings.Join(words, " ")
	case NameFirstInitial:
		return FirstInitial(full)
	}
	return t.Supporter(strings.TrimSpace(countryName))
}

// FirstInitial is full as NameFirstInitial prints it: the first name and
// the initial of the last ("Anna K."), or the one name there is. It is
// its own result's FirstInitial, so that a name cut to it (the retention
// job keeps no more) prints the same again.
func FirstInitial(full string) string {
	words := strings.FieldsFunc(full, unicode.IsSpace)
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	initial := []rune(firstGrapheme(words[len(words)-1]))
	if len(initial) == 0 {
		return words[0]
	}
	return words[0] + " " + upper(string(initial)) + "."
}

// upper capitalises the letters of scripts that write capitals: Latin,
// Cyrillic, Greek and Armenian. Georgian is written without them, and its
// rare capitals (Mtavruli) are not in the fonts.
func upper(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Armenian) {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}
