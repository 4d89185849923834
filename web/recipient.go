package web

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// A recipient's public page, /r/{slug}: who they are, since when they are
// detained, their sentence and situation, how to write to them, their
// campaigns and the letters and news about them; and the Atom feed of
// those posts. Everything comes from memory (the campaign set and the
// posts' set): no request waits on the database.
//
// A recipient has a page once visitors may see something about them: a
// campaign that opened, or a post that is public. Until then their name
// stays in the console.

// RecipientPage is a recipient's public page.
type RecipientPage struct {
	Page
	Name, Story string
	// Detained is "Detained since 14 July 2021", DetainedISO the day.
	Detained, DetainedISO string
	Sentence              string
	// Status is their situation today, said plainly ("Released on 3 March
	// 2027"); "" when nothing was recorded.
	Status string
	// Reachable is false when letters do not reach them now (released,
	// incommunicado, deceased): the page gives no address then.
	Reachable     bool
	Address       []string
	LanguageRules string
	// Languages names the languages letters reach them in, in the
	// reader's language.
	Languages string
	Open      []RecipientCampaign
	Closed    []RecipientCampaign
	// Posts are the newest posts about them, a page at a time; Newer and
	// Older link the neighbouring pages, "" at the ends.
	Posts        []PostArticle
	Newer, Older string
	// Feed is the feed of their posts; "" when they are unlisted.
	Feed string
}

// RecipientCampaign is a campaign in a recipient's page: its title and
// where it stands, and for a closed one the last line of its timeline.
type RecipientCampaign struct {
	Slug, Title, Lang, State, Latest string
}

// publicRecipient finds the recipient the path names, if visitors may see
// their page now. For an old slug it sends a redirect to the current one
// and returns no recipient: callers return the error then (nil once the
// redirect is sent).
func (s *Server) publicRecipient(c *fiber.Ctx) (*campaign.Recipient, error) {
	r, err := s.deps.Signing.Campaigns().PublicRecipient(c.Params("slug"))
	var moved *campaign.RecipientMovedError
	if errors.As(err, &moved) {
		to := "/r/" + url.PathEscape(moved.To) + strings.TrimPrefix(c.Path(), "/r/"+moved.From)
		if q := string(c.Request().URI().QueryString()); q != "" {
			to += "?" + q
		}
		return nil, c.Redirect(to, fiber.StatusMovedPermanently)
	}
	if err != nil || !s.recipientShown(r) {
		return nil, fiber.ErrNotFound
	}
	return r, nil
}

// recipientShown reports whether visitors may see r's page now: a campaign
// to them is public, or a post about them is.
func (s *Server) recipientShown(r *campaign.Recipient) bool {
	now := s.cfg.Now()
	set := s.deps.Signing.Campaigns()
	for i := range set.All {
		if c := &set.All[i]; c.WritesTo(r.ID) && c.Public(now) {
			return true
		}
	}
	return slices.ContainsFunc(s.deps.Posts.Posts().Listed(now, ""), func(e *posts.Entry) bool { return e.Post.RecipientID == r.ID })
}

// recipientPosts returns the listed posts about r, newest first.
func (s *Server) recipientPosts(r *campaign.Recipient) []*posts.Entry {
	var out []*posts.Entry
	for _, e := range s.deps.Posts.Posts().Listed(s.cfg.Now(), "") {
		if e.Post.RecipientID == r.ID {
			out = append(out, e)
		}
	}
	return out
}

func (s *Server) recipientPage(c *fiber.Ctx) error {
	set := s.deps.Signing.Campaigns()
	r, err := s.publicRecipient(c)
	if r == nil {
		return err
	}
	// What the page shows of today (the recipient's status and address,
	// and in each campaign's timeline, in its zone) changes at midnight.
	days := []uint64{dayNumber(s.cfg.Now().UTC())}
	for i := range set.All {
		if set.All[i].RecipientID == r.ID {
			days = append(days, s.localDay(&set.All[i]))
		}
	}
	key := s.memoryPageKey(set, days...)
	listed := s.recipientPosts(r)
	page, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || page < 1 || (page-1)*postsPerPage >= max(len(listed), 1) {
		return fiber.ErrNotFound
	}
	path := "/r/" + url.PathEscape(r.Slug)
	if r.Unlisted {
		// Reachable by its link only: search engines leave it out.
		c.Set("X-Robots-Tag", "noindex")
	}
	slot, cached := s.memorySlot(c, "recipient", path, true)
	if !cached {
		return s.render(c, fiber.StatusOK, "recipient", s.recipientPageData(c, r, path, listed, page))
	}
	return s.sendCached(c, slot, key, "recipient", func() (*Page, any, error) {
		p := s.recipientPageData(c, r, path, listed, page)
		return &p.Page, p, nil
	})
}

