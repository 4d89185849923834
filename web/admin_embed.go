package web

import (
	"html"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// EmbedBuilderPage is the console's snippet builder: the options of the
// widget, the snippets they give, and a live preview.
type EmbedBuilderPage struct {
	AdminPage
	Sub      []NavItem
	Campaign *campaign.Campaign
	// Public is false while visitors cannot see the campaign: the snippets
	// work only once it opens.
	Public bool
	// The chosen options, as the form shows them.
	Lang, Theme, Accent string
	Compact             bool
	AccentError         string
	Languages           []LanguageOption
	// The snippets, as text to copy.
	Script, IFrame, Badge string
	// PreviewURL is the embed page with the chosen options.
	PreviewURL  string
	PreviewTall bool
	Origins     string
}

func (s *Server) embedBuilder(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := EmbedBuilderPage{
		AdminPage: s.adminPage(c, t.T("admin.embed.title", "Title", camp.Title)),
		Sub:       s.campaignNav(c, camp), Campaign: camp,
		Public:  camp.Public(s.cfg.Now()),
		Theme:   "light",
		Compact: c.Query("compact") == "1",
		Origins: strings.Join(camp.EmbedOrigins, ", "),
	}
	p.Languages = s.languageOptions()
	if tag, ok := s.deps.Messages.Supported(c.Query("lang")); ok {
		p.Lang = tag.String()
	}
	if c.Query("theme") == "dark" {
		p.Theme = "dark"
	}
	opts := embedOptions{Lang: p.Lang, Dark: p.Theme == "dark", Compact: p.Compact}
	status := fiber.StatusOK
	if raw := strings.TrimSpace(c.Query("accent")); raw != "" {
		p.Accent = raw
		if a, ok := parseAccent(raw); ok {
			opts.Accent, p.Accent = a, a
		} else {
			p.AccentError = t.T("admin.embed.accent_error")
			status = fiber.StatusUnprocessableEntity
		}
	}
	base := s.baseURL(c)
	slug := url.PathEscape(camp.Slug)
	attr := html.EscapeString
	script := `<script src="` + base + `/widget.js" data-campaign="` + attr(camp.Slug) + `"`
	if opts.Lang != "" {
		script += ` data-lang="` + attr(opts.Lang) + `"`
	}
	if opts.Dark {
		script += ` data-theme="dark"`
	}
	if opts.Accent != "" {
		script += ` data-accent="` + opts.Accent + `"`
	}
	if opts.Compact {
		script += ` data-compact`
	}
	p.Script = script + ` async></script>`
	// A plain frame cannot follow its content: it is as tall as the whole
	// form on a phone in the wordiest language (about 2,250 px at 360 px
	// wide with the note naming the campaign's language when it has no
	// text in the reader's, measured by TestIFrameSnippetShowsTheWholeForm),
	// with room for a longer title. On a desktop the form is about 1,650 px.
	height := "2350"
	if opts.Compact {
		height = "260"
	}
	q := opts.query()
	src := base + "/embed/" + slug
	if q != "" {
		src += "?" + q
	}
	p.IFrame = `<iframe src="` + attr(src) + `" title="` + attr(camp.Title) + `" width="100%" height="` + height +
		`" style="border:0;max-width:40rem" loading="lazy"></iframe>`
	p.Badge = `<a href="` + base + "/c/" + slug + `"><img src="` + base + "/c/" + slug + `/badge.svg" alt="` +
		attr(camp.Title) + `"></a>`
	p.PreviewURL = "/embed/" + slug
	if q != "" {
		p.PreviewURL += "?" + q
	}
	p.PreviewTall = !opts.Compact
	if err := s.render(c, status, "admin/embed", p); err != nil {
		return err
	}
	allowFrameSelf(c)
	return nil
}
