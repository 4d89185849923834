package web

import (
	"errors"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/scanimage"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// The letters and news under /letters: the list, a tag's list, one post,
// the scans. All from memory (posts.Set): no page waits on the database;
// only a scan's bytes are read, by _id, and then cached for good by the
// browser.

// ScanBodyLimit is the largest request body of a scan upload: twice the
// largest picture accepted, so that a file somewhat too large gets the
// form's message rather than a refused request, and room for the form.
const ScanBodyLimit = 2*scanimage.MaxBytes + 64<<10

// postsPerPage is how many posts a list page shows.
const postsPerPage = 10

// PostView is a post as public pages and the console's preview show it,
// in the reader's language when it has a translation into it.
type PostView struct {
	Slug, Title, Excerpt string
	Body                 template.HTML
	// Lang is the language of the title, excerpt and body.
	Lang string
	// Kind names what the post is, in the reader's language.
	Kind string
	// Written is "2 December 2012, Babruysk" and WrittenISO the day;
	// Received says when and how it reached the organisation.
	Written, WrittenISO, Received string
	Recipient                     string
	// RecipientSlug names the recipient's page, /r/{slug}.
	RecipientSlug string
	Tags          []string
	// Campaign is the open or closed campaign the post answers, when
	// visitors may see it.
	Campaign *CampaignLink
	Scans    []ScanView
	// WrittenIn and AlsoIn say which language the text is in when it is
	// not the reader's, and link to the others (as campaigns do).
	WrittenIn string
	AlsoIn    []LanguageLink
}

// ScanView is a scan as pages show it: N counts from 1.
type ScanView struct {
	ID, URL       string
	Width, Height int
	N             int
}

// scanViews lays out scans served under path.
func scanViews(scans []posts.Scan, path string) []ScanView {
	out := make([]ScanView, len(scans))
	for i, sc := range scans {
		out[i] = ScanView{ID: sc.ID, URL: path + sc.ID + ".jpg", Width: sc.Width, Height: sc.Height, N: i + 1}
	}
	return out
}

// PostArticle is a post as its page draws it, and the console's preview
// (templates/partials/post_article.html), and as a list draws it.
type PostArticle struct {
	T *i18n.Localizer
	P PostView
}

// CampaignLink links a campaign.
type CampaignLink struct{ Slug, Title string }

// postKinds names the kinds of post.
var postKinds = map[posts.Kind]string{
	posts.KindFrom: "posts.kind.from",
	posts.KindTo:   "posts.kind.to",
	posts.KindNews: "posts.kind.news",
}

// postChannels says how a letter reached the organisation.
var postChannels = map[posts.Channel]string{
	posts.ByPost:   "posts.received.post",
	posts.ByFamily: "posts.received.family",
	posts.ByLawyer: "posts.received.lawyer",
	posts.ByOther:  "posts.received.other",
}

// day formats a YYYY-MM-DD day in the reader's language; "" for none.
func day(t *i18n.Localizer, d string) string {
	v, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return ""
	}
	return t.Date(v)
}