// recipientPageData lays out r's page, at path, with page n of the listed
// posts about them.
func (s *Server) recipientPageData(c *fiber.Ctx, r *campaign.Recipient, path string, listed []*posts.Entry, page int) RecipientPage {
	t := s.localizer(c)
	today := s.cfg.Now().UTC().Format(time.DateOnly)
	p := RecipientPage{Page: s.page(c, r.Name), Name: r.Name, Story: r.Description, Sentence: r.Sentence,
		Reachable: true, LanguageRules: r.LanguageRules}
	if d := day(t, r.DetainedSince); d != "" {
		p.Detained, p.DetainedISO = t.T("recipients.page.detained_since", "Date", d), r.DetainedSince
	}
	if ch, ok := r.StatusOn(today); ok {
		p.Status = t.T("delivery.status."+string(ch.Situation), "Name", r.Name, "Date", t.Date(ch.Date()))
		p.Reachable = !ch.Unreachable()
	}
	if p.Reachable {
		p.Address = r.AddressOn(today)
		names := make([]string, 0, len(r.Languages))
		for _, code := range r.Languages {
			names = append(names, display.Tags(t.Tag()).Name(language.Make(code)))
		}
		p.Languages = strings.Join(names, ", ")
	}
	p.Open, p.Closed = s.recipientCampaigns(c, t, r)
	from, to := (page-1)*postsPerPage, min(page*postsPerPage, len(listed))
	if page > 1 {
		p.Newer = pageLink(path, page-1)
	}
	if to < len(listed) {
		p.Older = pageLink(path, page+1)
	}
	for _, e := range listed[from:to] {
		v := s.postView(c, &e.Post, e.HTML)
		v.Recipient = "" // the page is theirs: each card need not name them
		p.Posts = append(p.Posts, PostArticle{T: t, P: v})
	}
	desc := excerpt(strings.Join(paragraphs(r.Description), " "), 200)
	if desc == "" {
		desc = t.T("recipients.page.description", "Name", r.Name)
	}
	p.Meta = s.pageMeta(c, t, r.Name, desc, path)
	p.Meta.Type = "profile"
	// An unlisted recipient's page is left out by search engines, and no
	// feed names the posts about them.
	p.Meta.NoIndex = r.Unlisted
	if !r.Unlisted {
		p.Feed = path + "/feed.atom"
	}
	return p
}

// recipientCampaigns lists the listed public campaigns to r: the open ones,
// closing soonest first, then the closed ones, newest first, with the last
// line of their timeline.
func (s *Server) recipientCampaigns(c *fiber.Ctx, t *i18n.Localizer, r *campaign.Recipient) (open, closed []RecipientCampaign) {
	now := s.cfg.Now()
	set := s.deps.Signing.Campaigns()
	var mine []*campaign.Campaign
	for i := range set.All {
		if camp := &set.All[i]; camp.RecipientID == r.ID && camp.Public(now) && !camp.Unlisted {
			mine = append(mine, camp)
		}
	}
	slices.SortFunc(mine, func(a, b *campaign.Campaign) int { return a.ClosesAt.Compare(b.ClosesAt) })
	for _, camp := range mine {
		text, _ := camp.TextIn(t.Lang())
		rc := RecipientCampaign{Slug: camp.Slug, Title: text.Title, Lang: text.Lang}
		closes := t.Date(camp.ClosesAt.In(camp.Location()))
		if camp.Status(now) == campaign.StatusOpen {
			rc.State = t.T("campaign.deadline", "Date", closes)
			open = append(open, rc)
			continue
		}
		rc.State = t.T("campaign.closed_short", "Date", closes)
		if items := s.timeline(t, camp, r); len(items) > 0 && items[len(items)-1].Kind != "closed" {
			rc.Latest = items[len(items)-1].Text
		}
		closed = append([]RecipientCampaign{rc}, closed...)
	}
	return open, closed
}

// recipientFeed is the Atom feed of the listed posts about a listed
// recipient.
func (s *Server) recipientFeed(c *fiber.Ctx) error {
	r, err := s.publicRecipient(c)
	if r == nil {
		return err
	}
	if r.Unlisted {
		return fiber.ErrNotFound
	}
	t := s.deps.Messages.Localizer(s.deps.Messages.Languages()[0])
	return s.writeFeed(c, "/r/"+url.PathEscape(r.Slug), t.T("recipients.feed.title", "Name", r.Name), s.recipientPosts(r))
}
