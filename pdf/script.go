package pdf

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// emailLike matches what looks like an email address. No field of a Bundle
// is meant to hold one, but a supporter may type theirs into a name or a
// greeting, and prison staff read everything: clean replaces each with
// emailMark.
var emailLike = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

const emailMark = "[…]"

// missingMark replaces each run of characters the fonts cannot draw (emoji,
// rare symbols), so the reader sees that something was left out.
const missingMark = "□"

// shapingScripts are scripts whose letters change form with their
// neighbours or need their marks positioned. fpdf draws one glyph per
// character in a row, so text in them would print garbled: Printable flags
// it instead. Most of them are also absent from DejaVu.
var shapingScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Arabic", unicode.Arabic},
	{"Syriac", unicode.Syriac},
	{"Thaana", unicode.Thaana},
	{"N'Ko", unicode.Nko},
	{"Mongolian", unicode.Mongolian},
	{"Devanagari", unicode.Devanagari},
	{"Bengali", unicode.Bengali},
	{"Gurmukhi", unicode.Gurmukhi},
	{"Gujarati", unicode.Gujarati},
	{"Oriya", unicode.Oriya},
	{"Tamil", unicode.Tamil},
	{"Telugu", unicode.Telugu},
	{"Kannada", unicode.Kannada},
	{"Malayalam", unicode.Malayalam},
	{"Sinhala", unicode.Sinhala},
	{"Thai", unicode.Thai},
	{"Lao", unicode.Lao},
	{"Tibetan", unicode.Tibetan},
	{"Myanmar", unicode.Myanmar},
	{"Khmer", unicode.Khmer},
}

// Printable reports whether text will print as written, for moderation to
// flag greetings and names before a bundle is built.
//
// ok is false, with reason naming the problem, when the text needs
// something the renderer cannot do: letters whose shapes depend on their
// neighbours (Arabic and the Indic scripts, among others) or letters the
// embedded fonts do not have (Chinese, Japanese, Korean...). Render prints
// such a greeting as a note that its text could not be printed, and such a
// name as "a supporter from <country>"; it never prints them garbled.
//
// Hebrew is printable: Render puts right-to-left text in visual order.
// Emoji and other symbols the fonts lack do not make text unprintable:
// Render replaces them with "□", and reason says so while ok stays true.
// Empty text is printable.
func Printable(text string) (ok bool, reason string) {
	m, err := fontMetrics()
	if err != nil {
		return false, err.Error()
	}
	var letters, symbols []rune
	for _, r := range norm.NFC.String(text) {
		if dropped(r) || unicode.IsSpace(r) {
			continue
		}
		if r >= 0x600 { // the first script that needs shaping, Arabic, starts here
			for _, s := range shapingScripts {
				if unicode.Is(s.table, r) {
					return false, fmt.Sprintf("%s script needs letter shaping, which the PDF renderer cannot do", s.name)
				}
			}
		}
		if m.covers(sans, r) {
			continue
		}
		if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r) {
			letters = appendUnique(letters, r)
		} else {
			symbols = appendUnique(symbols, r)
		}
	}
	switch {
	case len(letters) > 0:
		return false, "the fonts have no letters for " + listRunes(letters)
	case len(symbols) > 0:
		return true, "symbols the fonts lack print as " + missingMark + ": " + listRunes(symbols)
	}
	return true, ""
}

func appendUnique(rs []rune, r rune) []rune {
	for _, x := range rs {
		if x == r {
			return rs
		}
	}
	return append(rs, r)
}

