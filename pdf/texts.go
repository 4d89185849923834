package pdf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// texts are the fixed words of a bundle in one language. The censor must be
// able to read them, so they come in the languages of the prisons
// campaigns write to, not only the organizer's. What the code calls an
// envelope, the printed words call a letter ("Letter 3 of 12"), as the
// recipient reads it.
type texts struct {
	signatures, greetings       string // section names in page headers
	colNumber, colName, colCity string // signature column heads
	colCountry                  string
	footer                      string // envelope, envelopes, page, pages
	envelopeMark                string // envelope, envelopes: on the envelope page
	signedBy, signedByFrom      string // people; people, countries
	people, countries           [3]string
	envelopeTotals              string // envelopes, pages (as text): on the cover
	original, unprintable       string
	supporterFrom               string // country
	months                      [12]string
	dateFormat                  string // day, month, year
	thousands                   string
	plural                      func(n int) int // index into people and countries
	titleSuffix                 string          // envelope, envelopes: in the PDF's title
}

func pluralEnglish(n int) int {
	if n == 1 {
		return 0
	}
	return 1
}

// pluralEastSlavic picks the form for Belarusian, Russian and Ukrainian:
// 1, 21 (one); 2–4, 22–24 (few); 0, 5–20, 25 (many).
func pluralEastSlavic(n int) int {
	switch {
	case n%10 == 1 && n%100 != 11:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	}
	return 2
}

var languages = map[string]*texts{
	"en": {
		signatures: "Signatures", greetings: "Messages of support",
		colNumber: "No.", colName: "Name", colCity: "City", colCountry: "Country",
		footer:         "Letter %d of %d · page %d of %d",
		envelopeMark:   "Letter %d of %d",
		signedBy:       "Signed by %s.",
		signedByFrom:   "Signed by %s from %s.",
		people:         [3]string{"%s person", "%s people", "%s people"},
		countries:      [3]string{"%s country", "%s countries", "%s countries"},
		envelopeTotals: "Letters: %s. Pages: %s. Every page shows its letter and page number.",
		original:       "Original:",
		unprintable:    "The text of this message cannot be printed: its script is not supported.",
		supporterFrom:  "a supporter from %s",
		months: [12]string{"January", "February", "March", "April", "May", "June", "July",
			"August", "September", "October", "November", "December"},
		dateFormat:  "%d %s %d",
		thousands:   ",",
		plural:      pluralEnglish,
		titleSuffix: "letter %d of %d",
	},
	"be": {
		signatures: "Подпісы", greetings: "Словы падтрымкі",
		colNumber: "№", colName: "Імя", colCity: "Горад", colCountry: "Краіна",
		footer:         "Ліст %d з %d · старонка %d з %d",
		envelopeMark:   "Ліст %d з %d",
		signedBy:       "Подпісы: %s.",
		signedByFrom:   "Подпісы: %s з %s.",
		people:         [3]string{"%s чалавек", "%s чалавекі", "%s чалавек"},
		countries:      [3]string{"%s краіны", "%s краін", "%s краін"},
		envelopeTotals: "Лістоў: %s. Старонак: %s. На кожнай старонцы пазначаны нумар ліста і старонкі.",
		original:       "Арыгінал:",
		unprintable:    "Тэкст гэтага паведамлення нельга надрукаваць: яго пісьменнасць не падтрымліваецца.",
		supporterFrom:  "прыхільнік з краіны %s",
		months: [12]string{"студзеня", "лютага", "сакавіка", "красавіка", "мая", "чэрвеня", "ліпеня",
			"жніўня", "верасня", "кастрычніка", "лістапада", "снежня"},
		dateFormat:  "%d %s %d г.",
		thousands:   "\u00A0",
		plural:      pluralEastSlavic,
		titleSuffix: "ліст %d з %d",
	},
	"ru": {
		signatures: "Подписи", greetings: "Слова поддержки",
		colNumber: "№", colName: "Имя", colCity: "Город", colCountry: "Страна",
		footer:         "Письмо %d из %d · страница %d из %d",
		envelopeMark:   "Письмо %d из %d",
		signedBy:       "Подписи: %s.",
		signedByFrom:   "Подписи: %s из %s.",
		people:         [3]string{"%s человек", "%s человека", "%s человек"},
		countries:      [3]string{"%s страны", "%s стран", "%s стран"},
		envelopeTotals: "Писем: %s. Страниц: %s. На каждой странице указаны номер письма и номер страницы.",
		original:       "Оригинал:",
		unprintable:    "Текст этого сообщения невозможно напечатать: его письменность не поддерживается.",
		supporterFrom:  "сторонник из страны %s",
		months: [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
			"августа", "сентября", "октября", "ноября", "декабря"},
		dateFormat:  "%d %s %d г.",
		thousands:   "\u00A0",
		plural:      pluralEastSlavic,
		titleSuffix: "письмо %d из %d",
	},
	"uk": {
		signatures: "Підписи", greetings: "Слова підтримки",
		colNumber: "№", colName: "Ім’я", colCity: "Місто", colCountry: "Країна",
		footer:         "Лист %d з %d · сторінка %d з %d",
		envelopeMark:   "Лист %d з %d",
		signedBy:       "Підписи: %s.",
		signedByFrom:   "Підписи: %s з %s.",
		people:         [3]string{"%s людина", "%s людини", "%s людей"},
		countries:      [3]string{"%s країни", "%s країн", "%s країн"},
		envelopeTotals: "Листів: %s. Сторінок: %s. На кожній сторінці вказано номер листа і номер сторінки.",
		original:       "Оригінал:",
		unprintable:    "Текст цього повідомлення неможливо надрукувати: його писемність не підтримується.",
		supporterFrom:  "прихильник з країни %s",
		months: [12]string{"січня", "лютого", "березня", "квітня", "травня", "червня", "липня",
			"серпня", "вересня", "жовтня", "листопада", "грудня"},
		dateFormat:  "%d %s %d р.",
		thousands:   "\u00A0",
		plural:      pluralEastSlavic,
		titleSuffix: "лист %d з %d",
	},
}

