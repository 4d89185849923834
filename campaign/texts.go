package campaign

import (
	"slices"
	"strings"
)

// Text is what a campaign says in one language: the words a supporter
// reads, signs and shares, and that the bundle's cover letter prints.
type Text struct {
	// Lang is the language's BCP 47 tag, as Campaign.Language.
	Lang    string `bson:"lang"`
	Title   string `bson:"title"`
	Summary string `bson:"summary"`
	Letter  string `bson:"letter"`
	// Share is the line a share link proposes ("I signed the letter to
	// …"); empty lets the site's own line name the title.
	Share string `bson:"share,omitempty"`
}

// Original is the campaign's text in its own language (TextLanguage): the
// one it was written in, which the others translate.
func (c *Campaign) Original() Text {
	return Text{Lang: c.TextLanguage(), Title: c.Title, Summary: c.Summary, Letter: c.Letter, Share: c.Share}
}

// Texts are the campaign's texts in every language it has, the original
// first, then the translations in the order they were added.
func (c *Campaign) Texts() []Text {
	return append([]Text{c.Original()}, c.Translations...)
}

// TextIn returns the campaign's text in the language lang (compared by
// base language, so "be-BY" finds "be") and true, or the original and
// false when there is no text in that language.
func (c *Campaign) TextIn(lang string) (Text, bool) {
	for _, t := range c.Texts() {
		if sameLanguage(t.Lang, lang) {
			return t, true
		}
	}
	return c.Original(), false
}

// Languages are the languages the campaign has a text in, the original's
// first.
func (c *Campaign) Languages() []string {
	texts := c.Texts()
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = t.Lang
	}
	return out
}

// SetTranslation adds the text t as a translation, or replaces the one in
// its language. It does not replace the original: that is edited through
// the campaign's own fields.
func (c *Campaign) SetTranslation(t Text) {
	i := slices.IndexFunc(c.Translations, func(x Text) bool { return sameLanguage(x.Lang, t.Lang) })
	if i < 0 {
		c.Translations = append(c.Translations, t)
		return
	}
	c.Translations[i] = t
}

// RemoveTranslation removes the translation into lang, if there is one.
func (c *Campaign) RemoveTranslation(lang string) {
	c.Translations = slices.DeleteFunc(c.Translations, func(x Text) bool { return sameLanguage(x.Lang, lang) })
}

// sameLanguage reports whether the tags a and b name the same language,
// ignoring region and script subtags ("be" and "be-BY").
func sameLanguage(a, b string) bool {
	base := func(tag string) string {
		tag, _, _ = strings.Cut(strings.ToLower(tag), "-")
		return tag
	}
	return a != "" && base(a) == base(b)
}
