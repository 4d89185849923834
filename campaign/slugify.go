package campaign

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// slugMax is the longest slug ValidSlug accepts.
const slugMax = 80

// Slugify makes an address from a title: Latin letters without their
// accents, Cyrillic ones transliterated, other characters as hyphens.
func Slugify(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFD.String(strings.ToLower(title)) {
		var s string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			s = string(r)
		case unicode.Is(unicode.Mn, r):
			continue
		default:
			s = cyrillic[r]
		}
		if s == "" {
			hyphen = b.Len() > 0
			continue
		}
		if hyphen {
			b.WriteByte('-')
			hyphen = false
		}
		b.WriteString(s)
		if b.Len() >= slugMax-10 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

// cyrillic transliterates the Cyrillic letters of Belarusian, Russian and
// Ukrainian (as decomposed by NFD: й is и and a mark).
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e", 'ё': "io", 'є': "ie", 'ж': "zh",
	'з': "z", 'и': "i", 'і': "i", 'ї': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ў': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh",
	'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia", 'ł': "l", 'ß': "ss", 'ø': "o",
	'æ': "ae", 'œ': "oe", 'đ': "d",
}
