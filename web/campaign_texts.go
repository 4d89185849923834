package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Public pages show a campaign in the reader's language when it has a text
// in it (campaignView), and otherwise say which language they show.

// writtenIn says in t's language that a campaign is written in lang: the
// catalog's sentence for that language, which its translators could word
// without declining a language's name, else a sentence naming it as CLDR
// does.
func (s *Server) writtenIn(t *i18n.Localizer, lang string) string {
	base, _ := language.Make(lang).Base()
	if id := "campaign.written_in." + base.String(); s.deps.Messages.Has(id) {
		return t.T(id)
	}
	return t.T("campaign.written_in", "Language", display.Tags(t.Tag()).Name(language.Make(lang)))
}

// textLinks links to this page in each language other than shown that
// the campaign has a text in and the site speaks, each named in itself.
func (s *Server) textLinks(c *fiber.Ctx, camp *campaign.Campaign, shown string) []LanguageLink {
	path, q := s.pageOf(c)
	var out []LanguageLink
	for _, lang := range camp.Languages() {
		tag, ok := s.deps.Messages.Supported(lang)
		if !ok || lang == shown {
			continue
		}
		q.Set("lang", tag.String())
		out = append(out, LanguageLink{Lang: tag.String(), Name: selfName(tag), Href: path + "?" + q.Encode()})
	}
	return out
}
