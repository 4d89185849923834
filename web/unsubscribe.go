package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// UnsubscribePage asks whether to stop a signature's updates, or says
// that they stopped, or that the link does not work.
type UnsubscribePage struct {
	Page
	// Action is where the button posts: the link itself.
	Action  string
	Done    bool
	Unknown bool
}

// unsubscribeForm shows the button that stops the updates. It changes
// nothing: mail scanners follow the links in messages.
func (s *Server) unsubscribeForm(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	t := s.localizer(c)
	token := c.Params("token")
	p := UnsubscribePage{Page: s.page(c, t.T("updates.page.title")), Action: "/u/" + url.PathEscape(token)}
	p.Meta.NoIndex = true
	status := fiber.StatusOK
	if _, ok := s.deps.Updates.Tokens().CheckUnsubscribe(token); !ok {
		p.Unknown, status = true, fiber.StatusNotFound
	}
	return s.render(c, status, "unsubscribe", p)
}

// unsubscribe stops the updates of the token's signature at once and
// erases its stored address: the one-click POST of RFC 8058 that mail
// clients send (no session, no form token, from anywhere), and the
// page's button.
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	secretLinkHeaders(c)
	t := s.localizer(c)
	p := UnsubscribePage{Page: s.page(c, t.T("updates.page.title"))}
	p.Meta.NoIndex = true
	id, ok := s.deps.Updates.Tokens().CheckUnsubscribe(c.Params("token"))
	if !ok {
		p.Unknown = true
		return s.render(c, fiber.StatusNotFound, "unsubscribe", p)
	}
	// An erased signature has nothing left to stop: the same answer.
	if _, err := s.deps.Signing.Unsubscribe(c.UserContext(), id); err != nil {
		return err
	}
	p.Done = true
	return s.render(c, fiber.StatusOK, "unsubscribe", p)
}
