package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Console is what the console needs of the campaign service.
type Console interface {
	All(ctx context.Context) ([]campaign.Campaign, error)
	Count(campaignID string) int64
}

// DashboardPage is the console's start page: every campaign at a glance.
type DashboardPage struct {
	AdminPage
	Campaigns   []DashboardRow
	CanManage   bool
	CanModerate bool
}

// DashboardRow is one campaign on the dashboard.
type DashboardRow struct {
	ID, Slug, Title string
	Status          campaign.Status
	Count, Pending  int64
	Closes          string
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := s.deps.Console.All(ctx)
	if err != nil {
		return err
	}
	counts, err := s.deps.Moderation.CountByStatus(ctx)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	u := currentUser(c)
	p := DashboardPage{
		AdminPage:   s.adminPage(c, t.T("admin.dashboard.title")),
		CanManage:   roleIn(u, organizers),
		CanModerate: roleIn(u, moderators),
	}
	now := s.cfg.Now()
	for _, camp := range all {
		p.Campaigns = append(p.Campaigns, DashboardRow{
			ID: camp.ID, Slug: camp.Slug, Title: camp.Title, Status: camp.Status(now),
			Count: s.deps.Console.Count(camp.ID), Pending: counts[camp.ID]["pending"],
			Closes: t.DateTime(camp.ClosesAt.In(camp.Location())),
		})
	}
	return s.render(c, fiber.StatusOK, "admin/dashboard", p)
}
