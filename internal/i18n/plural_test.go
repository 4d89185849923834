package i18n_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// pluralCounts are the counts the plural tests read each language at: the
// ones whose forms differ in Slavic languages and Lithuanian.
var pluralCounts = []int64{0, 1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111}

// The languages with more than two plural forms get the right form for
// each count, as CLDR's rules give it, from every plural message of
// their catalog: a form that is missing or falls to the wrong count fails.
func TestPluralForms(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The CLDR plural category of each count, in the order of pluralCounts.
	want := map[string][]string{
		"be": {"many", "one", "few", "many", "many", "many", "many", "one", "few", "many", "one", "many"},
		"ru": {"many", "one", "few", "many", "many", "many", "many", "one", "few", "many", "one", "many"},
		"uk": {"many", "one", "few", "many", "many", "many", "many", "one", "few", "many", "one", "many"},
		"pl": {"many", "one", "few", "many", "many", "many", "many", "many", "few", "many", "many", "many"},
		"lt": {"other", "one", "few", "few", "other", "other", "other", "one", "few", "few", "one", "other"},
	}
	for lang, categories := range want {
		t.Run(lang, func(t *testing.T) {
			tag := language.MustParse(lang)
			forms := pluralMessages(t, lang)
			if len(forms) == 0 {
				t.Fatalf("the %s catalog has no plural messages", lang)
			}
			l := c.Localizer(tag)
			for id, byCategory := range forms {
				for i, n := range pluralCounts {
					form, ok := byCategory[categories[i]]
					if !ok {
						t.Errorf("%s %s: no %q form, which %d needs", lang, id, categories[i], n)
						continue
					}
					expected, pairs := fillOthers(fillCount(form, l.Number(n)))
					if got := l.N(id, n, pairs...); got != expected {
						t.Errorf("%s %s for %d: %q, want the %s form %q", lang, id, n, got, categories[i], expected)
					}
				}
			}
		})
	}
}

// pluralMessages reads the plural messages of a language's catalog files
// as written: message ID → plural category → text.
func pluralMessages(t *testing.T, lang string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, f := range catalogFiles(t, lang) {
		var msgs map[string]json.RawMessage
		if err := json.Unmarshal(f, &msgs); err != nil {
			t.Fatal(err)
		}
		for id, raw := range msgs {
			var forms map[string]string
			if json.Unmarshal(raw, &forms) == nil {
				out[id] = forms
			}
		}
	}
	return out
}

// fillCount puts count where a form has {{.Count}}, as N does.
func fillCount(form, count string) string {
	return strings.ReplaceAll(form, "{{.Count}}", count)
}

// placeholder is a value other than the count that a message takes.
var placeholder = regexp.MustCompile(`\{\{\.([A-Za-z]+)\}\}`)

// fillOthers fills a form's placeholders other than the count with their
// names in brackets, and returns the pairs that fill them so in N.
func fillOthers(form string) (string, []any) {
	var pairs []any
	for _, m := range placeholder.FindAllStringSubmatch(form, -1) {
		pairs = append(pairs, m[1], "["+m[1]+"]")
	}
	return placeholder.ReplaceAllString(form, "[$1]"), pairs
}

// catalogFiles reads the message files of one language: en.json or
// <area>.en.json for "en".
func catalogFiles(t *testing.T, lang string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("locales", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, name := range names {
		base := strings.TrimSuffix(filepath.Base(name), ".json")
		if base != lang && !strings.HasSuffix(base, "."+lang) {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// The word a campaign page puts after its count, for the counts of
// TestPluralForms: the forms are not only present but in their places.
func TestSignatureCountWords(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"be": {"подпісаў", "подпіс", "подпісы", "подпісаў", "подпісаў", "подпісаў", "подпісаў", "подпіс", "подпісы", "подпісаў", "подпіс", "подпісаў"},
		"ru": {"подписей", "подпись", "подписи", "подписей", "подписей", "подписей", "подписей", "подпись", "подписи", "подписей", "подпись", "подписей"},
		"uk": {"підписів", "підпис", "підписи", "підписів", "підписів", "підписів", "підписів", "підпис", "підписи", "підписів", "підпис", "підписів"},
		"pl": {"podpisów", "podpis", "podpisy", "podpisów", "podpisów", "podpisów", "podpisów", "podpisów", "podpisy", "podpisów", "podpisów", "podpisów"},
		"lt": {"parašų", "parašas", "parašai", "parašai", "parašų", "parašų", "parašų", "parašas", "parašai", "parašai", "parašas", "parašų"},
	}
	for lang, words := range want {
		l := c.Localizer(language.MustParse(lang))
		for i, n := range pluralCounts {
			if got := l.N("campaign.signatures", n); got != words[i] {
				t.Errorf("%s: %d %s, want %d %s", lang, n, got, n, words[i])
			}
		}
	}
}

// A plural message has exactly the plural categories of its language,
// which go-i18n chooses from, in every language: a message plural in one
// language and plain in another would fail for some counts.
func TestPluralCategories(t *testing.T) {
	categories := map[string][]string{
		"en": {"one", "other"}, "sv": {"one", "other"}, "de": {"one", "other"},
		"fr": {"many", "one", "other"},
		"be": {"few", "many", "one", "other"}, "ru": {"few", "many", "one", "other"},
		"uk": {"few", "many", "one", "other"}, "pl": {"few", "many", "one", "other"},
		"lt": {"few", "many", "one", "other"},
	}
	english := pluralMessages(t, "en")
	for lang, want := range categories {
		forms := pluralMessages(t, lang)
		for id, byCategory := range forms {
			got := slices.Sorted(maps.Keys(byCategory))
			if !slices.Equal(got, want) {
				t.Errorf("%s %s has the forms %v, want %v", lang, id, got, want)
			}
			if _, ok := english[id]; !ok {
				t.Errorf("%s %s is plural, but not in English", lang, id)
			}
		}
		for id := range english {
			if _, ok := forms[id]; !ok {
				t.Errorf("%s %s is not plural, but is in English", lang, id)
			}
		}
	}
}
