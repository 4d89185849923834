package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/campaign"
)

// RetentionPage shows, for organizers, what the retention job's next
// runs will remove and when (campaign.Retention).
type RetentionPage struct {
	AdminPage
	PostedDays, UnpostedDays int64
	Rows                     []RetentionRow
}

// RetentionRow is one campaign whose next retention pass is not done.
type RetentionRow struct {
	Title, Base string
	// Due is when, in the console's time format; Overdue when the next
	// run (within the hour) will do it.
	Due     string
	Overdue bool
	Posted  bool
	// Open is true when the campaign is open: the pass trims only the
	// signatures made before its letters were posted.
	Open bool
	// Removed lists what a run now would remove, kind by kind (those
	// with any).
	Removed []RetentionCount
}

// RetentionCount is how many of one kind of data a run would remove:
// Label is its text's key.
type RetentionCount struct {
	Label string
	N     int64
}

// retentionCounts lists the kinds of r that are not zero, in the order
// the console shows them.
func retentionCounts(r campaign.Removed) []RetentionCount {
	var out []RetentionCount
	for _, k := range []struct {
		label string
		n     int
	}{
		{"admin.retention.kind.signatures", r.Signatures},
		{"admin.retention.kind.addresses", r.Addresses},
		{"admin.retention.kind.domains", r.Domains},
		{"admin.retention.kind.networks", r.Networks},
		{"admin.retention.kind.keys", r.Keys},
		{"admin.retention.kind.marks", r.Marks},
		{"admin.retention.kind.consents", r.Consents},
		{"admin.retention.kind.updates", r.Updates},
		{"admin.retention.kind.names", r.Names},
		{"admin.retention.kind.initials", r.Initials},
		{"admin.retention.kind.greetings", r.Greetings},
	} {
		if k.n > 0 {
			out = append(out, RetentionCount{Label: k.label, N: int64(k.n)})
		}
	}
	return out
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
			Due: pl.Due.UTC().Format(consoleTime), Overdue: !now.Before(pl.Due), Posted: pl.Posted, Open: pl.Open,
			Removed: retentionCounts(pl.Removed),
		})
	}
	return s.render(c, fiber.StatusOK, "admin/retention", p)
}
