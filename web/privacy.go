package web

import (
	"github.com/gofiber/fiber/v2"
)

// Default retention, in days, when Config leaves it unset; the settings
// SOLIDARITY_RETENTION_DAYS and SOLIDARITY_RETENTION_UNPOSTED_DAYS change
// it (internal/config).
const (
	DefaultRetentionDays         = 30
	DefaultRetentionUnpostedDays = 90
)

// PrivacyPage says what a signature stores, why, for how long, who sees
// it and how to erase it, with this installation's settings.
type PrivacyPage struct {
	Page
	// PostedDays and UnpostedDays are the retention settings.
	PostedDays, UnpostedDays int64
}

func (s *Server) privacy(c *fiber.Ctx) error {
	t := s.localizer(c)
	p := PrivacyPage{
		Page:       s.page(c, t.T("privacy.title")),
		PostedDays: int64(s.cfg.RetentionDays), UnpostedDays: int64(s.cfg.RetentionUnpostedDays),
	}
	return s.render(c, fiber.StatusOK, "privacy", p)
}
