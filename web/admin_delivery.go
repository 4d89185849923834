package web

import (
	"cmp"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The delivery log of a campaign: what happened to its letter after
// signing, as organizers record it, and the form to add or edit an event.

// DeliveryPage lists a campaign's delivery events and holds the form for
// a new one or the one being edited.
type DeliveryPage struct {
	AdminPage
	FormState
	Sub      []NavItem
	ID       string // the campaign's
	Campaign string // its title
	Base     string // the log's address
	Rows     []DeliveryRow
	Form     DeliveryForm
	// Editing is the ID of the event the form edits; empty for a new one.
	Editing string
	Kinds   []DeliveryChoice
	Methods []DeliveryChoice
	Bundles []DeliveryChoice
	// Recipients are a drive's recipients, one of whom each event is
	// about; nil for a letter.
	Recipients []DeliveryChoice
	// PublicHref is the campaign's public page, where public events show.
	PublicHref string
}

// DeliveryChoice is an option of a select.
type DeliveryChoice struct{ Value, Label string }

// DeliveryRow is one event in the console's list.
type DeliveryRow struct {
	ID, Kind, Day, Summary          string
	Public                          bool
	PublicNote, InternalNote        string
	Tracking, Numbers, SHA256, Post string
	RecordedBy                      string
	// Recipient names whom a drive's event is about.
	Recipient string
}

// DeliveryForm is the event form as typed. NewID is the ID a new event
// gets, made when the form was first drawn, so that a form sent twice
// (a retry after an error) records one event.
type DeliveryForm struct {
	NewID                                                                 string
	Kind, Day, Bundle, Method, Envelopes, Tracking, Reason, Post, Numbers string
	PublicNote, InternalNote                                              string
	Public                                                                bool
	// Recipient is the ID of a drive's recipient the event is about.
	Recipient string
}

func deliveryBase(camp *campaign.Campaign) string {
	return "/admin/campaigns/" + url.PathEscape(camp.ID) + "/delivery"
}

func (s *Server) deliveryPage(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form := DeliveryForm{NewID: delivery.NewID(), Kind: string(delivery.KindPosted), Day: s.deps.Delivery.Today(camp), Public: true, Method: string(delivery.MethodRegistered)}
	return s.renderDelivery(c, fiber.StatusOK, camp, "", form, nil)
}

func (s *Server) deliveryEdit(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	e, err := s.deps.Delivery.Event(c.UserContext(), camp.ID, c.Params("event"))
	if errors.Is(err, delivery.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.renderDelivery(c, fiber.StatusOK, camp, e.ID, deliveryFormOf(e), nil)
}

func deliveryFormOf(e *delivery.Event) DeliveryForm {
	f := DeliveryForm{Kind: string(e.Kind), Day: e.Day, Bundle: e.Bundle, Method: string(e.Method), Tracking: e.Tracking,
		Reason: e.Reason, Post: e.Post, Numbers: delivery.FormatNumbers(e.Numbers), PublicNote: e.PublicNote,
		InternalNote: e.InternalNote, Public: e.Public, Recipient: e.RecipientID}
	if e.Kind == delivery.KindPosted {
		f.Envelopes = strconv.Itoa(e.Envelopes)
	}
	return f
}

func (s *Server) renderDelivery(c *fiber.Ctx, status int, camp *campaign.Campaign, editing string, form DeliveryForm, probs []campaign.FieldError) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	events, err := s.deps.Delivery.Events(ctx, camp.ID)
	if err != nil {
		return err
	}
	// Every bundle ever built, not the console's latest: a reply may come
	// long after the letter, to a bundle since replaced.
	jobs, err := s.deps.Bundles.All(ctx, camp.ID)
	if err != nil {
		return err
	}
	bundles, replaced := deliveryBundles(t, jobs)
	hints := map[string]string{
		"numbers": t.T("delivery.f.numbers_hint"),
		"post":    t.T("delivery.f.post_hint"),
		"bundle":  t.T("delivery.f.bundle_hint"),
	}
	if replaced {
		hints["bundle"] += " " + t.T("delivery.f.bundle_replaced_hint")
	}
	base := deliveryBase(camp)
	title := t.T("delivery.title", "Title", camp.Title)
	if len(probs) > 0 {
		title = t.T("admin.form.error_title", "Title", title)
	}
	p := DeliveryPage{AdminPage: s.adminPage(c, title), FormState: s.formState(t, probs, hints, nil),
		Sub: s.campaignNav(c, camp), ID: camp.ID, Campaign: camp.Title, Base: base, Form: form, Editing: editing,
		PublicHref: "/c/" + url.PathEscape(camp.Slug)}
	for _, k := range delivery.Kinds {
		p.Kinds = append(p.Kinds, DeliveryChoice{string(k), t.T("delivery.kind." + string(k))})
	}
	for _, m := range delivery.Methods {
		p.Methods = append(p.Methods, DeliveryChoice{string(m), t.T("delivery.method." + string(m))})
	}
	p.Bundles = bundles
	var r *campaign.Recipient
	if rr, ok := s.deps.Signing.Campaigns().Recipient(camp.RecipientID); ok {
		r = rr
	}
	name := ""
	if r != nil {
		name = r.Name
	}
	names := map[string]string{}
	if camp.IsDrive() {
		for _, id := range camp.Recipients() {
			if rr, ok := s.deps.Signing.Campaigns().Recipient(id); ok {
				names[id] = rr.Name
				p.Recipients = append(p.Recipients, DeliveryChoice{id, rr.Name})
			}
		}
	}
	for _, e := range events {
		if camp.IsDrive() {
			name = names[e.RecipientID]
		}
		row := DeliveryRow{ID: e.ID, Kind: t.T("delivery.kind." + string(e.Kind)), Day: e.Day, Public: e.Public,
			PublicNote: e.PublicNote, InternalNote: e.InternalNote, Tracking: e.Tracking, SHA256: e.SHA256, Post: e.Post,
			Numbers: delivery.FormatNumbers(e.Numbers), RecordedBy: e.RecordedBy, Recipient: names[e.RecipientID]}
		it := s.timelineItem(t, e.PublicView(), name)
		row.Summary = it.Text
		if e.Kind == delivery.KindReturned && e.Reason != "" {
			row.Summary += " " + t.T("delivery.tl.reason", "Reason", e.Reason)
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(c, status, "admin/delivery", p)
}

// deliveryBundles are the bundles an event may name, newest first: every
// one that was built, whether its file is still stored or was replaced
// after an erasure (the letter posted may be the one printed before),
// each saying which one replaced which. It reports whether any was
// replaced.
func deliveryBundles(t *i18n.Localizer, jobs []bundle.Job) ([]DeliveryChoice, bool) {
	jobs = slices.Clone(jobs)
	slices.SortFunc(jobs, func(a, b bundle.Job) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	sha := map[string]string{}
	for _, j := range jobs {
		sha[j.ID] = shortHash(j.SHA256)
	}
	var out []DeliveryChoice
	replaced := false
	for _, j := range jobs {
		if j.SHA256 == "" {
			continue // never finished
		}
		label := t.T("delivery.f.bundle_option", "Date", j.CreatedAt.Format(consoleTime), "SHA", shortHash(j.SHA256))
		switch j.Status {
		case bundle.StatusDone:
			if j.Replaces != "" {
				label += " " + t.T("delivery.f.bundle_replaces", "SHA", cmp.Or(sha[j.Replaces], shortHash(j.ReplacesSHA256)))
			}
		case bundle.StatusReplaced:
			replaced = true
			if next := sha[j.ReplacedBy]; next != "" {
				label += " " + t.T("delivery.f.bundle_replaced_by", "SHA", next)
			} else {
				label += " " + t.T("delivery.f.bundle_replaced")
			}
		case bundle.StatusDiscarded:
			replaced = true
			label += " " + t.T("delivery.f.bundle_replaced")
		default:
			continue
		}
		out = append(out, DeliveryChoice{j.ID, label})
	}
	return out, replaced
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func (s *Server) deliverySave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	id := c.Params("event")
	form := DeliveryForm{
		Kind: formValue(c, "kind"), Day: strings.TrimSpace(formValue(c, "day")), Bundle: formValue(c, "bundle"),
		Method: formValue(c, "method"), Envelopes: strings.TrimSpace(formValue(c, "envelopes")),
		Tracking: strings.TrimSpace(formValue(c, "tracking")), Reason: strings.TrimSpace(formValue(c, "reason")),
		Post: strings.TrimSpace(formValue(c, "post")), Numbers: strings.TrimSpace(formValue(c, "numbers")),
		PublicNote: strings.TrimSpace(formValue(c, "public_note")), InternalNote: strings.TrimSpace(formValue(c, "internal_note")),
		Public: formValue(c, "public") != "", Recipient: formValue(c, "recipient"),
	}
	if id == "" {
		form.NewID = formValue(c, "event_id")
		if !delivery.ValidID(form.NewID) {
			form.NewID = delivery.NewID()
		}
	}
	e := &delivery.Event{ID: id, Kind: delivery.Kind(form.Kind), Day: form.Day, Bundle: form.Bundle, Method: delivery.Method(form.Method),
		Tracking: form.Tracking, Reason: form.Reason, Post: form.Post, PublicNote: form.PublicNote, InternalNote: form.InternalNote,
		Public: form.Public, RecipientID: form.Recipient}
	var probs []campaign.FieldError
	if e.Kind == delivery.KindPosted {
		if n, err := strconv.Atoi(form.Envelopes); err == nil {
			e.Envelopes = n
		} else {
			e.Envelopes = -1 // a problem Save names
		}
	}
	if e.Kind == delivery.KindReply {
		if e.Numbers, err = delivery.ParseNumbers(form.Numbers); err != nil {
			probs = append(probs, campaign.FieldError{Field: "numbers", Problem: delivery.ProblemNumbers, Limit: delivery.ReplyMax})
		}
	}
	if len(probs) > 0 {
		return s.renderDelivery(c, fiber.StatusUnprocessableEntity, camp, id, form, probs)
	}
	save := s.deps.Delivery.Save
	var before *delivery.Event
	if id == "" {
		e.ID, save = form.NewID, s.deps.Delivery.Add
	} else {
		// What the edit changes goes into the audit log.
		before, err = s.deps.Delivery.Event(ctx, camp.ID, id)
		if errors.Is(err, delivery.ErrNotFound) {
			return fiber.ErrNotFound
		}
		if err != nil {
			return err
		}
	}
	created, err := save(ctx, camp, e, currentUser(c).Email)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		return s.renderDelivery(c, fiber.StatusUnprocessableEntity, camp, id, form, verr.Fields)
	case errors.Is(err, delivery.ErrNotFound):
		return fiber.ErrNotFound
	case err != nil:
		return err
	}
	detail := string(e.Kind) + " " + e.Day + " " + e.ID
	switch {
	case created:
		err = s.record(c, audit.DeliveryRecorded, camp.Slug, detail)
	case before != nil:
		// An edit names the fields it changed; one that changed none is
		// no change.
		if changed := delivery.Changed(before, e); len(changed) > 0 {
			err = s.record(c, audit.DeliveryChanged, camp.Slug, detail+"; changed: "+strings.Join(changed, ", "))
		}
	default:
		// The form for a new event sent again: the event it recorded
		// stays as it is, and so does the log.
	}
	if err != nil {
		return err
	}
	return c.Redirect(deliveryBase(camp)+"?done=delivery_saved", fiber.StatusSeeOther)
}

func (s *Server) deliveryRemove(c *fiber.Ctx) error {
	ctx := c.UserContext()
	camp, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	e, err := s.deps.Delivery.Remove(ctx, camp.ID, c.Params("event"))
	if errors.Is(err, delivery.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := s.record(c, audit.DeliveryRemoved, camp.Slug, string(e.Kind)+" "+e.Day+" "+e.ID); err != nil {
		return err
	}
	return c.Redirect(deliveryBase(camp)+"?done=delivery_removed", fiber.StatusSeeOther)
}
