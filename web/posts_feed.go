package web

import (
	"encoding/xml"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// The Atom feeds of the posts (RFC 4287): all listed posts, or a tag's.
// An entry's id is a tag: URI (RFC 4151) made of the site's host, the day
// the post was created and its database ID, so that it stays the same when
// the post's slug or title is edited.

// feedEntries is how many posts a feed holds, newest first.
const feedEntries = 30

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr,omitempty"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr,omitempty"`
	Href     string `xml:"href,attr"`
	Type     string `xml:"type,attr,omitempty"`
	HrefLang string `xml:"hreflang,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Lang string `xml:"xml:lang,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    atomText       `xml:"content"`
}

func (s *Server) postFeed(c *fiber.Ctx) error { return s.sendFeed(c, "") }

func (s *Server) postTagFeed(c *fiber.Ctx) error {
	tag := tagParam(c)
	if tag == "" {
		return fiber.ErrNotFound
	}
	return s.sendFeed(c, tag)
}

// sendFeed writes the feed of the listed posts, or of a tag's, in the
// site's default language: feed readers send no language, and each entry
// is in the post's own.
func (s *Server) sendFeed(c *fiber.Ctx, tag string) error {
	listed := s.listedPosts(tag)
	if tag != "" && len(listed) == 0 {
		return fiber.ErrNotFound
	}
	t := s.deps.Messages.Localizer(s.deps.Messages.Languages()[0])
	path, title := "/letters", t.T("posts.title")
	if tag != "" {
		path = "/letters/tag/" + url.PathEscape(tag)
		title = t.T("posts.tag_title", "Tag", tag)
	}
	return s.writeFeed(c, path, title, listed)
}

// writeFeed writes the Atom feed of the page at path, titled title, with
// the newest feedEntries of listed.
func (s *Server) writeFeed(c *fiber.Ctx, path, title string, listed []*posts.Entry) error {
	if len(listed) > feedEntries {
		listed = listed[:feedEntries]
	}
	base := s.baseURL(c)
	t := s.deps.Messages.Localizer(s.deps.Messages.Languages()[0])
	f := atomFeed{
		Lang: t.Lang(), ID: base + path, Title: t.T("site.name") + ": " + title,
		Links: []atomLink{
			{Rel: "self", Href: base + path + "/feed.atom", Type: "application/atom+xml"},
			{Rel: "alternate", Href: base + path, Type: "text/html"},
		},
		Author: atomPerson{Name: t.T("site.name")},
	}
	if org, ok := s.deps.Site.Profile(); ok {
		f.Author.Name = org.Name
	}
	// A feed without posts was last updated at the epoch, so that its
	// updated date is stable too.
	var newest time.Time
	host := hostOf(base)
	for _, e := range listed {
		p := &e.Post
		updated := p.UpdatedAt
		if p.PublishAt.After(updated) {
			updated = p.PublishAt
		}
		if updated.After(newest) {
			newest = updated
		}
		link := base + "/letters/" + p.Slug
		entry := atomEntry{
			ID:        "tag:" + host + "," + p.CreatedAt.UTC().Format(time.DateOnly) + ":posts/" + p.ID,
			Title:     atomText{Type: "text", Lang: p.Lang, Body: p.Title},
			Updated:   updated.UTC().Format(time.RFC3339),
			Published: p.PublishAt.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Rel: "alternate", Href: link, Type: "text/html", HrefLang: p.Lang}},
			Content:   atomText{Type: "html", Lang: p.Lang, Body: absoluteLinks(string(e.HTML[p.Lang]), base, link)},
		}
		for _, tr := range p.Translations {
			if tag, ok := s.deps.Messages.Supported(tr.Lang); ok {
				entry.Links = append(entry.Links, atomLink{Rel: "alternate", Href: link + "?lang=" + tag.String(), Type: "text/html", HrefLang: tr.Lang})
			}
		}
		for _, tg := range p.Tags {
			entry.Categories = append(entry.Categories, atomCategory{Term: tg})
		}
		if p.Excerpt != "" {
			entry.Summary = &atomText{Type: "text", Lang: p.Lang, Body: p.Excerpt}
		}
		f.Entries = append(f.Entries, entry)
	}
	f.Updated = newest.UTC().Format(time.RFC3339)
	if newest.IsZero() {
		f.Updated = time.Unix(0, 0).UTC().Format(time.RFC3339)
	}
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	// Readers ask again each time: a post unpublished or unlisted leaves
	// the feed at once, not when a cached copy expires.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), out...))
}

// hostOf is the host of an absolute URL, for tag: URIs.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return strings.ToLower(u.Hostname())
}

// absoluteLinks makes the links and images of a post's rendered body
// absolute, for feed readers, which resolve relative ones against the feed
// or not at all: a path gets the site's base, a fragment the post's page.
// The body comes from package markdown, which writes every attribute in
// double quotes, escapes quotes in text and lets no raw HTML through, and
// whose links are absolute, site paths ("/…", never "//…") or fragments.
func absoluteLinks(html, base, page string) string {
	return strings.NewReplacer(
		` href="/`, ` href="`+base+`/`,
		` src="/`, ` src="`+base+`/`,
		` href="#`, ` href="`+page+`#`,
	).Replace(html)
}
