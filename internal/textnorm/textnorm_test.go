package textnorm_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"golang.org/x/text/unicode/norm"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"plain", "Anna Kowalska", "Anna Kowalska", nil},
		{"trim and collapse", "  Anna \t\n  Kowalska  ", "Anna Kowalska", nil},
		{"NFC", "Jose\u0301", "José", nil},
		{"cyrillic", "Алесь  Бяляцкі", "Алесь Бяляцкі", nil},
		{"greek", "Γιώργος", "Γιώργος", nil},
		{"georgian", "ნინო", "ნინო", nil},
		{"right to left", " שלום  עליכם ", "שלום עליכם", nil},
		{"arabic", "محمد", "محمد", nil},
		{"emoji kept", "Anna 🌻", "Anna 🌻", nil},
		{"zero-width joiner inside kept", "👩\u200d👩", "👩\u200d👩", nil},
		{"invisible edges trimmed", "\u200bAnna\u200b", "Anna", nil},
		{"no-break spaces", "Anna\u00a0\u00a0Nowak", "Anna Nowak", nil},
		{"empty", "", "", nil},
		{"only spaces", "   ", "", nil},
		{"invalid UTF-8", "Ann\xffa", "", textnorm.ErrInvalidUTF8},
		{"NUL", "Anna\x00", "", textnorm.ErrControl},
		{"escape", "\x1b[31mAnna", "", textnorm.ErrControl},
		{"C1 control", "Anna\u0085", "", textnorm.ErrControl},
		{"bidi override", "Anna\u202eevil", "", textnorm.ErrControl},
		{"bidi isolate", "\u2067Anna", "", textnorm.ErrControl},
		{"line separator", "a\u2028b", "", textnorm.ErrControl},
		{"private use", "\ue000", "", textnorm.ErrControl},
		{"Hangul filler name", "\u3164", "", textnorm.ErrInvisible},
		{"zero-width only", "\u200b\u200c\u200d", "", textnorm.ErrInvisible},
		{"braille blank", "\u2800\u2800", "", textnorm.ErrInvisible},
		{"combining marks only", "\u0301\u0301", "", textnorm.ErrInvisible},
		{"long", strings.Repeat("a", 10000), strings.Repeat("a", 10000), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := textnorm.Line(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Line(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"one line", "Stay strong!", "Stay strong!", nil},
		{"windows line ends", "Dear Ales,\r\nstay strong.\r\n", "Dear Ales,\nstay strong.", nil},
		{"blank lines folded", "Dear Ales,\n\n\n\n  we are with you  \n", "Dear Ales,\n\nwe are with you", nil},
		{"spaces in lines", "a  \t b\nc", "a b\nc", nil},
		{"leading blank lines", "\n\n\nhello", "hello", nil},
		{"right to left", "שלום\nמכל הלב", "שלום\nמכל הלב", nil},
		{"emoji", "💛💙 Жыве Беларусь!", "💛💙 Жыве Беларусь!", nil},
		{"control", "hello\x07", "", textnorm.ErrControl},
		{"invisible only", "\u200b\n\u200b", "", textnorm.ErrInvisible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := textnorm.Text(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Text(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{" Anna.Nowak@Example.ORG ", "anna.nowak@example.org", nil},
		{"ALES@viasna.by", "ales@viasna.by", nil},
		{"ａｎｎａ@example.org", "anna@example.org", nil}, // full-width letters
		{"a\u200b@example.org", "", textnorm.ErrControl},
		{"a\u00ad@example.org", "", textnorm.ErrControl},
		{"a b@example.org", "", textnorm.ErrControl},
	}
	for _, tt := range tests {
		got, err := textnorm.Email(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Email(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@example.org", "Ａ@b.c", "a\u200b@x.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := textnorm.Email(in)
		if err != nil {
			return
		}
		if strings.ToLower(out) != out || strings.ContainsFunc(out, func(r rune) bool { return r == ' ' || r == '\u200b' || r == '\u00ad' }) {
			t.Fatalf("Email(%q) = %q keeps upper case, spaces or invisible characters", in, out)
		}
		again, err := textnorm.Email(out)
		if err != nil || again != out {
			t.Fatalf("Email is not idempotent on %q: %q then %q, %v", in, out, again, err)
		}
	})
}

func TestLength(t *testing.T) {
	if got := textnorm.Length("Жыве 🌻"); got != 6 {
		t.Errorf("Length = %d, want 6", got)
	}
}

// checkClean asserts the properties every normalised text has.
func checkClean(t *testing.T, in, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q: output is not UTF-8", in)
	}
	if !norm.NFC.IsNormalString(out) {
		t.Fatalf("%q: output %q is not NFC", in, out)
	}
	if strings.TrimSpace(out) != out {
		t.Fatalf("%q: output %q has space at an end", in, out)
	}
	if !multiline && strings.ContainsAny(out, "\n\r\t") {
		t.Fatalf("%q: one-line output %q has a line break or tab", in, out)
	}
	if strings.Contains(out, "  ") {
		t.Fatalf("%q: output %q has two spaces in a row", in, out)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"Anna", " a \t b ", "Jose\u0301", "\u3164", "\xff", "שלום", "\u200b x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := textnorm.Line(in)
		if err != nil {
			return
		}
		checkClean(t, in, out, false)
		again, err := textnorm.Line(out)
		if err != nil || again != out {
			t.Fatalf("Line is not idempotent on %q: %q then %q, %v", in, out, again, err)
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"Dear Ales,\r\n\r\n\r\nstay strong", "a  b", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := textnorm.Text(in)
		if err != nil {
			return
		}
		checkClean(t, in, out, true)
		if strings.Contains(out, "\n\n\n") {
			t.Fatalf("%q: output %q keeps more than one blank line", in, out)
		}
		again, err := textnorm.Text(out)
		if err != nil || again != out {
			t.Fatalf("Text is not idempotent on %q: %q then %q, %v", in, out, again, err)
		}
	})
}
