package bundle

import (
	"slices"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
)

// Languages are the languages a bundle of c can print in: those c has a
// text in (its original, then its translations) that the message catalog
// has the fixed texts for, as the catalog names them. The cover letter, its
// title and the fixed texts all print in the one chosen.
func Languages(c *campaign.Campaign, msgs *i18n.Catalog) []string {
	var out []string
	for _, code := range c.Languages() {
		if tag, ok := msgs.Supported(code); ok && !slices.Contains(out, tag.String()) {
			out = append(out, tag.String())
		}
	}
	return out
}

// DefaultLanguage is the language a bundle of c to r is proposed in: the
// first language of r's rules, in their order, that is one of Languages;
// else (no rules, or none the campaign has a text in) the original's,
// which a bundle then prints in only after a warning. r may be nil: no
// rules.
func DefaultLanguage(c *campaign.Campaign, r *campaign.Recipient, msgs *i18n.Catalog) string {
	langs := Languages(c, msgs)
	if r != nil {
		for _, code := range r.Languages {
			if tag, ok := msgs.Supported(code); ok && slices.Contains(langs, tag.String()) && r.AllowsLanguage(tag.String()) {
				return tag.String()
			}
		}
	}
	if len(langs) > 0 {
		return langs[0]
	}
	return c.TextLanguage()
}

// Check is what a recipient's rules say of a bundle printed in one
// language.
type Check struct {
	// Text is the campaign's text the cover letter prints.
	Text campaign.Text
	// Allowed is false when the rules do not let letters in the bundle's
	// language through.
	Allowed bool
	// Censored are the rules' censor words that Text's title or letter
	// holds, in the rules' order.
	Censored []string
	// Allowable is false when the campaign has no text in any language
	// the rules allow: only a translation can make the letter pass.
	Allowable bool
}

// OK reports whether the rules raise nothing against the bundle.
func (k Check) OK() bool { return k.Allowed && len(k.Censored) == 0 }

// CheckLetter checks a bundle of c printed in lang against r's rules: its
// language, and the censor words in the title and letter it prints. A nil
// r has no rules.
func CheckLetter(c *campaign.Campaign, r *campaign.Recipient, lang string, msgs *i18n.Catalog) Check {
	text, _ := c.TextIn(lang)
	k := Check{Text: text, Allowed: true, Allowable: true}
	if r == nil {
		return k
	}
	k.Allowed = r.AllowsLanguage(lang)
	k.Allowable = slices.ContainsFunc(Languages(c, msgs), r.AllowsLanguage)
	found := map[string]bool{}
	for _, s := range []string{text.Title, text.Letter} {
		for _, w := range letters.CensoredWords(s, r.CensorWords) {
			found[w] = true
		}
	}
	for _, w := range r.CensorWords {
		if found[w] {
			k.Censored = append(k.Censored, w)
			delete(found, w)
		}
	}
	return k
}
