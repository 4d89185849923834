// Package country knows the ISO 3166-1 alpha-2 country codes a signer may
// give as their country, and how to show them in the interface language.
//
// Codes are stored and compared in their canonical upper-case form ("BY",
// "DE"); only display names depend on the language. Names come from CLDR via
// golang.org/x/text/language/display, and lists are ordered with the
// language's collation rules, so a <select> reads naturally to the person who
// uses it.
package country

import (
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// codes holds every officially assigned ISO 3166-1 alpha-2 code, sorted. User-assigned
// codes such as XK (Kosovo) are deliberately absent: they are not part of the standard.
// It is read-only.
var codes = strings.Fields(`
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
`)

// Valid reports whether code is an officially assigned ISO 3166-1 alpha-2
// code in its canonical upper-case form. Callers that accept user input
// should upper-case and trim it first; Valid itself is strict so that only
// canonical codes are ever stored.
func Valid(code string) bool {
	if len(code) != 2 {
		return false
	}
	_, found := slices.BinarySearch(codes, code)
	return found
}

// Name returns the display name of the country with the given code in the
// interface language lang, falling back to the English name and then to the
// code itself. A code that is not Valid is returned unchanged.
//
// Name looks the name up on every call; pages that name many countries
// should use a Catalog instead.
func Name(lang language.Tag, code string) string {
	if !Valid(code) {
		return code
	}
	region, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if base, _ := lang.Base(); base.String() == "en" {
		if name, ok := currentEnglish[code]; ok {
			return name
		}
	}
	for _, t := range []language.Tag{lang, language.English} {
		if n := display.Regions(t); n != nil {
			if name := n.Name(region); name != "" {
				return name
			}
		}
	}
	return code
}

// currentEnglish holds the English names that countries use today where the
// CLDR data in golang.org/x/text is older (North Macedonia renamed itself
// in 2019, Eswatini in 2018) or reads awkwardly in a list. Read-only.
var currentEnglish = map[string]string{
	"MK": "North Macedonia",
	"SZ": "Eswatini",
	"TR": "Türkiye",
	"CV": "Cabo Verde",
	"CD": "Congo (Democratic Republic)",
	"CG": "Congo (Republic)",
	"HK": "Hong Kong",
	"MO": "Macao",
	"MM": "Myanmar",
	"PS": "Palestine",
}

// Country is one entry of a country list: the ISO code that is stored and
// submitted, and the name shown to the person choosing.
type Country struct {
	// Code is the upper-case ISO 3166-1 alpha-2 code, such as "BY".
	Code string
	// Name is the display name in the list's language, such as "Belarus".
	Name string
}

// Catalog holds country lists and names precomputed for a fixed set of
// interface languages, so that rendering a country <select> costs no
// lookups, allocations or sorting. Build one at start-up with NewCatalog and
// share it: a Catalog is immutable and safe for concurrent use.
type Catalog struct {
	// matcher picks the catalog language for a requested tag; index 0 of
	// the supported tags is always English, the fallback.
	matcher language.Matcher
	// exact maps each supported tag to its index, a fast path that spares
	// the matcher's allocations when callers pass a catalog language as is.
	exact map[language.Tag]int
	// lists holds, per supported tag, all countries sorted by name.
	lists [][]Country
	// names holds, per supported tag, the display name of each code.
	names []map[string]string
}

// NewCatalog precomputes the country lists for English and for each of
// langs. Each list is sorted with the collation rules of its language, so
// that for example "Åland Islands" sorts where a Swedish reader expects it.
func NewCatalog(langs ...language.Tag) *Catalog {
	supported := []language.Tag{language.English}
	for _, t := range langs {
		if !slices.Contains(supported, t) {
			supported = append(supported, t)
		}
	}
	c := &Catalog{
		matcher: language.NewMatcher(supported),
		exact:   make(map[language.Tag]int, len(supported)),
		lists:   make([][]Country, len(supported)),
		names:   make([]map[string]string, len(supported)),
	}
	for i, t := range supported {
		c.exact[t] = i
		c.lists[i], c.names[i] = build(t)
	}
	return c
}

// build returns every country named in lang and sorted by lang's collation,
// and the same names keyed by code.
func build(lang language.Tag) ([]Country, map[string]string) {
	list := make([]Country, len(codes))
	names := make(map[string]string, len(codes))
	for i, code := range codes {
		name := Name(lang, code)
		list[i] = Country{Code: code, Name: name}
		names[code] = name
	}
	// A Collator is not safe for concurrent use, so each build gets its own.
	col := collate.New(lang)
	slices.SortStableFunc(list, func(a, b Country) int {
		if c := col.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return slices.Clip(list), names
}

// index returns the position of the catalog language that best serves lang,
// or 0 (English) when none does.
func (c *Catalog) index(lang language.Tag) int {
	if i, ok := c.exact[lang]; ok {
		return i
	}
	_, i, conf := c.matcher.Match(lang)
	if conf == language.No {
		return 0
	}
	return i
}

// List returns all countries with names in the catalog language that best
// matches lang (English if none does), sorted by name for that language.
// The slice is shared by every caller and must not be modified.
func (c *Catalog) List(lang language.Tag) []Country {
	return c.lists[c.index(lang)]
}

// Name returns the display name of code in the catalog language that best
// matches lang (English if none does). A code that is not Valid is returned
// unchanged.
func (c *Catalog) Name(lang language.Tag, code string) string {
	if name, ok := c.names[c.index(lang)][code]; ok {
		return name
	}
	return code
}
