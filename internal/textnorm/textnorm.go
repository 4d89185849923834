// Package textnorm cleans text typed by people before it is validated or
// stored: it rejects bytes and characters that have no place in a name or a
// greeting, folds white space and puts the text in Unicode NFC, so that the
// same words typed on two devices compare and print alike.
package textnorm

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors that say why a text was refused.
var (
	ErrInvalidUTF8 = errors.New("text is not valid UTF-8")
	ErrControl     = errors.New("text contains control characters")
	ErrInvisible   = errors.New("text contains only invisible characters")
)

// Line normalises a one-line field such as a name or a city: every run of
// white space, line breaks included, becomes one space, and the ends are
// trimmed. A text that has letters only of the invisible kind is refused
// with ErrInvisible; an empty text stays empty and is no error.
func Line(s string) (string, error) {
	if err := check(s); err != nil {
		return "", err
	}
	if hasOnlyInvisible(s) {
		return "", ErrInvisible
	}
	return trim(norm.NFC.String(collapse(s))), nil
}

// Text normalises a multi-line field such as a greeting: line breaks become
// "\n", runs of other white space one space, each line is trimmed and more
// than one empty line in a row becomes one.
func Text(s string) (string, error) {
	if err := check(s); err != nil {
		return "", err
	}
	if hasOnlyInvisible(s) {
		return "", ErrInvisible
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	blank := 0
	for line := range strings.SplitSeq(norm.NFC.String(s), "\n") {
		line = trim(collapse(line))
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
			if blank > 0 {
				b.WriteString("\n")
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String(), nil
}

// Email normalises an email address for comparison: trimmed, in NFKC (so
// full-width letters become plain ones) and lower case. Two addresses that
// differ only in these ways reach the same mailbox in practice, so they
// count as one supporter. An address with white space or invisible
// characters inside is refused with ErrControl: they would let one person
// sign twice.
func Email(s string) (string, error) {
	s, err := Line(s)
	if err != nil {
		return "", err
	}
	s = strings.ToLower(norm.NFKC.String(s))
	for _, r := range s {
		if unicode.IsSpace(r) || isInvisible(r) || unicode.Is(unicode.Mn, r) {
			return "", ErrControl
		}
	}
	return s, nil
}

// Length counts the characters (code points) of s, the unit of every length
// limit shown to users.
func Length(s string) int { return utf8.RuneCountInString(s) }

// Check refuses what Line and Text refuse for the characters in s, and
// changes nothing: for fields kept as typed, such as a post's Markdown or
// an envelope's address lines.
func Check(s string) error { return check(s) }

// check refuses invalid UTF-8, C0 and C1 controls other than white space,
// and the bidirectional overrides that can make text display other than it
// reads.
func check(s string) error {
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case unicode.IsControl(r), isBidiControl(r), r == '\u2028' || r == '\u2029':
			return ErrControl
		case r >= 0xFFF9 && r <= 0xFFFB, unicode.Is(unicode.Co, r), unicode.Is(unicode.Noncharacter_Code_Point, r):
			return ErrControl
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// collapse turns every run of white space into one space.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// trim removes white space and invisible characters from both ends.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) })
}

// isInvisible reports characters that show nothing on their own: format
// characters (zero-width spaces and joiners, marks for text direction) and
// the blank letters that pass for names in some apps.
func isInvisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800', '\u00A0', '\u034F':
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || unicode.IsSpace(r)
}

// hasOnlyInvisible reports a text that is not blank yet would show nothing.
func hasOnlyInvisible(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		if !isInvisible(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r) {
			return false
		}
	}
	return true
}
