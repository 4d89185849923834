package web

import (
	"github.com/gofiber/fiber/v2"
)

// ContactPage says who runs the site, how to reach them, what a signature
// stores and how to have it erased. The profile is the Page's Org.
type ContactPage struct {
	Page
}

func (s *Server) contact(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "contact", ContactPage{Page: s.page(c, s.localizer(c).T("contact.title"))})
}