// postView lays out p for the reader; body is its rendered Markdown by
// language (posts.Entry.HTML).
func (s *Server) postView(c *fiber.Ctx, p *posts.Post, body map[string]template.HTML) PostView {
	t := s.localizer(c)
	text, found := p.TextIn(t.Lang())
	v := PostView{Slug: p.Slug, Title: text.Title, Excerpt: text.Excerpt, Body: body[text.Lang], Lang: text.Lang,
		Kind: t.T(postKinds[p.Kind]), Tags: p.Tags, Scans: scanViews(p.Scans, "/letters/scans/"), WrittenISO: p.WrittenOn}
	switch date := day(t, p.WrittenOn); {
	case date != "" && p.WrittenAt != "":
		v.Written = t.T("posts.written_at", "Date", date, "Place", p.WrittenAt)
	case date != "":
		v.Written = date
	default:
		v.Written = p.WrittenAt
	}
	if date := day(t, p.ReceivedOn); date != "" || p.ReceivedBy != "" {
		how := ""
		if id, ok := postChannels[p.ReceivedBy]; ok && p.ShowReceivedBy {
			how = t.T(id)
		}
		switch {
		case date != "" && how != "":
			v.Received = t.T("posts.received_on_by", "Date", date, "How", how)
		case date != "":
			v.Received = t.T("posts.received_on", "Date", date)
		default:
			v.Received = t.T("posts.received_by", "How", how)
		}
	}
	set := s.deps.Signing.Campaigns()
	if r, ok := set.Recipient(p.RecipientID); ok {
		v.Recipient, v.RecipientSlug = r.Name, r.Slug
	}
	if p.CampaignID != "" {
		now := s.cfg.Now()
		// A listed post names no unlisted campaign: search engines and
		// readers would find through it what is kept off every list.
		unlisted := p.Unlisted || !set.RecipientListed(p.RecipientID)
		for i := range set.All {
			if camp := &set.All[i]; camp.ID == p.CampaignID && camp.Public(now) && (unlisted || set.CampaignListed(camp)) {
				text, _ := camp.TextIn(t.Lang())
				v.Campaign = &CampaignLink{Slug: camp.Slug, Title: text.Title}
			}
		}
	}
	if !found {
		// The language named alone, as a label: a sentence would need the
		// name's grammatical case in several of the languages.
		v.WrittenIn = t.T("posts.written_in", "Language", display.Tags(t.Tag()).Name(language.Make(text.Lang)))
		path, q := s.pageOf(c)
		for _, lang := range p.Languages() {
			tag, ok := s.deps.Messages.Supported(lang)
			if !ok || lang == text.Lang {
				continue
			}
			q.Set("lang", tag.String())
			v.AlsoIn = append(v.AlsoIn, LanguageLink{Lang: tag.String(), Name: selfName(tag), Href: path + "?" + q.Encode()})
		}
	}
	return v
}

// PostListPage lists posts, all or a tag's, a page at a time.
type PostListPage struct {
	Page
	Heading string
	// Tag is the tag listed, "" for all.
	Tag   string
	Posts []PostArticle
	// Feed is the list's Atom feed.
	Feed string
	// Newer and Older link the neighbouring pages, "" at the ends.
	Newer, Older string
}

func (s *Server) postList(c *fiber.Ctx) error { return s.renderPostList(c, "") }

func (s *Server) postTag(c *fiber.Ctx) error {
	tag := tagParam(c)
	if tag == "" {
		return fiber.ErrNotFound
	}
	return s.renderPostList(c, tag)
}

// tagParam is the tag a path names: Fiber leaves parameters escaped, and
// tags may be in any script (/letters/tag/%D0%BB%D1%96%D1%81%D1%82%D1%8B).
func tagParam(c *fiber.Ctx) string {
	raw, err := url.PathUnescape(c.Params("tag"))
	if err != nil {
		return ""
	}
	return posts.NormaliseTag(raw)
}

func (s *Server) renderPostList(c *fiber.Ctx, tag string) error {
	set := s.deps.Signing.Campaigns()
	key := s.memoryPageKey(set)
	listed := s.listedPosts(tag)
	if tag != "" && len(listed) == 0 {
		return fiber.ErrNotFound
	}
	page, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || page < 1 || (page-1)*postsPerPage >= max(len(listed), 1) {
		return fiber.ErrNotFound
	}
	path := "/letters"
	if tag != "" {
		path = "/letters/tag/" + url.PathEscape(tag)
	}
	slot, cached := s.memorySlot(c, "posts", path, true)
	if !cached {
		return s.render(c, fiber.StatusOK, "posts", s.postListData(c, tag, path, listed, page))
	}
	return s.sendCached(c, slot, key, "posts", func() (*Page, any, error) {
		p := s.postListData(c, tag, path, listed, page)
		return &p.Page, p, nil
	})
}

// postListData lays out page n of the listed posts, at path, all or a
// tag's.
func (s *Server) postListData(c *fiber.Ctx, tag, path string, listed []*posts.Entry, page int) PostListPage {
	t := s.localizer(c)
	title, feed := t.T("posts.title"), "/letters/feed.atom"
	if tag != "" {
		title, feed = t.T("posts.tag_title", "Tag", tag), path+"/feed.atom"
	}
	p := PostListPage{Page: s.page(c, title), Heading: title, Tag: tag, Feed: feed}
	p.Meta = s.pageMeta(c, t, title, t.T("posts.intro"), path)
	from, to := (page-1)*postsPerPage, min(page*postsPerPage, len(listed))
	for _, e := range listed[from:to] {
		p.Posts = append(p.Posts, PostArticle{T: t, P: s.postView(c, &e.Post, e.HTML)})
	}
	if page > 1 {
		p.Newer = pageLink(path, page-1)
	}
	if to < len(listed) {
		p.Older = pageLink(path, page+1)
	}
	return p
}

