package web

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The bursts page: a campaign's recent signatures grouped by minute,
// network hash, email domain or partner (campaign/bursts.go), with how
// many of each group are marked and why, and a button to invalidate a
// group in bulk, or restore it, after a confirmation that gives the count.
// Only organizers see it: it shows email domains.

// burstSpans are the time ranges the page offers, in hours.
var burstSpans = []int{1, 24, 24 * 7}

// defaultBurstSpan is the range shown first, in hours.
const defaultBurstSpan = 24

// burstKindLabels and markLabels name the groupings and marks.
var (
	burstKindLabels = map[campaign.BurstKind]string{
		campaign.BurstMinute:  "abuse2.bursts.by.minute",
		campaign.BurstNetwork: "abuse2.bursts.by.network",
		campaign.BurstDomain:  "abuse2.bursts.by.domain",
		campaign.BurstPartner: "abuse2.bursts.by.partner",
	}
	markLabels = map[campaign.Mark]string{
		campaign.MarkCampaignRate: "abuse2.mark.campaign_rate",
		campaign.MarkNetworkBusy:  "abuse2.mark.network_busy",
		campaign.MarkNetworkShare: "abuse2.mark.network_share",
		campaign.MarkFast:         "abuse2.mark.fast",
	}
	burstSpanLabels = map[int]string{1: "abuse2.bursts.span.hour", 24: "abuse2.bursts.span.day", 24 * 7: "abuse2.bursts.span.week"}
)

// BurstsPage lists a campaign's recent groups of signatures.
type BurstsPage struct {
	AdminPage
	CampaignHeader
	Kinds, Spans []NavItem
	// Help says what the chosen grouping means.
	Help string
	Rows []BurstRow
	// Done reports the bulk change just made.
	Done string
}

// BurstRow is one group.
type BurstRow struct {
	Label                  string
	Unknown                bool
	Total, Marked, Invalid int64
	Reasons                []string
	First, Last            string
	// InvalidateHref and RestoreHref lead to the confirmations; empty when
	// there is nothing to change.
	InvalidateHref, RestoreHref string
}

// BurstChangePage confirms a bulk change.
type BurstChangePage struct {
	AdminPage
	CampaignHeader
	Row     BurstRow
	Restore bool
	// Count is how many signatures the change concerns now.
	Count      int64
	Action     string
	Fields     url.Values
	CancelHref string
}

// burstParam reads a parameter of the bursts pages: posted on a change,
// in the query string otherwise.
func burstParam(c *fiber.Ctx, name string) string {
	if c.Method() == fiber.MethodPost {
		return formValue(c, name)
	}
	return c.Query(name)
}

// burstQuery reads the grouping and the time range of a request: by and
// hours on the list, by, from and until (Unix seconds) on a change, so
// that the confirmed group is the one shown.
func (s *Server) burstQuery(c *fiber.Ctx, camp *campaign.Campaign) (campaign.BurstQuery, int) {
	q := campaign.BurstQuery{CampaignID: camp.ID, Kind: campaign.BurstKind(burstParam(c, "by"))}
	if !slices.Contains(campaign.BurstKinds(), q.Kind) {
		q.Kind = campaign.BurstMinute
	}
	from, err1 := strconv.ParseInt(burstParam(c, "from"), 10, 64)
	until, err2 := strconv.ParseInt(burstParam(c, "until"), 10, 64)
	if err1 == nil && err2 == nil && from < until {
		q.From, q.Until = time.Unix(from, 0).UTC(), time.Unix(until, 0).UTC()
		return q, 0
	}
	hours, err := strconv.Atoi(burstParam(c, "hours"))
	if err != nil || !slices.Contains(burstSpans, hours) {
		hours = defaultBurstSpan
	}
	// Until the next minute, so that the current one is whole.
	now := s.cfg.Now().UTC()
	q.Until = now.Truncate(time.Minute).Add(time.Minute)
	q.From = q.Until.Add(-time.Duration(hours) * time.Hour)
	return q, hours
}

// burstRow describes a group; fields, when not nil, are the query's for
// the links to change it.
func (s *Server) burstRow(t *i18n.Localizer, camp *campaign.Campaign, q campaign.BurstQuery, b *campaign.Burst) BurstRow {
	loc := camp.Location()
	r := BurstRow{Total: int64(b.Total), Marked: int64(b.Marked), Invalid: int64(b.Invalid), Unknown: b.Key == "",
		First: t.DateTime(b.First.In(loc)), Last: t.DateTime(b.Last.In(loc))}
	switch q.Kind {
	case campaign.BurstMinute:
		r.Label = t.DateTime(b.Minute.In(loc))
	case campaign.BurstNetwork:
		r.Label = b.Key
	case campaign.BurstDomain:
		r.Label = b.Domain
	case campaign.BurstPartner:
		r.Label = b.Partner
	}
	if r.Unknown {
		r.Label = t.T("abuse2.bursts.unknown")
	}
	for _, m := range campaign.Marks() {
		if n := b.Reasons[m]; n > 0 {
			r.Reasons = append(r.Reasons, t.T("abuse2.bursts.reason", "Reason", t.T(markLabels[m]), "Count", t.Number(int64(n))))
		}
	}
	if r.Unknown {
		return r
	}
	link := func(valid bool) string {
		v := url.Values{"by": {string(q.Kind)}, "key": {b.Key},
			"from": {strconv.FormatInt(q.From.Unix(), 10)}, "until": {strconv.FormatInt(q.Until.Unix(), 10)}}
		if valid {
			v.Set("restore", "yes")
		}
		return signaturesBase(camp) + "/bursts/change?" + v.Encode()
	}
	if b.Valid() > 0 {
		r.InvalidateHref = link(false)
	}
	if b.Restorable > 0 {
		r.RestoreHref = link(true)
	}
	return r
}

