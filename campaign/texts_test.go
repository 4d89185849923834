package campaign

import (
	"slices"
	"testing"
)

func TestTextIn(t *testing.T) {
	c := Campaign{Language: "be", Title: "Ліст Алесю", Letter: "Дарагі Алесь",
		Translations: []Text{{Lang: "en", Title: "A letter to Ales"}, {Lang: "pl", Title: "List do Alesia"}}}
	for _, tc := range []struct {
		lang, title string
		found       bool
	}{
		{"be", "Ліст Алесю", true},
		{"be-BY", "Ліст Алесю", true},
		{"en", "A letter to Ales", true},
		{"PL", "List do Alesia", true},
		{"de", "Ліст Алесю", false}, // no German: the original
		{"", "Ліст Алесю", false},
	} {
		got, found := c.TextIn(tc.lang)
		if got.Title != tc.title || found != tc.found {
			t.Errorf("TextIn(%q) = %q, %v; want %q, %v", tc.lang, got.Title, found, tc.title, tc.found)
		}
	}
	if got := c.Languages(); !slices.Equal(got, []string{"be", "en", "pl"}) {
		t.Errorf("Languages() = %v", got)
	}
}

func TestSetAndRemoveTranslation(t *testing.T) {
	c := Campaign{Title: "A letter"} // English, as stored before languages
	c.SetTranslation(Text{Lang: "de", Title: "Ein Brief"})
	c.SetTranslation(Text{Lang: "uk", Title: "Лист"})
	c.SetTranslation(Text{Lang: "de", Title: "Ein Brief an Ales"})
	if got := c.Languages(); !slices.Equal(got, []string{"en", "de", "uk"}) {
		t.Fatalf("languages after adding: %v", got)
	}
	if de, _ := c.TextIn("de"); de.Title != "Ein Brief an Ales" {
		t.Errorf("German after replacing: %q", de.Title)
	}
	c.RemoveTranslation("de")
	c.RemoveTranslation("fr") // none: nothing happens
	if got := c.Languages(); !slices.Equal(got, []string{"en", "uk"}) {
		t.Errorf("languages after removing: %v", got)
	}
}
