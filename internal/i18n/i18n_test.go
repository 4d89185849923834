package i18n_test

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/internal/i18n"
)

func TestMatch(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		choices []string
		accept  string
		want    string
		named   bool
	}{
		{"nothing", nil, "", "en", false},
		{"explicit English", []string{"en"}, "de", "en", true},
		{"explicit Belarusian", []string{"be"}, "de", "be", true},
		{"the cookie after an unknown choice", []string{"xx", "uk"}, "de", "uk", true},
		{"unknown choice falls through", []string{"xx", ""}, "en-GB,en;q=0.8", "en", true},
		{"a regional variant", nil, "ru-RU,ru;q=0.9", "ru", true},
		{"garbage header", nil, ";;;q=x", "en", false},
		{"unsupported language", nil, "ja", "en", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, named := c.Match(tt.choices, tt.accept)
			if got.String() != tt.want || named != tt.named {
				t.Errorf("Match = %s, %v; want %s, %v", got, named, tt.want, tt.named)
			}
		})
	}
}

func TestLocalizer(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := c.Localizer(i18n.Default())
	tests := []struct{ got, want string }{
		{l.N("campaign.signatures", 1), "signature"},
		{l.N("campaign.signatures", 12384), "signatures"},
		{l.Number(12384), "12,384"},
		{l.T("campaign.for", "Name", "Ales"), "For Ales"},
		{l.T("no.such.message"), "no.such.message"},
		{l.Date(time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC)), "12 July 2027"},
		{l.DateTime(time.Date(2027, 7, 12, 0, 0, 0, 0, time.FixedZone("+03", 3*3600))), "12 July 2027, 00:00 (UTC+03)"},
		{l.DateTime(time.Date(2027, 1, 12, 18, 30, 0, 0, time.FixedZone("CET", 3600))), "12 January 2027, 18:30 (CET)"},
	}
	be := c.Localizer(language.MustParse("be"))
	lt := c.Localizer(language.Lithuanian)
	erased := time.Date(2013, 1, 10, 0, 0, 0, 0, time.UTC)
	tests = append(tests, []struct{ got, want string }{
		// A date that ends in a full stop takes no second one from the
		// sentence around it.
		{be.T("admin.bundle.rebuilt", "Date", be.Date(erased)), "Створаны нанова без подпісу, выдаленага 10 студзеня 2013 г."},
		{lt.T("admin.bundle.rebuilt", "Date", lt.Date(erased)), "Sukurtas iš naujo be parašo, ištrinto 2013 m. sausio 10 d."},
		{l.T("admin.bundle.rebuilt", "Date", l.Date(erased)), "Rebuilt without a signature erased on 10 January 2013."},
	}...)
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestIDs(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := c.IDs(i18n.Default())
	if !slices.IsSorted(en) {
		t.Error("IDs are not sorted")
	}
	for _, tt := range []struct {
		id   string
		want bool
	}{{"date.long", true}, {"month.12", true}, {"admin.audit.action.partner_added", true}, {"no.such.message", false}} {
		if got := slices.Contains(en, tt.id); got != tt.want {
			t.Errorf("IDs(en) has %q: %v, want %v", tt.id, got, tt.want)
		}
	}
	if got := c.IDs(language.Japanese); len(got) != 0 {
		t.Errorf("IDs of a language without files = %d IDs, want none", len(got))
	}
	// The caller's copy is its own.
	en[0] = "changed"
	if c.IDs(i18n.Default())[0] == "changed" {
		t.Error("IDs returns the catalog's own slice")
	}
}

// Every mark for review names a message of its language's catalog, with a
// note, and no mark is for English, the source.
func TestMarksNameMessagesOfTheirLanguage(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Marks() {
		switch {
		case m.Lang == i18n.Default():
			t.Errorf("%s is marked in English, the source language", m.ID)
		case !slices.Contains(c.IDs(m.Lang), m.ID):
			t.Errorf("the mark for %s names %q, which its catalog does not have", m.Lang, m.ID)
		case m.Note == "":
			t.Errorf("the mark for %s %q has no note", m.Lang, m.ID)
		}
	}
}