// listedPosts returns the posts that lists and feeds show now, newest
// first, with a tag only those that carry it: not those about an unlisted
// recipient, which are unlisted too.
func (s *Server) listedPosts(tag string) []*posts.Entry {
	set := s.deps.Signing.Campaigns()
	listed := s.deps.Posts.Posts().Listed(s.cfg.Now(), tag)
	if !slices.ContainsFunc(listed, func(e *posts.Entry) bool { return !set.RecipientListed(e.Post.RecipientID) }) {
		return listed
	}
	return slices.DeleteFunc(slices.Clone(listed), func(e *posts.Entry) bool { return !set.RecipientListed(e.Post.RecipientID) })
}

// pageLink is the address of a list's page n.
func pageLink(path string, n int) string {
	if n == 1 {
		return path
	}
	return path + "?page=" + strconv.Itoa(n)
}

// PostPage is one post.
type PostPage struct {
	Page
	Article PostArticle
	// Unlisted posts ask search engines not to index them.
	Unlisted bool
}

func (s *Server) postPage(c *fiber.Ctx) error {
	campaigns := s.deps.Signing.Campaigns()
	key := s.memoryPageKey(campaigns)
	set, now := s.deps.Posts.Posts(), s.cfg.Now()
	e, ok := set.Public(c.Params("slug"), now)
	if !ok {
		if to, moved := set.Moved(c.Params("slug"), now); moved {
			return s.redirectMoved(c, "/letters/"+url.PathEscape(to))
		}
		return fiber.ErrNotFound
	}
	// Posts about an unlisted recipient are unlisted too.
	unlisted := e.Post.Unlisted || !campaigns.RecipientListed(e.Post.RecipientID)
	if unlisted {
		// Reachable by its link only: search engines leave it out.
		c.Set("X-Robots-Tag", "noindex")
	}
	draw := func() PostPage {
		t := s.localizer(c)
		v := s.postView(c, &e.Post, e.HTML)
		p := PostPage{Page: s.page(c, v.Title), Article: PostArticle{T: t, P: v}, Unlisted: unlisted}
		desc := v.Excerpt
		if desc == "" {
			desc = v.Written
		}
		p.Meta = s.pageMeta(c, t, v.Title, excerpt(desc, 200), "/letters/"+e.Post.Slug)
		p.Meta.Type = "article"
		p.Meta.NoIndex = unlisted
		return p
	}
	slot, cached := s.memorySlot(c, "post", "/letters/"+url.PathEscape(e.Post.Slug), false)
	if !cached {
		return s.render(c, fiber.StatusOK, "post", draw())
	}
	return s.sendCached(c, slot, key, "post", func() (*Page, any, error) {
		p := draw()
		return &p.Page, p, nil
	})
}

// postScan serves a scan that a post visitors may read shows. A scan's
// address is the hash of its bytes, which never change, yet the right to
// show them can: a post is withdrawn when its consent is. So no shared
// cache may keep a scan (private), and a browser keeps it an hour, then
// asks again with its ETag, which costs a 304 while it is still shown and
// gets a 404 once it is not.
func (s *Server) postScan(c *fiber.Ctx) error {
	id := c.Params("scan")
	if !s.deps.Posts.Posts().ScanShown(id, s.cfg.Now()) {
		return fiber.ErrNotFound
	}
	return s.sendScan(c, id, scanCache)
}

// scanCache is the caching of a public scan (see postScan).
const scanCache = "private, max-age=3600"

// sendScan sends the stored scan id with the given caching.
func (s *Server) sendScan(c *fiber.Ctx, id, cache string) error {
	etag := `"` + id + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, cache)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	jpeg, err := s.deps.Posts.ScanJPEG(c.UserContext(), id)
	if err != nil {
		return postError(err)
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	return c.Send(jpeg)
}

// postError maps a post or scan that is not there to 404.
func postError(err error) error {
	if isNotFound(err) {
		return fiber.ErrNotFound
	}
	return err
}

func isNotFound(err error) bool {
	return errors.Is(err, posts.ErrNotFound) || errors.Is(err, campaign.ErrNotFound)
}
