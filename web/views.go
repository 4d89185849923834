package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/site"
	"golang.org/x/text/language"
)

//go:embed templates
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// asset is a static file served under a name that carries its content's
// hash, so browsers may cache it forever.
type asset struct {
	name string // e.g. style.3f2a9c1b.css
	body []byte
	kind string // Content-Type
}

// views holds the parsed page templates and the static assets.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset  // by hashed name
	urls   map[string]string // plain name → /static/hashed name
}

func loadViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}, urls: map[string]string{}}
	entries, err := fs.ReadDir(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("read static files: %w", err)
	}
	for _, e := range entries {
		body, err := staticFiles.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read static file %s: %w", e.Name(), err)
		}
		ext := path.Ext(e.Name())
		switch ext {
		case ".js":
			if body, err = trimScript(body); err != nil {
				return nil, fmt.Errorf("trim script %s: %w", e.Name(), err)
			}
		case ".css":
			body = minifyCSS(body)
		}
		sum := sha256.Sum256(body)
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		v.assets[hashed] = asset{name: hashed, body: body, kind: mime.TypeByExtension(ext)}
		v.urls[e.Name()] = "/static/" + hashed
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			u, ok := v.urls[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return u, nil
		},
		"paragraphs":     paragraphs,
		"cardOf":         func(t *i18n.Localizer, c CampaignView) CardView { return CardView{T: t, C: c} },
		"problemSummary": problemSummary,
		"messageSummary": messageSummary,
		"limit":          fieldLimit,
	}
	// Every templates/<name>.html is a public page drawn inside
	// templates/layout.html; every templates/admin/<name>.html is a console
	// page, "admin/<name>", drawn inside templates/admin/layout.html; every
	// templates/embed/<name>.html is a page of the embedded widget,
	// "embed/<name>", inside templates/embed/layout.html. The
	// templates in templates/partials/ are available to every page.
	partials, err := fs.Glob(templateFiles, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("list partial templates: %w", err)
	}
	for _, dir := range []string{"templates", "templates/admin", "templates/embed"} {
		files, err := fs.Glob(templateFiles, dir+"/*.html")
		if err != nil {
			return nil, fmt.Errorf("list templates: %w", err)
		}
		layout := dir + "/layout.html"
		for _, f := range files {
			if f == layout {
				continue
			}
			name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, append([]string{layout, f}, partials...)...)
			if err != nil {
				return nil, fmt.Errorf("parse template %s: %w", name, err)
			}
			v.pages[name] = t
		}
	}
	return v, nil
}

// paragraphs splits text at blank lines, for letters and summaries.
func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Page is what every page template gets: the translator, the page's
// title and who runs the site, for the footer. Page types embed it.
type Page struct {
	T     *i18n.Localizer
	Title string
	// Org is the organisation profile; nil when none is published yet.
	Org *site.Profile
	// Switcher is this page in every shipped language, for the language
	// switcher and the hreflang alternates; empty while only one ships.
	Switcher []LanguageLink
	// Meta describes the page to search engines and to the previews chat
	// apps and social networks draw of a shared link; zero for pages
	// nobody shares.
	Meta PageMeta
}

// PageMeta is what the layout's head says about a page besides its title:
// a description, and with a canonical URL the Open Graph tags too.
type PageMeta struct {
	// Title is the page's own title for a preview, without the site's name
	// or an error prefix.
	Title       string
	Description string
	// URL is the page's address for sharing (og:url), absolute and without
	// a query, so that every language and every partner's ?ref= link
	// counts as one page where links are counted.
	URL string
	// Locale is the page's language as Open Graph writes it: be_BY, en_US.
	Locale string
	// Type is the Open Graph type; "" is "website".
	Type string
	// NoIndex asks search engines to leave the page out: a page reachable
	// by its link only.
	NoIndex bool
}

// Canonical is the address search engines should index for the page in
// the language lang: URL in that language, so that each language version
// names itself, as its hreflang alternates name it.
func (m PageMeta) Canonical(lang string) string {
	return m.URL + "?" + url.Values{"lang": {lang}}.Encode()
}

// pageMeta fills the page description for a shareable page at path
// (e.g. "/c/ales"), in the reader's language.
func (s *Server) pageMeta(c *fiber.Ctx, t *i18n.Localizer, title, description, path string) PageMeta {
	return PageMeta{Title: title, Description: description, URL: s.baseURL(c) + path, Locale: ogLocale(t.Tag())}
}

// ogLocale writes a language as Open Graph's ll_CC, with the region the
// language is most likely written in (be → be_BY), or ll when there is
// none to guess.
func ogLocale(tag language.Tag) string {
	base, _ := tag.Base()
	region, conf := tag.Region()
	if conf == language.No || region.String() == "ZZ" {
		return base.String()
	}
	return base.String() + "_" + region.String()
}

// excerpt shortens s to at most max characters, at a word's end, marking
// the cut with an ellipsis.
func excerpt(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	cut := string(r[:max-1])
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

// render writes a page with the given status.
func (s *Server) render(c *fiber.Ctx, status int, name string, data any) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(b.Bytes())
}

// page returns the common page data for the request.
func (s *Server) page(c *fiber.Ctx, title string) Page {
	t := s.localizer(c)
	p := Page{T: t, Title: title, Switcher: s.languageLinks(c, t.Tag())}
	if org, ok := s.deps.Site.Profile(); ok {
		p.Org = &org
	}
	return p
}

func (s *Server) static(c *fiber.Ctx) error {
	a, ok := s.views.assets[c.Params("file")]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, a.kind)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(a.body)
}
