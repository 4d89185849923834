package web

import (
	"net/url"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// TimelineItem is one line of a campaign's public timeline: what
// happened to its letter, in the reader's language.
type TimelineItem struct {
	Kind string // a delivery.Kind, or "closed"
	ISO  string // the day, for <time datetime>
	Text string
	// Note is the organizer's public note, or why letters came back.
	Note string
	// Href links the post that holds a reply, when one is published.
	Href string
	// Recipient names whom a drive's event is about.
	Recipient string
}

// timeline lays out what happened to camp's letter: the close of signing,
// then the public delivery events, oldest first.
func (s *Server) timeline(t *i18n.Localizer, camp *campaign.Campaign, r *campaign.Recipient) []TimelineItem {
	var out []TimelineItem
	loc := camp.Location()
	if camp.Status(s.cfg.Now()) == campaign.StatusClosed {
		closes := camp.ClosesAt.In(loc)
		out = append(out, TimelineItem{Kind: "closed", ISO: closes.Format(time.DateOnly), Text: t.T("delivery.tl.closed", "Date", t.Date(closes))})
	}
	if s.deps.Delivery == nil {
		return out
	}
	events, _ := s.deps.Delivery.Timeline(camp.ID)
	name := ""
	if r != nil {
		name = r.Name
	}
	set := s.deps.Signing.Campaigns()
	for _, e := range events {
		if !camp.IsDrive() {
			out = append(out, s.timelineItem(t, e, name))
			continue
		}
		// A drive's event is about one of its recipients, named as the
		// drive's page names them; one about a recipient kept off public
		// lists stays in the console.
		rr, ok := set.Recipient(e.Recipient)
		if !ok || !set.RecipientListed(e.Recipient) || !camp.WritesTo(e.Recipient) {
			continue
		}
		it := s.timelineItem(t, e, rr.Name)
		it.Recipient = rr.Name
		out = append(out, it)
	}
	return out
}

// timelineItem words one public event.
func (s *Server) timelineItem(t *i18n.Localizer, e delivery.Public, name string) TimelineItem {
	date := t.Date(e.Date)
	it := TimelineItem{Kind: string(e.Kind), ISO: e.Day, Note: e.Note}
	switch e.Kind {
	case delivery.KindBuilt:
		it.Text = t.N("delivery.tl.built", int64(e.Signatures), "Date", date)
	case delivery.KindPosted:
		it.Text = t.N("delivery.tl.posted", int64(e.Envelopes), "Date", date, "Method", t.T("delivery.method."+string(e.Method)))
	case delivery.KindReturned:
		it.Text = t.T("delivery.tl.returned", "Date", date)
		if e.Reason != "" {
			it.Note = joinNote(t.T("delivery.tl.reason", "Reason", e.Reason), e.Note)
		}
	case delivery.KindConfirmed:
		it.Text = t.T("delivery.tl.confirmed", "Date", date, "Name", name)
	case delivery.KindReply:
		it.Text = t.T("delivery.tl.reply", "Date", date)
		if slug := s.replyPost(e.Post); slug != "" {
			it.Href = "/letters/" + url.PathEscape(slug)
		}
	default: // delivered, blocked
		it.Text = t.T("delivery.tl."+string(e.Kind), "Date", date)
	}
	return it
}

// replyPost returns the slug a reply names when public pages may name it:
// the post is published now and listed. A draft's, a scheduled post's or
// an unlisted post's slug would tell readers what is not public yet, or
// lead them to what the prisoner's family asked to keep off lists. A post
// about an unlisted recipient is unlisted too, as the letters' lists and
// its own page treat it.
func (s *Server) replyPost(slug string) string {
	if slug == "" || s.deps.Posts == nil {
		return ""
	}
	p, ok := s.deps.Posts.Published(slug)
	if !ok || p.Unlisted || !s.deps.Signing.Campaigns().RecipientListed(p.RecipientID) {
		return ""
	}
	return p.Slug // its current one, should it have changed since
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// recipientStatus words the recipient's situation as it stands today in
// camp's time zone, or "" when nothing was recorded.
func (s *Server) recipientStatus(t *i18n.Localizer, camp *campaign.Campaign, r *campaign.Recipient) string {
	if r == nil {
		return ""
	}
	ch, ok := r.StatusOn(s.cfg.Now().In(camp.Location()).Format(time.DateOnly))
	if !ok {
		return ""
	}
	return t.T("delivery.status."+string(ch.Situation), "Name", r.Name, "Date", t.Date(ch.Date()))
}

// deliveryGen is what the campaign pages' cache keys need to know of the
// timeline: it changes when any public event or published post does, and
// when a scheduled post goes live.
func (s *Server) deliveryGen() uint64 {
	var g uint64
	if s.deps.Delivery != nil {
		g = s.deps.Delivery.Gen()
	}
	if s.deps.Posts != nil {
		set := s.deps.Posts.Posts()
		g ^= set.Gen<<32 ^ uint64(set.LastStart(s.cfg.Now()).UnixMilli())*0x9E3779B97F4A7C15
	}
	return g
}

// localDay is today's date in camp's time zone, as a number (20270601),
// for cache keys: what a campaign page shows of today (its status, the
// recipient's) changes at the zone's midnight, not UTC's.
func (s *Server) localDay(camp *campaign.Campaign) uint64 {
	loc, ok := s.zones.Load(camp.TimeZone)
	if !ok {
		// time.LoadLocation parses the zone's file on every call.
		loc, _ = s.zones.LoadOrStore(camp.TimeZone, camp.Location())
	}
	return dayNumber(s.cfg.Now().In(loc.(*time.Location)))
}

// dayNumber is t's date as a number (20270601), for cache keys.
func dayNumber(t time.Time) uint64 {
	y, m, d := t.Date()
	return uint64(y)*10000 + uint64(m)*100 + uint64(d)
}
