package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// PrivacyPage says what a signature stores, why, for how long, who sees
// it and how to erase it, with this installation's settings.
type PrivacyPage struct {
	Page
	// PostedDays and UnpostedDays are the retention job's settings.
	PostedDays, UnpostedDays int64
}

// retentionDays are the retention job's settings in days
// (SOLIDARITY_RETENTION_DAYS and SOLIDARITY_RETENTION_UNPOSTED_DAYS).
func (s *Server) retentionDays() (posted, unposted int64) {
	const day = 24 * time.Hour
	return int64(s.deps.Retention.PostedAfter / day), int64(s.deps.Retention.UnpostedAfter / day)
}

func (s *Server) privacy(c *fiber.Ctx) error {
	t := s.localizer(c)
	p := PrivacyPage{Page: s.page(c, t.T("privacy.title"))}
	p.PostedDays, p.UnpostedDays = s.retentionDays()
	return s.render(c, fiber.StatusOK, "privacy", p)
}
