package web

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// A recipient's situation: transfers (with the address from then on),
// release, incommunicado, death, recorded with their day on the
// recipient's page.

// RecipientStatusView is the recipient's situation on the console page.
type RecipientStatusView struct {
	FormState
	Action     string // where the status form posts
	Current    string // today's situation, worded; empty when none
	Changes    []StatusRow
	Form       StatusForm
	Situations []DeliveryChoice
}

// StatusRow is one recorded change.
type StatusRow struct {
	ID, Day, Situation, Note, RecordedBy, RemoveHref string
	Address                                          []string
}

// StatusForm is the status form as typed.
type StatusForm struct {
	Situation, Day, Address, Note string
}

func (s *Server) recipientStatusView(c *fiber.Ctx, id string, sf StatusForm, probs []campaign.FieldError) (RecipientStatusView, error) {
	r, err := s.deps.Signing.Recipient(c.UserContext(), id)
	if err != nil {
		return RecipientStatusView{}, err
	}
	t := s.localizer(c)
	base := "/admin/recipients/" + url.PathEscape(id) + "/status"
	if sf.Day == "" && len(probs) == 0 {
		sf.Day = s.cfg.Now().UTC().Format(time.DateOnly)
	}
	v := RecipientStatusView{FormState: s.formState(t, probs, nil, func(f string) string { return "s-" + f }),
		Action: base, Form: sf}
	for _, sit := range campaign.Situations {
		v.Situations = append(v.Situations, DeliveryChoice{string(sit), t.T("delivery.rs.situation." + string(sit))})
	}
	if ch, ok := r.StatusOn(s.cfg.Now().UTC().Format(time.DateOnly)); ok {
		v.Current = t.T("delivery.status."+string(ch.Situation), "Name", r.Name, "Date", t.Date(ch.Date()))
	}
	for i := len(r.Changes) - 1; i >= 0; i-- {
		ch := r.Changes[i]
		v.Changes = append(v.Changes, StatusRow{ID: ch.ID, Day: ch.Day, Situation: t.T("delivery.rs.situation." + string(ch.Situation)),
			Note: ch.Note, RecordedBy: ch.RecordedBy, Address: ch.Address, RemoveHref: base + "/" + url.PathEscape(ch.ID) + "/remove"})
	}
	return v, nil
}

func (s *Server) recipientStatusAdd(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	sf := StatusForm{Situation: formValue(c, "situation"), Day: strings.TrimSpace(formValue(c, "day")),
		Address: formValue(c, "address"), Note: formValue(c, "note")}
	ch := campaign.StatusChange{Situation: campaign.Situation(sf.Situation), Day: sf.Day, Address: lines(sf.Address), Note: sf.Note}
	r, err := s.deps.Signing.AddRecipientChange(ctx, id, ch, currentUser(c).Email)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		stored, err := s.deps.Signing.Recipient(ctx, id)
		if err != nil {
			return err
		}
		return s.renderRecipientPage(c, fiber.StatusUnprocessableEntity, id, recipientFormOf(stored), nil, sf, verr.Fields)
	case err != nil:
		return err
	}
	if err := s.record(c, audit.RecipientStatus, r.ID, "recorded: "+sf.Situation+" "+sf.Day); err != nil {
		return err
	}
	return c.Redirect("/admin/recipients/"+url.PathEscape(id)+"?done=recipient_status_saved#status", fiber.StatusSeeOther)
}

func (s *Server) recipientStatusRemove(c *fiber.Ctx) error {
	id := c.Params("id")
	ch, err := s.deps.Signing.RemoveRecipientChange(c.UserContext(), id, c.Params("change"))
	if err != nil {
		return err
	}
	if err := s.record(c, audit.RecipientStatus, id, "removed: "+string(ch.Situation)+" "+ch.Day); err != nil {
		return err
	}
	return c.Redirect("/admin/recipients/"+url.PathEscape(id)+"?done=recipient_status_removed#status", fiber.StatusSeeOther)
}

// bundleWarnings are letterWarnings and, when the recipient was released,
// is held incommunicado or died by today, a warning that the letter will
// not reach them in prison: building the bundle then takes the same
// ticked confirmation.
func (s *Server) bundleWarnings(t *i18n.Localizer, camp *campaign.Campaign, r *campaign.Recipient, lang string) []Warning {
	var out []Warning
	if r != nil {
		if ch, ok := r.StatusOn(s.cfg.Now().In(camp.Location()).Format(time.DateOnly)); ok && ch.Unreachable() {
			out = append(out, Warning{Text: t.T("delivery.warn."+string(ch.Situation), "Name", r.Name, "Date", t.Date(ch.Date())),
				Href: "/admin/recipients/" + url.PathEscape(r.ID) + "#status", Link: t.T("delivery.warn.link")})
		}
	}
	return append(out, letterWarnings(t, s.deps.Messages, camp, r, lang)...)
}
