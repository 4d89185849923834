package country

import (
	"slices"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// wantCodes is the number of officially assigned ISO 3166-1 alpha-2 codes.
const wantCodes = 249

func TestCodes(t *testing.T) {
	t.Parallel()
	if got := len(codes); got != wantCodes {
		t.Fatalf("len(codes) = %d, want %d", got, wantCodes)
	}
	for i, code := range codes {
		if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
			t.Errorf("codes[%d] = %q, want two upper-case letters", i, code)
		}
		if i > 0 && codes[i-1] >= code {
			t.Errorf("codes[%d] = %q follows %q, want strictly ascending", i, code, codes[i-1])
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want bool
	}{
		{name: "Belarus", code: "BY", want: true},
		{name: "first", code: "AD", want: true},
		{name: "last", code: "ZW", want: true},
		{name: "Aland", code: "AX", want: true},
		{name: "lower case", code: "by", want: false},
		{name: "mixed case", code: "By", want: false},
		{name: "unknown", code: "ZZ", want: false},
		{name: "user-assigned Kosovo", code: "XK", want: false},
		{name: "reserved EU", code: "EU", want: false},
		{name: "empty", code: "", want: false},
		{name: "one letter", code: "B", want: false},
		{name: "three letters", code: "BLR", want: false},
		{name: "surrounding space", code: " BY", want: false},
		{name: "digits", code: "12", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Valid(tt.code); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	be := language.Make("be")
	tests := []struct {
		lang language.Tag
		code string
		want string
	}{
		{lang: language.English, code: "BY", want: "Belarus"},
		{lang: language.English, code: "RU", want: "Russia"},
		{lang: language.English, code: "UA", want: "Ukraine"},
		{lang: language.English, code: "SE", want: "Sweden"},
		{lang: language.English, code: "DE", want: "Germany"},
		{lang: language.English, code: "FR", want: "France"},
		{lang: language.English, code: "PL", want: "Poland"},
		{lang: language.English, code: "LT", want: "Lithuania"},
		{lang: language.English, code: "GB", want: "United Kingdom"},
		{lang: language.English, code: "US", want: "United States"},
		{lang: language.BritishEnglish, code: "BY", want: "Belarus"},
		{lang: be, code: "BY", want: "Беларусь"},
		{lang: be, code: "RU", want: "Расія"},
		{lang: be, code: "UA", want: "Украіна"},
		{lang: be, code: "LT", want: "Літва"},
		{lang: be, code: "PL", want: "Польшча"},
		{lang: language.Russian, code: "BY", want: "Беларусь"},
		{lang: language.Russian, code: "RU", want: "Россия"},
		{lang: language.Russian, code: "UA", want: "Украина"},
		{lang: language.Russian, code: "DE", want: "Германия"},
		{lang: language.Russian, code: "SE", want: "Швеция"},
		{lang: language.Swedish, code: "AX", want: "Åland"},
		{lang: language.German, code: "DE", want: "Deutschland"},
		// No CLDR names for these languages: English is the fallback.
		{lang: language.Und, code: "BY", want: "Belarus"},
		{lang: language.Make("tlh"), code: "UA", want: "Ukraine"},
		// Codes that are not Valid come back unchanged.
		{lang: language.English, code: "ZZ", want: "ZZ"},
		{lang: language.English, code: "XK", want: "XK"},
		{lang: language.English, code: "by", want: "by"},
		{lang: language.English, code: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang.String()+"/"+tt.code, func(t *testing.T) {
			t.Parallel()
			if got := Name(tt.lang, tt.code); got != tt.want {
				t.Errorf("Name(%s, %q) = %q, want %q", tt.lang, tt.code, got, tt.want)
			}
		})
	}
}

// TestNameEveryCode checks that English, the last fallback before the bare
// code, names every assigned code.
func TestNameEveryCode(t *testing.T) {
	t.Parallel()
	for _, code := range codes {
		if got := Name(language.English, code); got == "" || got == code {
			t.Errorf("Name(en, %q) = %q, want an English name", code, got)
		}
	}
}

func TestCatalogList(t *testing.T) {
	t.Parallel()
	langs := []language.Tag{
		language.Make("be"), language.Russian, language.Ukrainian, language.Swedish,
		language.German, language.Polish, language.Lithuanian, language.French,
	}
	c := NewCatalog(langs...)
	for _, lang := range append([]language.Tag{language.English}, langs...) {
		t.Run(lang.String(), func(t *testing.T) {
			t.Parallel()
			list := c.List(lang)
			if got := len(list); got != wantCodes {
				t.Fatalf("len(List(%s)) = %d, want %d", lang, got, wantCodes)
			}
			seen := make(map[string]bool, len(list))
			for _, country := range list {
				if !Valid(country.Code) {
					t.Errorf("List(%s) has invalid code %q", lang, country.Code)
				}
				if seen[country.Code] {
					t.Errorf("List(%s) has %q twice", lang, country.Code)
				}
				seen[country.Code] = true
				if want := Name(lang, country.Code); country.Name != want {
					t.Errorf("List(%s) names %s %q, want %q", lang, country.Code, country.Name, want)
				}
			}
			col := collate.New(lang)
			for i := 1; i < len(list); i++ {
				if col.CompareString(list[i-1].Name, list[i].Name) > 0 {
					t.Errorf("List(%s): %q before %q, want collation order", lang, list[i-1].Name, list[i].Name)
				}
			}
		})
	}
}

// TestCatalogListOrder pins orders that differ between languages, so a
// byte-wise or English-only sort would fail.
func TestCatalogListOrder(t *testing.T) {
	t.Parallel()
	c := NewCatalog(language.Swedish, language.Make("be"))
	tests := []struct {
		lang language.Tag
		// want is a run of codes expected in this order, anywhere in the list.
		want []string
	}{
		// English ignores the ring: "Åland Islands" sorts as "Aland".
		{lang: language.English, want: []string{"AF", "AX", "AL"}},
		// Swedish puts Å and Ö after Z.
		{lang: language.Swedish, want: []string{"ZW", "AX", "AT", "TL"}},
		// Belarusian starts with "Аўстралія" (AU) in Cyrillic order.
		{lang: language.Make("be"), want: []string{"AU", "AT"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang.String(), func(t *testing.T) {
			t.Parallel()
			list := c.List(tt.lang)
			i := slices.IndexFunc(list, func(x Country) bool { return x.Code == tt.want[0] })
			if i < 0 || i+len(tt.want) > len(list) {
				t.Fatalf("List(%s) has no run starting with %s", tt.lang, tt.want[0])
			}
			var got []string
			for _, x := range list[i : i+len(tt.want)] {
				got = append(got, x.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("List(%s) run = %v, want %v", tt.lang, got, tt.want)
			}
		})
	}
}

func TestCatalogMatching(t *testing.T) {
	t.Parallel()
	c := NewCatalog(language.Make("be"), language.Russian)
	tests := []struct {
		name string
		lang language.Tag
		code string
		want string
	}{
		{name: "exact", lang: language.Make("be"), code: "BY", want: "Беларусь"},
		{name: "regional variant", lang: language.Make("ru-RU"), code: "RU", want: "Россия"},
		{name: "English", lang: language.English, code: "RU", want: "Russia"},
		{name: "language not in catalog", lang: language.Japanese, code: "RU", want: "Russia"},
		{name: "undetermined", lang: language.Und, code: "UA", want: "Ukraine"},
		{name: "unknown code", lang: language.Russian, code: "ZZ", want: "ZZ"},
		{name: "lower-case code", lang: language.Russian, code: "ru", want: "ru"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := c.Name(tt.lang, tt.code); got != tt.want {
				t.Errorf("Name(%s, %q) = %q, want %q", tt.lang, tt.code, got, tt.want)
			}
			list := c.List(tt.lang)
			i := slices.IndexFunc(list, func(x Country) bool { return x.Code == "BY" })
			if i < 0 {
				t.Fatalf("List(%s) lacks BY", tt.lang)
			}
			if got, want := list[i].Name, c.Name(tt.lang, "BY"); got != want {
				t.Errorf("List(%s) names BY %q, want %q as Name does", tt.lang, got, want)
			}
		})
	}
}

func TestCatalogDuplicateLanguages(t *testing.T) {
	t.Parallel()
	c := NewCatalog(language.English, language.Russian, language.Russian)
	if got, want := len(c.lists), 2; got != want {
		t.Errorf("NewCatalog(en, ru, ru) holds %d lists, want %d", got, want)
	}
}

func BenchmarkCatalogList(b *testing.B) {
	c := NewCatalog(language.Make("be"), language.Russian, language.Swedish)
	benchmarks := []struct {
		name string
		lang language.Tag
	}{
		{name: "catalog language", lang: language.Make("be")},
		{name: "regional variant", lang: language.Make("be-BY")},
		{name: "fallback", lang: language.Japanese},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(c.List(bm.lang)) != wantCodes {
					b.Fatal("short list")
				}
			}
		})
	}
}

func BenchmarkName(b *testing.B) {
	lang := language.Make("be")
	b.ReportAllocs()
	for b.Loop() {
		if Name(lang, "BY") == "" {
			b.Fatal("empty name")
		}
	}
}

func TestCurrentEnglishNames(t *testing.T) {
	for code, want := range map[string]string{"MK": "North Macedonia", "SZ": "Eswatini", "BY": "Belarus"} {
		if got := Name(language.English, code); got != want {
			t.Errorf("Name(en, %s) = %q, want %q", code, got, want)
		}
		if got := Name(language.MustParse("en-GB"), code); got != want {
			t.Errorf("Name(en-GB, %s) = %q, want %q", code, got, want)
		}
	}
}
