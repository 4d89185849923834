package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// PreparingPage stands in for a campaign's signature list or statistics
// while the index they read is built after a start (campaign.PreparingError):
// it says so, with how far the build is, and reloads itself.
type PreparingPage struct {
	AdminPage
	CampaignHeader
	Percent int64
	// Refresh is the seconds between reloads.
	Refresh int
}

// preparingRefresh is how often the page reloads, in seconds.
const preparingRefresh = 3

// preparing renders the page for err when it is a *campaign.PreparingError,
// and reports whether it did; page is the sub-page asked for ("/signatures"
// or "/stats") and title its title.
func (s *Server) preparing(c *fiber.Ctx, camp *campaign.Campaign, page, title string, err error) (bool, error) {
	var prep *campaign.PreparingError
	if !errors.As(err, &prep) {
		return false, nil
	}
	p := PreparingPage{
		AdminPage:      s.adminPage(c, title),
		CampaignHeader: s.campaignHeader(c, camp, page),
		Percent:        int64(prep.Percent()),
		Refresh:        preparingRefresh,
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return true, s.render(c, fiber.StatusOK, "admin/preparing", p)
}
