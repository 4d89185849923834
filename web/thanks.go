package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// ThanksPage thanks a supporter and offers to share the campaign.
type ThanksPage struct {
	Page
	C   CampaignView
	URL string
	// Another leads a drive's supporter to write another card.
	Another string
	Shares  []ShareLink
	// CheckEmail asks the supporter to confirm by the message sent,
	// whether or not one was (campaign/pending.go).
	CheckEmail bool
	// Erasure is the signature's erasure code and link, shown once after
	// signing; nil on later visits.
	Erasure *ErasureOffer
}

// ShareLink is a plain link to share the campaign; no script of the
// service it leads to runs on our pages.
type ShareLink struct {
	Name string
	Href string
}

// thanks answers /c/{slug}/thanks, where a sign form leads: on a campaign
// that asks for confirmation, it asks to check the mail.
func (s *Server) thanks(c *fiber.Ctx) error { return s.thanksPage(c, true) }

// confirmed answers /c/{slug}/confirmed, where a confirmation leads.
func (s *Server) confirmed(c *fiber.Ctx) error { return s.thanksPage(c, false) }

func (s *Server) thanksPage(c *fiber.Ctx, signed bool) error {
	camp, err := s.publicCampaign(c)
	if err != nil {
		return err
	}
	v, err := s.campaignView(c, camp)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	link := s.baseURL(c) + "/c/" + url.PathEscape(camp.Slug)
	text := v.Share
	if text == "" {
		text = t.T("share.text", "Title", v.Title)
	}
	q := url.QueryEscape
	p := ThanksPage{
		Page: s.page(c, t.T("thanks.title")),
		C:    v,
		URL:  link,
		Shares: []ShareLink{
			{t.T("share.email"), "mailto:?subject=" + mailtoEscape(v.Title) + "&body=" + mailtoEscape(text+"\n\n"+link)},
			{"Telegram", "https://t.me/share/url?url=" + q(link) + "&text=" + q(text)},
			{"WhatsApp", "https://wa.me/?text=" + q(text+" "+link)},
			{"Facebook", "https://www.facebook.com/sharer/sharer.php?u=" + q(link)},
			{"Bluesky", "https://bsky.app/intent/compose?text=" + q(text+" "+link)},
			{"X", "https://x.com/intent/post?text=" + q(text) + "&url=" + q(link)},
		},
		CheckEmail: signed && camp.ConfirmEmail,
	}
	// A thanks page describes its campaign, whose page is its canonical
	// address: a supporter who shares the address they are on shares the
	// campaign, and search engines show the campaign's page.
	p.Meta = s.pageMeta(c, t, v.Title, campaignDescription(t, v), "/c/"+url.PathEscape(camp.Slug))
	// An unlisted campaign, or one to an unlisted recipient, is reachable
	// by its link only: search engines leave it out.
	p.Meta.NoIndex = !s.deps.Signing.Campaigns().CampaignListed(camp)
	p.Erasure = s.takeErasureCode(c, camp)
	if camp.IsDrive() && v.Open {
		p.Another = "/c/" + url.PathEscape(camp.Slug)
		if more := c.Query("more"); s.openSkip(more) != nil {
			p.Another += "?skip=" + url.QueryEscape(more)
		}
		p.Another += "#drive"
	}
	return s.render(c, fiber.StatusOK, "thanks", p)
}
