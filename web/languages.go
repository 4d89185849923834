package web

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// LanguageLink is one language of the switcher on every page, and of the
// page's hreflang alternates.
type LanguageLink struct {
	Lang string // BCP 47 tag, for lang and hreflang
	Name string // the language's name in itself: "Беларуская"
	Href string // this page in that language (?lang=), relative
	URL  string // the same, absolute, for hreflang
	// Default is the page without a language, absolute: it answers in the
	// visitor's (hreflang x-default).
	Default string
	Current bool
}

// languageLinks lists this page in every shipped language, the current one
// marked. A link keeps the page and its query and sets ?lang=, which
// withLang remembers in a cookie holding nothing but the language.
func (s *Server) languageLinks(c *fiber.Ctx, current language.Tag) []LanguageLink {
	tags := s.deps.Messages.Languages()
	if len(tags) < 2 {
		return nil
	}
	path, q := s.pageOf(c)
	base := s.baseURL(c)
	out := make([]LanguageLink, 0, len(tags))
	for _, t := range tags {
		q.Set("lang", t.String())
		// The alternates name the page itself, without what a visitor's
		// link carried (a partner's ref, a filter).
		alt := url.Values{"lang": {t.String()}}
		out = append(out, LanguageLink{Lang: t.String(), Name: selfName(t), Href: path + "?" + q.Encode(),
			URL: base + path + "?" + alt.Encode(), Default: base + path, Current: t == current})
	}
	return out
}

// selfName is a language's name in that language, capitalised as a menu
// item: "Беларуская", "Polski".
func selfName(t language.Tag) string {
	name := display.Self.Name(t)
	r, n := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return t.String()
	}
	return string(unicode.ToUpper(r)) + name[n:]
}

// LanguageOption is a language in a list to choose from, named in itself.
type LanguageOption struct {
	Code, Name string
}

// languageOptions lists the shipped languages for a form's choice.
func (s *Server) languageOptions() []LanguageOption {
	var out []LanguageOption
	for _, tag := range s.deps.Messages.Languages() {
		out = append(out, LanguageOption{Code: tag.String(), Name: selfName(tag)})
	}
	return out
}

// pageOf is the address a language link leads back to: the page itself,
// or, for a page drawn in answer to a form post, the page the form was on
// (its Referer, when it is ours), since a form's address may take posts
// only; without one, a sign form's campaign page.
func (s *Server) pageOf(c *fiber.Ctx) (string, url.Values) {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
		return c.Path(), q
	}
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && ref.Path != "" && strings.HasPrefix(c.Get(fiber.HeaderReferer), s.baseURL(c)+"/") {
		q := ref.Query()
		q.Del("lang")
		return ref.Path, q
	}
	return strings.TrimSuffix(c.Path(), "/sign"), url.Values{}
}
