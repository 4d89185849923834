package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// DashboardPage is the console's start page: every campaign at a glance.
type DashboardPage struct {
	AdminPage
	Campaigns   []DashboardRow
	CanManage   bool
	CanModerate bool
	// Organisation asks admins to fill in the organisation profile: "none"
	// when there is none, "demo" while it is the demo's, else empty.
	Organisation string
	// Backup shows admins the scheduled backups; nil: nothing to show.
	Backup *BackupPanel
}

// DashboardRow is one campaign on the dashboard.
type DashboardRow struct {
	ID, Slug, Title string
	Status          campaign.Status
	Count, Pending  int64
	// Names counts the held names and cities waiting for a moderator.
	Names  int64
	Closes string
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := s.deps.Signing.All(ctx)
	if err != nil {
		return err
	}
	pending, err := s.deps.Moderation.PendingCounts(ctx)
	if err != nil {
		return err
	}
	names, err := s.deps.Moderation.PendingNameCounts(ctx)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	u := currentUser(c)
	p := DashboardPage{
		AdminPage:   s.adminPage(c, t.T("admin.dashboard.title")),
		CanManage:   organizers.allows(u),
		CanModerate: moderators.allows(u),
	}
	if u.Role == account.RoleAdmin {
		p.Organisation = organisationNotice(s.deps.Site)
		p.Backup = s.backupPanel(ctx, t)
	}
	now := s.cfg.Now()
	for _, camp := range all {
		if camp.Archived() {
			continue // the campaigns page lists them
		}
		p.Campaigns = append(p.Campaigns, DashboardRow{
			ID: camp.ID, Slug: camp.Slug, Title: camp.Title, Status: camp.Status(now),
			Count: s.deps.Signing.Count(camp.ID), Pending: pending[camp.ID], Names: names[camp.ID],
			Closes: t.DateTime(camp.ClosesAt.In(camp.Location())),
		})
	}
	return s.render(c, fiber.StatusOK, "admin/dashboard", p)
}
