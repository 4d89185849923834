package i18n_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The languages with more than two plural forms get the right form for
// each count, as CLDR's rules give it, from every plural message of
// their catalog: a form that is missing or falls to the wrong count fails.
func TestPluralForms(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	counts := []int64{0, 1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111}
	// The CLDR plural category of each count, in the order of counts.
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
				for i, n := range counts {
					form, ok := byCategory[categories[i]]
					if !ok {
						t.Errorf("%s %s: no %q form, which %d needs", lang, id, categories[i], n)
						continue
					}
					expected := fillCount(form, l.Number(n))
					if got := l.N(id, n); got != expected {
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
	counts := []int64{0, 1, 2, 5, 11, 12, 14, 21, 22, 25, 101, 111}
	want := map[string][]string{
		"be": {"подпісаў", "подпіс", "подпісы", "подпісаў", "подпісаў", "подпісаў", "подпісаў", "подпіс", "подпісы", "подпісаў", "подпіс", "подпісаў"},
		"ru": {"подписей", "подпись", "подписи", "подписей", "подписей", "подписей", "подписей", "подпись", "подписи", "подписей", "подпись", "подписей"},
		"uk": {"підписів", "підпис", "підписи", "підписів", "підписів", "підписів", "підписів", "підпис", "підписи", "підписів", "підпис", "підписів"},
		"pl": {"podpisów", "podpis", "podpisy", "podpisów", "podpisów", "podpisów", "podpisów", "podpisów", "podpisy", "podpisów", "podpisów", "podpisów"},
		"lt": {"parašų", "parašas", "parašai", "parašai", "parašų", "parašų", "parašų", "parašas", "parašai", "parašai", "parašas", "parašų"},
	}
	for lang, words := range want {
		l := c.Localizer(language.MustParse(lang))
		for i, n := range counts {
			if got := l.N("campaign.signatures", n); got != words[i] {
				t.Errorf("%s: %d %s, want %d %s", lang, n, got, n, words[i])
			}
		}
	}
}
