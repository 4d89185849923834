package web

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The confirmation of a signature (campaign/pending.go). The link's path
// carries its secret, so its pages are never cached, never indexed and
// send no Referer; the page only shows a button, since mail scanners open
// links, and only the POST of that button confirms.

// ConfirmPage asks a supporter to confirm their signature, or says why the
// link no longer works.
type ConfirmPage struct {
	Page
	// State is "ask" (the button), "invalid" (expired, used or unknown)
	// or "closed" (the campaign closed before the confirmation).
	State string
	// Campaign is the campaign's title in the reader's language, Lang
	// its language; Slug links to its page.
	Campaign, Lang, Slug string
	// Action is the form's address: the link itself.
	Action string
	Token  string
	Notice string
}

// confirmPurpose is what a confirmation form's token is issued for.
func confirmPurpose(id string) string { return "confirm:" + id }

// confirmForm answers GET /confirm/{id}.{secret}: the page with the button,
// which changes nothing.
func (s *Server) confirmForm(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	id, secret, ok := campaign.SplitConfirmCode(c.Params("code"))
	if !ok {
		return s.renderConfirm(c, fiber.StatusNotFound, "invalid", nil, "", "")
	}
	camp, err := s.deps.Signing.PendingCampaign(c.UserContext(), id, secret)
	switch {
	case errors.Is(err, campaign.ErrExpired):
		return s.renderConfirm(c, fiber.StatusGone, "invalid", nil, "", "")
	case err != nil:
		return err
	}
	if camp.Status(s.cfg.Now()) == campaign.StatusClosed {
		return s.renderConfirm(c, fiber.StatusGone, "closed", camp, "", "")
	}
	return s.renderConfirm(c, fiber.StatusOK, "ask", camp, s.tokens.issue(confirmPurpose(id)), "")
}

// confirm answers the POST of the confirmation page: it stores the
// signature and sends the supporter to the thanks page.
func (s *Server) confirm(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	id, secret, ok := campaign.SplitConfirmCode(c.Params("code"))
	if !ok {
		return s.renderConfirm(c, fiber.StatusNotFound, "invalid", nil, "", "")
	}
	if _, err := s.tokens.check(formValue(c, "token"), confirmPurpose(id)); err != nil {
		camp, err := s.deps.Signing.PendingCampaign(c.UserContext(), id, secret)
		switch {
		case errors.Is(err, campaign.ErrExpired):
			return s.renderConfirm(c, fiber.StatusGone, "invalid", nil, "", "")
		case err != nil:
			return err
		}
		return s.renderConfirm(c, fiber.StatusForbidden, "ask", camp, s.tokens.issue(confirmPurpose(id)), s.localizer(c).T("optin.confirm.token_invalid"))
	}
	camp, receipt, err := s.deps.Signing.ConfirmPending(c.UserContext(), id, secret)
	switch {
	case errors.Is(err, campaign.ErrExpired):
		return s.renderConfirm(c, fiber.StatusGone, "invalid", nil, "", "")
	case errors.Is(err, campaign.ErrClosed), errors.Is(err, campaign.ErrNotOpen):
		return s.renderConfirm(c, fiber.StatusGone, "closed", camp, "", "")
	case err != nil:
		return err
	}
	confirmed := "/c/" + url.PathEscape(camp.Slug) + "/confirmed"
	s.setErasureCode(c, camp, receipt, confirmed)
	return c.Redirect(confirmed, fiber.StatusSeeOther)
}

// renderConfirm draws the confirmation page in state; camp is nil for a
// link that does not work.
func (s *Server) renderConfirm(c *fiber.Ctx, status int, state string, camp *campaign.Campaign, token, notice string) error {
	t := s.localizer(c)
	title := t.T("optin.confirm.title")
	if state != "ask" {
		title = t.T("optin.invalid.title")
	}
	p := ConfirmPage{Page: s.page(c, title), State: state, Token: token, Notice: notice, Action: c.Path()}
	p.Meta.NoIndex = true
	if camp != nil {
		text, _ := camp.TextIn(t.Tag().String())
		p.Campaign, p.Lang, p.Slug = text.Title, text.Lang, camp.Slug
	}
	return s.render(c, status, "confirm", p)
}
