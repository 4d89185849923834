package letters

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/pdf"
)

// Flag is a reason for a moderator to look closely at a greeting. Flags are
// computed once, when the greeting arrives, and stored with it.
type Flag string

// The flags, in the order the queue shows them.
const (
	// FlagScript: written in a script that none of the recipient's
	// languages uses, so the censor will not pass it untranslated.
	FlagScript Flag = "script"
	// FlagLink: contains a web address.
	FlagLink Flag = "link"
	// FlagPhone: contains something that looks like a phone number.
	FlagPhone Flag = "phone"
	// FlagEmail: contains an email address.
	FlagEmail Flag = "email"
	// FlagCensor: contains a word from the recipient's censor list.
	FlagCensor Flag = "censor"
	// FlagCaps: written mostly in capital letters.
	FlagCaps Flag = "caps"
	// FlagDuplicate: the same text (ignoring case, spaces and punctuation)
	// as an earlier greeting to the same campaign.
	FlagDuplicate Flag = "duplicate"
	// FlagUnprintable: text the printed letters cannot show (scripts that
	// need shaping, such as Arabic, or that the fonts lack, such as
	// Chinese): it needs a translation, or its card says it could not be
	// printed.
	FlagUnprintable Flag = "unprintable"
)

// Flags lists every flag in display order.
var Flags = []Flag{FlagScript, FlagLink, FlagPhone, FlagEmail, FlagCensor, FlagCaps, FlagDuplicate, FlagUnprintable}

// Thresholds of the flags.
const (
	// foreignScriptShare is the share of letters in scripts the recipient's
	// languages do not use from which a greeting is flagged; below it, a
	// name or a word in another script passes. Links and email addresses
	// do not count (they have flags of their own).
	foreignScriptShare = 0.3
	// capsShare is the share of capital letters among letters that have a
	// case from which a greeting counts as shouting, and capsMin the fewest
	// such letters for the test to apply ("OK" is not shouting).
	capsShare = 0.7
	capsMin   = 8
)

var (
	emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+`)
	// linkRE finds URLs, www. addresses, Telegram links and bare domain
	// names under common top-level domains.
	linkRE = regexp.MustCompile(`(?i)(?:(?:https?://|www\.|\bt\.me/)\S*|[\p{L}\p{N}-]+\.(?:com|org|net|info|io|me|ru|by|ua|pl|de|lt|lv|ee|eu|uk|su|fr|se|es|it|us|ly|cc|tv|app|link|site|online|xyz|рф|бел|укр)(?:/\S*)?(?:$|[^\p{L}\p{N}]))`)
	// phoneRE finds runs of digits with the separators phone numbers use.
	phoneRE = regexp.MustCompile(`\+?\(?\d[\d ().\-]{5,}\d`)
	// notPhoneRE matches short runs that are dates, year ranges or numbers
	// grouped in thousands.
	notPhoneRE = regexp.MustCompile(`^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4} ?- ?\d{4}|\d{1,3}(?:[ .]\d{3})+)$`)
)

// Check computes the flags of a greeting's text under a campaign's rules,
// all but FlagDuplicate, which needs the campaign's other greetings.
func Check(text string, rules campaign.Rules) []Flag {
	var flags []Flag
	add := func(f Flag, ok bool) {
		if ok {
			flags = append(flags, f)
		}
	}
	rest := emailRE.ReplaceAllString(text, " ")
	add(FlagScript, foreignScript(linkRE.ReplaceAllString(rest, " "), rules.Languages))
	add(FlagLink, linkRE.MatchString(rest))
	add(FlagPhone, hasPhone(text))
	add(FlagEmail, emailRE.MatchString(text))
	add(FlagCensor, hasCensored(text, rules.CensorWords))
	add(FlagCaps, shouting(text))
	printable, _ := pdf.Printable(text)
	add(FlagUnprintable, !printable)
	return flags
}

// foreignScript reports whether enough of text's letters are in scripts
// that none of languages uses. Without known languages nothing is foreign.
func foreignScript(text string, languages []string) bool {
	allowed := ScriptsOf(languages)
	if len(allowed) == 0 {
		return false
	}
	letters, foreign := 0, 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if s := scriptOf(r); s == "" || !allowed[s] {
			foreign++
		}
	}
	return letters > 0 && float64(foreign) >= foreignScriptShare*float64(letters)
}

func hasPhone(text string) bool {
	for _, m := range phoneRE.FindAllString(text, -1) {
		digits := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		switch {
		case strings.HasPrefix(m, "+") && digits >= 7:
			return true
		case digits >= 9:
			return true
		case digits >= 7 && !notPhoneRE.MatchString(strings.TrimSpace(m)):
			return true
		}
	}
	return false
}

// hasCensored reports whether text contains one of words (each a word or a
// phrase) as whole words, ignoring case.
func hasCensored(text string, words []string) bool { return len(CensoredWords(text, words)) > 0 }

// CensoredWords returns those of words (each a word or a phrase, as a
// recipient's censor words are kept) that text contains as whole words,
// ignoring case, in the order of words.
func CensoredWords(text string, words []string) []string {
	if len(words) == 0 {
		return nil
	}
	tokens := lowerWords(text)
	var found []string
	for _, w := range words {
		phrase := lowerWords(w)
		if len(phrase) == 0 {
			continue
		}
		for i := 0; i+len(phrase) <= len(tokens); i++ {
			if equalWords(tokens[i:i+len(phrase)], phrase) {
				found = append(found, w)
				break
			}
		}
	}
	return found
}

func lowerWords(s string) []string {
	ws := Words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return ws
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func shouting(text string) bool {
	upper, lower := 0, 0
	for _, r := range text {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		}
	}
	cased := upper + lower
	return cased >= capsMin && float64(upper) >= capsShare*float64(cased)
}

// TextKey is the key under which a greeting's text counts as a duplicate:
// a hash of its words in lower case, so that case, spacing and punctuation
// do not matter. A text without words has no key.
func TextKey(text string) string {
	ws := lowerWords(text)
	if len(ws) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(ws, " ")))
	return hex.EncodeToString(sum[:16])
}

// NeedsTranslation reports whether a greeting in language (ISO 639-1, ""
// when unknown) with the given flags needs a translation to reach a
// recipient whose letters must be in languages: when its language is not
// one of them, or, unknown, when it is written in a script they do not use.
func NeedsTranslation(language string, flags []Flag, languages []string) bool {
	if len(languages) == 0 {
		return false
	}
	if language == "" {
		for _, f := range flags {
			if f == FlagScript {
				return true
			}
		}
		return false
	}
	for _, l := range languages {
		if strings.EqualFold(l, language) {
			return false
		}
	}
	return true
}
