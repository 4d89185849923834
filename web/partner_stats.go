package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The page behind a partner's secret stats link: what the partner's
// supporters signed, and nothing about who they are.

// PartnerStatsPage is what a partner's secret stats link shows: its own
// numbers, no names.
type PartnerStatsPage struct {
	Page
	Partner string
	Stats   []campaign.PartnerStats
	Total   int64
	AsOf    string
}

// partnerStatsPage answers a partner's secret stats link; an unknown or
// withdrawn link is 404.
func (s *Server) partnerStatsPage(c *fiber.Ctx) error {
	// The secret is in the address: it must not leak to other sites, nor
	// into caches.
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set("X-Robots-Tag", "noindex")
	ctx := c.UserContext()
	pa, err := s.deps.Partners.ByStatsToken(ctx, c.Params("token"))
	if err != nil {
		return err
	}
	stats, at, err := s.deps.Partners.Stats(ctx, []campaign.Partner{*pa})
	if err != nil {
		return err
	}
	t := s.localizer(c)
	p := PartnerStatsPage{Page: s.page(c, t.T("partners.public.title", "Name", pa.Name)), Partner: pa.Name,
		Stats: stats[pa.Ref], AsOf: t.DateTime(at.In(time.UTC))}
	for _, st := range p.Stats {
		p.Total += st.Total
	}
	return s.render(c, fiber.StatusOK, "partner_stats", p)
}
