package pdf

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "Hello, Ales!", "Алесь Бяляцкі", "Γιώργος", "ნინო ბერიძე", "Արամ", "שלום 123 עולם! (חופש)",
	"نحن معك", "我们支持你", "We love you ❤️ 😀👍🏽 👨‍👩‍👧 🇧🇾", "a\tb\x01c\u200bd\u202ee\u00adf\r\n\n\ng",
	strings.Repeat("Donaudampfschifffahrtsgesellschaftskapitän", 5), "anna@example.org wrote", "\xff\xfe",
	"é", "e\u0301", "1-2/3 — 4", "  lots   of   space  ",
}

// FuzzCleanWrap checks that any text, once cleaned, holds only characters
// the chosen font can draw and wraps into lines that fit, losing nothing
// but the spaces at the breaks.
func FuzzCleanWrap(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	m, err := fontMetrics()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, preferred := range []face{sans, sansBold, serif} {
			text, fc := m.clean(s, preferred, true)
			if !utf8.ValidString(text) {
				t.Fatalf("clean(%q) = %q is not valid UTF-8", s, text)
			}
			for _, r := range text {
				if r != '\n' && !m.covers(fc, r) {
					t.Fatalf("clean(%q) = %q keeps %U, which face %d lacks", s, text, r, fc)
				}
			}
			if emailLike.MatchString(text) {
				t.Fatalf("clean(%q) = %q keeps an email address", s, text)
			}
			const maxW = 40.0
			lines := m.wrap(text, fc, 10, maxW)
			var got []rune
			for _, l := range lines {
				if l.width > maxW && utf8.RuneCountInString(l.text) > 1 {
					t.Fatalf("wrap(%q): line %q is %g mm wide, more than %g", text, l.text, l.width, maxW)
				}
				got = append(got, []rune(l.text)...)
			}
			want := []rune(strings.Join(strings.Fields(text), ""))
			got = []rune(strings.Join(strings.Fields(string(got)), ""))
			if !sameRunes(got, want) {
				t.Fatalf("wrap(%q) lost or added characters: %q", text, string(got))
			}
		}
	})
}

// FuzzVisual checks that putting text into visual order only moves
// characters (and mirrors brackets).
func FuzzVisual(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := visual(s)
		if !sameRunes([]rune(v), []rune(s)) {
			t.Fatalf("visual(%q) = %q is not a reordering", s, v)
		}
		if !hasRTL(s) && v != s {
			t.Fatalf("visual(%q) = %q changed left-to-right text", s, v)
		}
	})
}

// FuzzPrintable checks that Printable never panics and that text it passes
// without a reason prints without a missing-character mark.
func FuzzPrintable(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	m, err := fontMetrics()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok, reason := Printable(s)
		if !ok && reason == "" {
			t.Fatalf("Printable(%q) is false without a reason", s)
		}
		if ok && reason == "" && utf8.ValidString(s) && !strings.Contains(s, missingMark) {
			if text, _ := m.clean(s, sans, true); strings.Contains(text, missingMark) {
				t.Fatalf("Printable(%q) passed, but it prints as %q", s, text)
			}
		}
	})
}

// sameRunes reports whether a and b hold the same characters, counting a
// bracket and its mirror image as one.
func sameRunes(a, b []rune) bool {
	norm := func(rs []rune) []rune {
		out := slices.Clone(rs)
		for i, r := range out {
			if m, ok := mirrored[r]; ok && m < r {
				out[i] = m
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}