// listRunes names up to five characters for a moderator.
func listRunes(rs []rune) string {
	var b strings.Builder
	for i, r := range rs {
		if i == 5 {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%c (%U)", r, r)
	}
	return b.String()
}

// dropped reports characters clean removes without a trace: controls,
// invisible formatting (joiners, bidi controls, soft hyphens) and variation
// selectors. None of them has a glyph of its own.
func dropped(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
}

// clean prepares untrusted text for drawing in face preferred: it
// normalises to NFC, removes what dropped reports, turns tabs and unusual
// spaces into plain spaces (and newlines too unless multiline), collapses
// runs of spaces, replaces each run of characters the fonts lack with
// missingMark and each email address with emailMark. It returns the face
// to draw with: preferred, or Sans when only Sans has some of the
// characters. The result is in logical order; wrap and visual put
// right-to-left runs into visual order.
func (m *metrics) clean(s string, preferred face, multiline bool) (string, face) {
	s = norm.NFC.String(s)
	f := preferred
	if f != sans {
		for _, r := range s {
			if !m.covers(f, r) && m.covers(sans, r) && !dropped(r) && !unicode.IsSpace(r) {
				f = sans
				break
			}
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	space, missing := false, false
	flushSpace := func() {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
	}
	for _, r := range s {
		switch {
		case r == '\r' || dropped(r):
			continue
		case r == '\n' || r == '\u2028' || r == '\u2029':
			if multiline {
				space, missing = false, false
				b.WriteByte('\n')
				continue
			}
			space = true
			continue
		case r == '\u00A0' || r == '\u202F':
			// No-break spaces keep their meaning: they hold numbers and
			// initials together.
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if !m.covers(f, r) || (missing && unicode.IsMark(r)) {
			// A mark after a missing character belongs to it (keycaps,
			// combining accents on emoji): both become one mark.
			if !missing {
				flushSpace()
				b.WriteString(missingMark)
				missing = true
			}
			continue
		}
		flushSpace()
		missing = false
		b.WriteRune(r)
	}
	out := b.String()
	if strings.ContainsRune(out, '@') {
		out = emailLike.ReplaceAllString(out, emailMark)
	}
	if multiline {
		lines := strings.Split(out, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSpace(l)
		}
		out = strings.Join(lines, "\n")
	}
	return strings.TrimSpace(out), f
}

// printableLetters reports whether cleaned text still carries its words:
// false if any letter was lost or the text needs shaping.
func printableLetters(text string) bool {
	ok, _ := Printable(text)
	return ok
}

// Bidirectional text. The renderer draws glyphs left to right, so text
// containing right-to-left runs (Hebrew) is put into visual order here with
// a reduced form of the Unicode Bidirectional Algorithm (UAX #9): explicit
// embeddings are removed by clean, bracket pairs are not matched (rule N0),
// and the remaining weak, neutral and implicit rules apply as written.

// hasRTL reports whether s contains a right-to-left character.
func hasRTL(s string) bool {
	for _, r := range s {
		if r < 0x590 {
			continue
		}
		if c := bidiClass(r); c == bidi.R || c == bidi.AL || c == bidi.AN {
			return true
		}
	}
	return false
}

func bidiClass(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

// Paragraph directions for bidiLevels.
const (
	dirAuto = -1 // from the first strong character (rules P2, P3)
	dirLTR  = 0  // for fields in a left-to-right layout: names, places
)

// bidiLevels resolves the embedding level of each rune of one paragraph and
// returns the paragraph's own level: 0 left-to-right, 1 right-to-left.
func bidiLevels(rs []rune, dir int) ([]uint8, uint8) {
	n := len(rs)
	t := make([]bidi.Class, n)
	para := uint8(0)
	found := dir != dirAuto
	for i, r := range rs {
		c := bidiClass(r)
		switch c {
		case bidi.AL:
			c = bidi.R // W3
		case bidi.BN, bidi.Control, bidi.LRO, bidi.RLO, bidi.LRE, bidi.RLE, bidi.PDF, bidi.LRI, bidi.RLI, bidi.FSI, bidi.PDI:
			c = bidi.ON
		}
		t[i] = c
		if !found && (c == bidi.L || c == bidi.R) {
			found = true
			if c == bidi.R {
				para = 1
			}
		}
	}
	sos := bidi.L
	if para == 1 {
		sos = bidi.R
	}
	// W1: a non-spacing mark takes the type of the character before it.
	prev := sos
	for i := range t {
		if t[i] == bidi.NSM {
			t[i] = prev
		}
		prev = t[i]
	}
	// W4: a single separator between two numbers joins them.
	for i := 1; i+1 < n; i++ {
		if t[i-1] == bidi.EN && t[i+1] == bidi.EN && (t[i] == bidi.ES || t[i] == bidi.CS) {
			t[i] = bidi.EN
		}
		if t[i-1] == bidi.AN && t[i+1] == bidi.AN && t[i] == bidi.CS {
			t[i] = bidi.AN
		}
	}
	// W5: terminators (currency, percent) next to a number are part of it.
	for i := 0; i < n; {
		if t[i] != bidi.ET {
			i++
			continue
		}
		j := i
		for j < n && t[j] == bidi.ET {
			j++
		}
		if (i > 0 && t[i-1] == bidi.EN) || (j < n && t[j] == bidi.EN) {
			for k := i; k < j; k++ {
				t[k] = bidi.EN
			}
		}
		i = j
	}
	// W6 and W7.
	last := sos
	for i := range t {
		switch t[i] {
		case bidi.ES, bidi.ET, bidi.CS:
			t[i] = bidi.ON
		case bidi.L, bidi.R:
			last = t[i]
		case bidi.EN:
			if last == bidi.L {
				t[i] = bidi.L
			}
		}
	}
	// N1 and N2: neutrals between two runs of one direction take it,
	// others take the paragraph's. Numbers count as right-to-left here.
	strong := func(c bidi.Class) (bidi.Class, bool) {
		switch c {
		case bidi.L:
			return bidi.L, true
		case bidi.R, bidi.EN, bidi.AN:
			return bidi.R, true
		}
		return 0, false
	}
	for i := 0; i < n; {
		if _, ok := strong(t[i]); ok {
			i++
			continue
		}
		j := i
		for j < n {
			if _, ok := strong(t[j]); ok {
				break
			}
			j++
		}
		before, after := sos, sos
		if i > 0 {
			before, _ = strong(t[i-1])
		}
		if j < n {
			after, _ = strong(t[j])
		}
		dir := sos
		if before == after {
			dir = before
		}
		for k := i; k < j; k++ {
			t[k] = dir
		}
		i = j
	}
	// I1 and I2.
	lv := make([]uint8, n)
	for i, c := range t {
		switch {
		case para == 0 && c == bidi.R:
			lv[i] = 1
		case para == 0 && (c == bidi.EN || c == bidi.AN):
			lv[i] = 2
		case para == 1 && (c == bidi.L || c == bidi.EN || c == bidi.AN):
			lv[i] = 2
		default:
			lv[i] = para
		}
	}
	return lv, para
}

var mirrored = map[rune]rune{
	'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<',
	'«': '»', '»': '«', '‹': '›', '›': '‹',
}

// reorder returns one line of a paragraph in visual order (rules L1, L2 and
// L4). rs and lv are the line's runes and levels; they are not modified.
func reorder(rs []rune, lv []uint8, para uint8) []rune {
	out := make([]rune, len(rs))
	copy(out, rs)
	lvl := make([]uint8, len(lv))
	copy(lvl, lv)
	// L1: trailing white space takes the paragraph level.
	for i := len(out) - 1; i >= 0 && unicode.IsSpace(out[i]); i-- {
		lvl[i] = para
	}
	var hi, lo uint8 = 0, 255
	for _, l := range lvl {
		hi = max(hi, l)
		if l%2 == 1 {
			lo = min(lo, l)
		}
	}
	for i, l := range lvl {
		if l%2 == 1 {
			if m, ok := mirrored[out[i]]; ok {
				out[i] = m
			}
		}
	}
	for level := hi; level >= lo && level > 0; level-- {
		for i := 0; i < len(out); {
			if lvl[i] < level {
				i++
				continue
			}
			j := i
			for j < len(out) && lvl[j] >= level {
				j++
			}
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				out[a], out[b] = out[b], out[a]
				lvl[a], lvl[b] = lvl[b], lvl[a]
			}
			i = j
		}
	}
	return out
}

// visual returns one line of cleaned text in visual order, as a field in
// a left-to-right layout: a Hebrew name keeps its place in "— name · city".
func visual(s string) string {
	if !hasRTL(s) {
		return s
	}
	rs := []rune(s)
	lv, para := bidiLevels(rs, dirLTR)
	return string(reorder(rs, lv, para))
}

// firstGrapheme returns the first character of s with the marks that
// follow it, for initials.
func firstGrapheme(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		return ""
	}
	end := n
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !unicode.IsMark(r) {
			break
		}
		end += n
	}
	return s[:end]
}