// Languages lists the codes Bundle.Lang accepts, sorted.
func Languages() []string {
	codes := make([]string, 0, len(languages))
	for code := range languages {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// number formats n with the language's digit grouping: 12,384 or 12 384.
func (t *texts) number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(t.thousands)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (t *texts) date(d time.Time) string {
	return fmt.Sprintf(t.dateFormat, d.Day(), t.months[d.Month()-1], d.Year())
}

// signed is the cover's "signed by 12,384 people from 47 countries".
func (t *texts) signed(people, countries int) string {
	p := fmt.Sprintf(t.people[t.plural(people)], t.number(people))
	if countries <= 0 {
		return fmt.Sprintf(t.signedBy, p)
	}
	c := fmt.Sprintf(t.countries[t.plural(countries)], t.number(countries))
	return fmt.Sprintf(t.signedByFrom, p, c)
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

// PrintedName returns a supporter's name as it should appear in a bundle in
// language lang, following their choice: the full name, the first name and
// initial of the last name ("Anna K."), or "a supporter from <countryName>".
// countryName must already be in lang. An empty name, an unknown choice and
// an unknown lang fall back to the most private reading that still works:
// no name gives the country phrase, an unknown choice the country phrase,
// an unknown language English.
func PrintedName(full string, choice NameChoice, countryName, lang string) string {
	t, ok := languages[lang]
	if !ok {
		t = languages["en"]
	}
	words := strings.FieldsFunc(full, unicode.IsSpace)
	supporter := fmt.Sprintf(t.supporterFrom, strings.TrimSpace(countryName))
	if len(words) == 0 {
		return supporter
	}
	switch choice {
	case NameFull, "":
		return strings.Join(words, " ")
	case NameFirstInitial:
		if len(words) == 1 {
			return words[0]
		}
		initial := []rune(firstGrapheme(words[len(words)-1]))
		if len(initial) == 0 {
			return words[0]
		}
		return words[0] + " " + upper(string(initial)) + "."
	}
	return supporter
}

// supporter is the phrase that replaces a name that cannot be printed.
func (t *texts) supporter(country string) string {
	return fmt.Sprintf(t.supporterFrom, country)
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
