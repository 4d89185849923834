package web

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// PartnerRow is a partner in the list, with its signatures in total.
type PartnerRow struct {
	Partner    campaign.Partner
	Signatures int64
	Campaigns  []campaign.PartnerStats
}

// PartnersPage lists partners and has the form to add one.
type PartnersPage struct {
	AdminPage
	Partners []PartnerRow
	AsOf     string
	Form     campaign.PartnerInput
	Errors   map[string]string
}

func (s *Server) partnersPage(c *fiber.Ctx) error {
	return s.renderPartners(c, fiber.StatusOK, campaign.PartnerInput{}, nil)
}

func (s *Server) renderPartners(c *fiber.Ctx, status int, form campaign.PartnerInput, problems map[string]string) error {
	t := s.localizer(c)
	all, err := s.deps.Partners.All(c.UserContext())
	if err != nil {
		return err
	}
	stats, at, err := s.deps.Partners.Stats(c.UserContext(), all)
	if err != nil {
		return err
	}
	p := PartnersPage{AdminPage: s.adminPage(c, t.T("partners.title")), AsOf: t.DateTime(at), Form: form, Errors: problems}
	for _, pa := range all {
		row := PartnerRow{Partner: pa, Campaigns: stats[pa.Ref]}
		for _, st := range row.Campaigns {
			row.Signatures += st.Total
		}
		p.Partners = append(p.Partners, row)
	}
	return s.render(c, status, "admin/partners", p)
}

func (s *Server) addPartner(c *fiber.Ctx) error {
	t := s.localizer(c)
	form := campaign.PartnerInput{Name: formValue(c, "name"), Website: formValue(c, "website"), Ref: formValue(c, "ref")}
	p, err := s.deps.Partners.Add(c.UserContext(), form)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		problems := map[string]string{}
		for _, f := range verr.Fields {
			problems[f.Field] = partnerProblem(t, f)
		}
		return s.renderPartners(c, fiber.StatusUnprocessableEntity, form, problems)
	case err != nil:
		return err
	}
	if err := s.record(c, audit.PartnerAdded, p.Ref, p.Name); err != nil {
		return err
	}
	return c.Redirect("/admin/partners/"+url.PathEscape(p.Ref)+"?done=partner_added", fiber.StatusSeeOther)
}

// partnerProblem words a problem of the partner form.
func partnerProblem(t *i18n.Localizer, f campaign.FieldError) string {
	return limitMessage(t, "partners.error."+f.Field+"."+string(f.Problem), f)
}

// PartnerPage shows one partner: its signatures by campaign and day, its
// API keys and its stats link.
type PartnerPage struct {
	AdminPage
	Partner  *campaign.Partner
	Stats    []campaign.PartnerStats
	Total    int64
	AsOf     string
	Keys     []campaign.APIKey
	HasLink  bool
	StatsURL string // the new stats link, shown once
	NewKey   string // the new API key, shown once
	APIDocs  string
}

func (s *Server) partnerPage(c *fiber.Ctx) error {
	return s.renderPartner(c, fiber.StatusOK, "", "")
}

func (s *Server) renderPartner(c *fiber.Ctx, status int, newKey, statsURL string) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	pa, err := s.deps.Partners.Partner(ctx, c.Params("ref"))
	if err != nil {
		return err
	}
	stats, at, err := s.deps.Partners.Stats(ctx, []campaign.Partner{*pa})
	if err != nil {
		return err
	}
	keys, err := s.deps.Partners.Keys(ctx, pa.Ref)
	if err != nil {
		return err
	}
	p := PartnerPage{
		AdminPage: s.adminPage(c, t.T("partners.partner_title", "Name", pa.Name)),
		Partner:   pa, Stats: stats[pa.Ref], AsOf: t.DateTime(at), Keys: keys, HasLink: pa.StatsHash != "",
		NewKey: newKey, StatsURL: statsURL, APIDocs: s.baseURL(c) + "/api/v1/openapi.json",
	}
	for _, st := range p.Stats {
		p.Total += st.Total
	}
	return s.render(c, status, "admin/partner", p)
}

func (s *Server) newPartnerKey(c *fiber.Ctx) error {
	ref := c.Params("ref")
	key, err := s.deps.Partners.NewKey(c.UserContext(), ref)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.PartnerKeyAdded, ref, key[:10]); err != nil {
		return err
	}
	// The key is shown this once, in the answer to the form, never in a URL.
	return s.renderPartner(c, fiber.StatusOK, key, "")
}

func (s *Server) revokePartnerKey(c *fiber.Ctx) error {
	ref, prefix := c.Params("ref"), formValue(c, "key")
	if err := s.deps.Partners.RevokeKey(c.UserContext(), ref, prefix); err != nil {
		return err
	}
	if err := s.record(c, audit.PartnerKeyGone, ref, prefix); err != nil {
		return err
	}
	return c.Redirect("/admin/partners/"+url.PathEscape(ref)+"?done=partner_key_revoked", fiber.StatusSeeOther)
}

func (s *Server) newPartnerLink(c *fiber.Ctx) error {
	ref := c.Params("ref")
	token, err := s.deps.Partners.NewStatsLink(c.UserContext(), ref)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.PartnerLinkSet, ref, ""); err != nil {
		return err
	}
	return s.renderPartner(c, fiber.StatusOK, "", s.baseURL(c)+"/p/"+token)
}

func (s *Server) revokePartnerLink(c *fiber.Ctx) error {
	ref := c.Params("ref")
	if err := s.deps.Partners.RevokeStatsLink(c.UserContext(), ref); err != nil {
		return err
	}
	if err := s.record(c, audit.PartnerLinkGone, ref, ""); err != nil {
		return err
	}
	return c.Redirect("/admin/partners/"+url.PathEscape(ref)+"?done=partner_link_revoked", fiber.StatusSeeOther)
}
