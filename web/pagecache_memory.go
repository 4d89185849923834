package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The letters' pages (/letters, its pages, the tag pages, each post) and
// the recipients' pages (/r/{slug}) come from the page cache too, as the
// campaign page does: they hold no form token and no ref, so a cached page
// is sent as drawn. Their key (memoryPageKey) sums up all they are drawn
// from, so that a change shows on the next request: the campaign set
// (recipients, their status, campaign titles), the posts' set and the
// last time a scheduled post went public, the last time a campaign opened
// or closed, the delivery timeline, the organisation profile, and the day.
// The slot names the language, so a reader who changes it gets the page
// in the new one.

// memorySlot names the cache slot of a page drawn from memory, and false
// when the request is not to come from the cache: its query holds more
// than ?lang= and, when paged, one ?page= of a few digits; or its path is
// not written as canonical is (a tag in other letters, say), which would
// fill the cache with copies of one page.
func (s *Server) memorySlot(c *fiber.Ctx, name, canonical string, paged bool) (string, bool) {
	if c.Path() != canonical {
		return "", false
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return "", false
	}
	page := ""
	for k, vs := range q {
		switch {
		case k == "lang":
		case k == "page" && paged && len(vs) == 1 && smallNumber(vs[0]):
			page = vs[0]
		default:
			return "", false
		}
	}
	t := s.localizer(c)
	return strings.Join([]string{name, canonical, page, t.Tag().String(), s.baseURL(c)}, "\x00"), true
}

// smallNumber reports whether v is one to four digits.
func smallNumber(v string) bool {
	if v == "" || len(v) > 4 {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// memoryPageKey sums up what a letters' or recipient's page is drawn
// from (see above); extra are what a page shows besides.
func (s *Server) memoryPageKey(set *campaign.CampaignSet, extra ...uint64) pageState {
	now := s.cfg.Now()
	var profile int64
	if p, ok := s.deps.Site.Profile(); ok {
		profile = p.Version
	}
	parts := append([]uint64{set.Gen, uint64(profile), s.deliveryGen(), uint64(campaignsChanged(set, now).UnixMilli())}, extra...)
	return pageState{content: cacheKey(parts...)}
}

// campaignsChanged is the latest time at or before now at which one of
// the set's campaigns opened or closed: what pages show of a campaign
// (whether to link it, open or closed) changes then, and the set's Gen
// does not.
func campaignsChanged(set *campaign.CampaignSet, now time.Time) time.Time {
	var last time.Time
	for i := range set.All {
		for _, t := range []time.Time{set.All[i].OpensAt, set.All[i].ClosesAt} {
			if t.After(last) && !t.After(now) {
				last = t
			}
		}
	}
	return last
}

// sendCached sends the page of slot drawn from key, from the cache, or
// draws it as template name with draw, keeps it and sends it.
func (s *Server) sendCached(c *fiber.Ctx, slot string, key pageState, name string, draw func() (*Page, any, error)) error {
	if pg, ok := s.pages.get(slot, key); ok {
		return s.sendPage(c, pg, "", "")
	}
	page, data, err := draw()
	if err != nil {
		return err
	}
	body, err := s.drawPage(name, page, "", data)
	if err != nil {
		return err
	}
	pg, err := s.pages.put(slot, key, body)
	if err != nil {
		return err
	}
	return s.sendPage(c, pg, "", "")
}
