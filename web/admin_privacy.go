package web

import (
	"github.com/gofiber/fiber/v2"
)

// RetentionPage shows, for organizers, what the retention job's next
// runs will remove and when (campaign.Retention).
type RetentionPage struct {
	AdminPage
	PostedDays, UnpostedDays int64
	Rows                     []RetentionRow
}

// RetentionRow is one closed campaign the job has not trimmed yet.
type RetentionRow struct {
	Title, Base string
	// Due is when, in the console's time format; Overdue when the next
	// run (within the hour) will do it.
	Due     string
	Overdue bool
	Posted  bool
	// Addresses is how many stored addresses it will delete.
	Addresses int64
}

func (s *Server) retentionPage(c *fiber.Ctx) error {
	t := s.localizer(c)
	now := s.cfg.Now()
	plan, err := s.deps.Retention.Plan(c.UserContext(), now)
	if err != nil {
		return err
	}
	p := RetentionPage{AdminPage: s.adminPage(c, t.T("admin.retention.title"))}
	p.PostedDays, p.UnpostedDays = s.retentionDays()
	for _, pl := range plan {
		p.Rows = append(p.Rows, RetentionRow{
			Title: pl.Campaign.Title, Base: "/admin/campaigns/" + pl.Campaign.ID,
			Due: pl.Due.UTC().Format(consoleTime), Overdue: !now.Before(pl.Due), Posted: pl.Posted,
			Addresses: int64(pl.Addresses),
		})
	}
	return s.render(c, fiber.StatusOK, "admin/retention", p)
}
