package web

import (
	"cmp"
	"encoding/xml"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The sitemap (sitemaps.org 0.9) names the pages search engines should
// find: the home page, /letters, the listed public campaigns, the pages
// of listed recipients and their directory, the listed posts and their tags' pages, each with
// the day it last changed. Nothing unlisted, no draft and nothing
// scheduled is in it. It is built from memory on each request.

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapSet gathers the sitemap's addresses with their newest change.
type sitemapSet struct {
	order []string
	last  map[string]time.Time
}

// add names path, changed at t (zero: unknown), keeping the newest time.
func (m *sitemapSet) add(path string, t time.Time) {
	old, ok := m.last[path]
	if !ok {
		m.order = append(m.order, path)
	}
	m.last[path] = latest(old, t)
}

func (s *Server) sitemap(c *fiber.Ctx) error {
	now := s.cfg.Now()
	set := s.deps.Signing.Campaigns()
	m := &sitemapSet{last: map[string]time.Time{}}
	m.add("/", time.Time{})
	m.add("/letters", time.Time{})
	shown := map[string]time.Time{} // listed recipients with something public, and when it changed
	camps := slices.Clone(set.All)
	slices.SortFunc(camps, func(a, b campaign.Campaign) int { return cmp.Or(a.OpensAt.Compare(b.OpensAt), cmp.Compare(a.ID, b.ID)) })
	for i := range camps {
		camp := &camps[i]
		if !camp.Public(now) || !set.CampaignListed(camp) {
			continue
		}
		changed := latest(camp.UpdatedAt, camp.OpensAt)
		m.add("/c/"+url.PathEscape(camp.Slug), changed)
		m.add("/", changed)
		for _, id := range camp.Recipients() {
			shown[id] = latest(shown[id], changed)
		}
	}
	for _, e := range s.listedPosts("") {
		p := &e.Post
		changed := latest(p.UpdatedAt, p.PublishAt)
		m.add("/letters/"+url.PathEscape(p.Slug), changed)
		m.add("/letters", changed)
		for _, tag := range p.Tags {
			m.add("/letters/tag/"+url.PathEscape(tag), changed)
		}
		shown[p.RecipientID] = latest(shown[p.RecipientID], changed)
	}
	recipients := set.Recipients()
	slices.SortFunc(recipients, func(a, b *campaign.Recipient) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	directory, listed := time.Time{}, false
	for _, r := range recipients {
		if changed, ok := shown[r.ID]; ok && !r.Unlisted && r.Slug != "" {
			m.add("/r/"+url.PathEscape(r.Slug), changed)
			directory, listed = latest(directory, changed), true
		}
	}
	if listed {
		// The directory lists them (directory.go).
		m.add("/recipients", directory)
	}
	base := s.baseURL(c)
	out := sitemapURLSet{URLs: make([]sitemapURL, 0, len(m.order))}
	for _, path := range m.order {
		u := sitemapURL{Loc: base + path}
		if t := m.last[path]; !t.IsZero() {
			u.LastMod = t.UTC().Format(time.DateOnly)
		}
		out.URLs = append(out.URLs, u)
	}
	body, err := xml.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	// Asked again each time, as the feeds are: an item unlisted leaves it
	// at once.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), body...))
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