func (s *Server) burstList(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	q, hours := s.burstQuery(c, camp)
	bursts, err := s.deps.Signing.Bursts(c.UserContext(), q)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	base := signaturesBase(camp) + "/bursts"
	p := BurstsPage{
		AdminPage:      s.adminPage(c, t.T("abuse2.bursts.title", "Title", camp.Title)),
		CampaignHeader: s.campaignHeader(c, camp, "/bursts"),
	}
	for _, k := range campaign.BurstKinds() {
		href := base + "?" + url.Values{"by": {string(k)}, "hours": {strconv.Itoa(hours)}}.Encode()
		p.Kinds = append(p.Kinds, NavItem{Href: href, Label: t.T(burstKindLabels[k]), Current: k == q.Kind})
	}
	for _, h := range burstSpans {
		href := base + "?" + url.Values{"by": {string(q.Kind)}, "hours": {strconv.Itoa(h)}}.Encode()
		p.Spans = append(p.Spans, NavItem{Href: href, Label: t.T(burstSpanLabels[h]), Current: h == hours})
	}
	switch q.Kind {
	case campaign.BurstNetwork:
		p.Help = t.T("abuse2.bursts.help.network")
	case campaign.BurstDomain:
		p.Help = t.T("abuse2.bursts.help.domain")
	case campaign.BurstPartner:
		p.Help = t.T("abuse2.bursts.help.partner")
	default:
		p.Help = t.T("abuse2.bursts.help.minute")
	}
	if n, err := strconv.ParseInt(c.Query("n"), 10, 64); err == nil {
		switch c.Query("done") {
		case "invalidated":
			p.Done = t.N("abuse2.bursts.done.invalidated", n)
		case "restored":
			p.Done = t.N("abuse2.bursts.done.restored", n)
		}
	}
	for i := range bursts {
		p.Rows = append(p.Rows, s.burstRow(t, camp, q, &bursts[i]))
	}
	return s.render(c, fiber.StatusOK, "admin/bursts", p)
}

// burstGroup reads the group a change names; one that is not a group, or
// has no signatures, is not found.
func (s *Server) burstGroup(c *fiber.Ctx, camp *campaign.Campaign) (campaign.BurstQuery, campaign.Burst, error) {
	q, _ := s.burstQuery(c, camp)
	b, err := s.deps.Signing.Burst(c.UserContext(), q, burstParam(c, "key"))
	if errors.Is(err, campaign.ErrBurstKey) {
		return q, b, fiber.ErrNotFound
	}
	return q, b, err
}

func (s *Server) burstChangeForm(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	q, b, err := s.burstGroup(c, camp)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	restore := burstParam(c, "restore") != ""
	p := BurstChangePage{
		AdminPage:      s.adminPage(c, t.T("abuse2.bursts.confirm.invalidate_title")),
		CampaignHeader: s.campaignHeader(c, camp, "/bursts"),
		Row:            s.burstRow(t, camp, q, &b),
		Restore:        restore,
		Count:          int64(b.Valid()),
		Action:         signaturesBase(camp) + "/bursts/change",
		Fields: url.Values{"by": {string(q.Kind)}, "key": {b.Key},
			"from": {strconv.FormatInt(q.From.Unix(), 10)}, "until": {strconv.FormatInt(q.Until.Unix(), 10)}},
		CancelHref: signaturesBase(camp) + "/bursts?" + url.Values{"by": {string(q.Kind)}}.Encode(),
	}
	if restore {
		p.Title = t.T("abuse2.bursts.confirm.restore_title")
		p.Count = int64(b.Restorable)
		p.Fields.Set("restore", "yes")
	}
	return s.render(c, fiber.StatusOK, "admin/burst_change", p)
}

func (s *Server) burstChange(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	q, _ := s.burstQuery(c, camp)
	restore := burstParam(c, "restore") != ""
	n, err := s.deps.Signing.SetBurstValid(c.UserContext(), q, burstParam(c, "key"), restore)
	if errors.Is(err, campaign.ErrBurstKey) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	// The audit log names the grouping and the count, never the group's
	// domain or partner.
	action, done := audit.BurstInvalidated, "invalidated"
	if restore {
		action, done = audit.BurstRestored, "restored"
	}
	detail := fmt.Sprintf("by %s, %s to %s: %d signatures", q.Kind, q.From.Format(time.RFC3339), q.Until.Format(time.RFC3339), n)
	if err := s.record(c, action, camp.Slug, detail); err != nil {
		return err
	}
	v := url.Values{"by": {string(q.Kind)}, "done": {done}, "n": {strconv.Itoa(n)}}
	return c.Redirect(signaturesBase(camp)+"/bursts?"+v.Encode(), fiber.StatusSeeOther)
}
