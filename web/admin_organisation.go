package web

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/site"
)

// OrganisationForm is the profile form as the admin typed it.
type OrganisationForm struct {
	site.Input
	// Version is the version of the profile the form was filled from
	// ("0": none): a save over a newer one is refused.
	Version string
}

// OrganisationPage is the console form of the organisation profile.
type OrganisationPage struct {
	AdminPage
	FormState
	Form OrganisationForm
	// Demo is true while the profile is the demo data's.
	Demo bool
}

func (s *Server) organisationForm(c *fiber.Ctx) error {
	form := OrganisationForm{Version: "0"}
	p, ok := s.deps.Site.Profile()
	if ok {
		form = OrganisationForm{Input: site.InputOf(p), Version: strconv.FormatInt(p.Version, 10)}
	}
	return s.renderOrganisationForm(c, fiber.StatusOK, form, nil)
}

func (s *Server) renderOrganisationForm(c *fiber.Ctx, status int, form OrganisationForm, probs []site.FieldError) error {
	t := s.localizer(c)
	hints := map[string]string{
		site.FieldName:        t.T("org.f.name_hint"),
		site.FieldAddress:     t.N("org.f.address_hint", site.AddressMaxLines),
		site.FieldEmail:       t.T("org.f.email_hint"),
		site.FieldSignal:      t.T("org.f.signal_hint"),
		site.FieldFingerprint: t.T("org.f.pgp_fingerprint_hint"),
		site.FieldPGPURL:      t.T("org.f.pgp_url_hint"),
	}
	// The console's forms word their problems as campaign field errors.
	cp := make([]campaign.FieldError, len(probs))
	for i, p := range probs {
		cp[i] = campaign.FieldError{Field: p.Field, Problem: campaign.Problem(p.Problem), Limit: p.Limit}
	}
	title := t.T("org.admin.title")
	if len(probs) > 0 {
		title = t.T("admin.form.error_title", "Title", title)
	}
	p := OrganisationPage{AdminPage: s.adminPage(c, title), FormState: s.formState(t, cp, hints, nil), Form: form}
	if cur, ok := s.deps.Site.Profile(); ok {
		p.Demo = cur.Demo
	}
	return s.render(c, status, "admin/organisation", p)
}

func (s *Server) organisationSave(c *fiber.Ctx) error {
	text := func(name string) string { return strings.ReplaceAll(formValue(c, name), "\r\n", "\n") }
	form := OrganisationForm{
		Input: site.Input{
			Name: text(site.FieldName), Address: text(site.FieldAddress), Email: text(site.FieldEmail),
			Signal: text(site.FieldSignal), PGPFingerprint: text(site.FieldFingerprint), PGPURL: text(site.FieldPGPURL),
		},
		Version: strings.TrimSpace(formValue(c, "version")),
	}
	prev, err := strconv.ParseInt(form.Version, 10, 64)
	if err != nil || prev < 0 {
		return fiber.NewError(fiber.StatusBadRequest, "organisation form: version is not a number")
	}
	before, after, err := s.deps.Site.Save(c.UserContext(), form.Input, prev)
	var verr *site.ValidationError
	switch {
	case errors.Is(err, site.ErrConflict):
		// The admin's text is kept; the form now carries the current
		// version, so that saving again overwrites on purpose.
		form.Version = "0"
		if cur, ok := s.deps.Site.Profile(); ok {
			form.Version = strconv.FormatInt(cur.Version, 10)
		}
		return s.renderOrganisationForm(c, fiber.StatusConflict, form,
			[]site.FieldError{{Field: site.FieldName, Problem: "stale"}})
	case errors.As(err, &verr):
		return s.renderOrganisationForm(c, fiber.StatusUnprocessableEntity, form, verr.Fields)
	case err != nil:
		return err
	}
	if changed := site.ChangedFields(before, after); len(changed) > 0 {
		if err := s.record(c, audit.ProfileChanged, "organisation", "changed: "+strings.Join(changed, ", ")); err != nil {
			return err
		}
	}
	return c.Redirect("/admin/organisation?done=organisation_saved", fiber.StatusSeeOther)
}

// Limit is a field's length limit, for the form's maxlength attributes.
func (OrganisationPage) Limit(field string) int {
	return map[string]int{"name": site.NameMax, "address": site.AddressMax, "email": site.EmailMax,
		"signal": site.SignalMax, "pgp_url": site.PGPURLMax}[field]
}

// organisationNotice is what the dashboard asks admins about the profile:
// "none" when none is published, "demo" while it is the demo's.
func organisationNotice(org *site.Cache) string {
	p, ok := org.Profile()
	switch {
	case !ok:
		return "none"
	case p.Demo:
		return "demo"
	}
	return ""
}
