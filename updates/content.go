package updates

import (
	"net/url"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/mail"
)

// content writes a notice of items about c in the language tag, without
// the links that name the supporter (enqueue adds them).
func (n *Notifier) content(c *campaign.Campaign, tag language.Tag, items []item) mail.Content {
	l := n.messages.Localizer(tag)
	title := c.Title
	if t, ok := c.TextIn(tag.String()); ok && t.Title != "" {
		title = t.Title
	}
	paragraphs := []string{l.T("updates.mail.intro", "Campaign", title)}
	for _, it := range items {
		switch {
		case it.event != nil:
			e := it.event
			paragraphs = append(paragraphs, l.T("updates.mail.event", "Day", l.Date(e.Date()), "What", l.T("delivery.kind."+string(e.Kind))))
			for _, s := range []string{e.Reason, e.PublicNote} {
				if s != "" {
					paragraphs = append(paragraphs, s)
				}
			}
		case it.post != nil:
			p := it.post
			t, _ := p.TextIn(tag.String())
			paragraphs = append(paragraphs, l.T("updates.mail.post", "Title", t.Title),
				n.opts.BaseURL+"/letters/"+url.PathEscape(p.Slug))
		}
	}
	return mail.Content{
		Subject:    l.T("updates.mail.subject", "Campaign", title),
		Paragraphs: paragraphs,
		Action:     &mail.Link{Label: l.T("updates.mail.page"), URL: n.opts.BaseURL + "/c/" + url.PathEscape(c.Slug)},
		Reason:     l.T("updates.mail.reason"),
	}
}
