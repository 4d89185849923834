package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
)

// The recipients of campaigns: their list and the form to add or edit one.

// RecipientListPage lists the recipients.
type RecipientListPage struct {
	AdminPage
	Rows []RecipientRow
}

// RecipientRow is one recipient in the list.
type RecipientRow struct {
	ID, Name, Country, Languages string
	Campaigns                    int64
	// Unlisted is set when their page is reachable by its link only.
	Unlisted bool
}

func (s *Server) recipientList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	recipients, err := s.deps.Signing.Recipients(ctx)
	if err != nil {
		return err
	}
	all, err := s.deps.Signing.All(ctx)
	if err != nil {
		return err
	}
	uses := map[string]int64{}
	for _, camp := range all {
		uses[camp.RecipientID]++
	}
	t := s.localizer(c)
	p := RecipientListPage{AdminPage: s.adminPage(c, t.T("admin.recipients.title"))}
	for _, r := range recipients {
		p.Rows = append(p.Rows, RecipientRow{ID: r.ID, Name: r.Name, Country: s.deps.Countries.Name(t.Tag(), r.Country),
			Languages: strings.Join(r.Languages, ", "), Campaigns: uses[r.ID], Unlisted: r.Unlisted})
	}
	return s.render(c, fiber.StatusOK, "admin/recipients", p)
}

// PrisonLanguages are the languages offered as checkboxes on the recipient
// form; others can be typed in.
var PrisonLanguages = []string{"be", "ru", "uk", "pl", "lt", "sv", "de", "fr", "en"}

// RecipientForm is the recipient form as typed.
type RecipientForm struct {
	Name, Description, Address, Country, LanguageRules, CensorWords string
	// Slug, DetainedSince, Sentence and Unlisted are what the public page
	// shows (recipient.go).
	Slug, DetainedSince, Sentence string
	Unlisted                      bool
	// Birthday and ShowBirthday are the directory's (directory.go).
	Birthday       string
	ShowBirthday   bool
	Languages      []string // the ticked ones
	OtherLanguages string
}

// LanguageChoice is a checkbox of the recipient form.
type LanguageChoice struct {
	Code, Name string
	Checked    bool
}

// RecipientEditPage is the form to create or edit a recipient.
type RecipientEditPage struct {
	AdminPage
	FormState
	New       bool
	Action    string
	Form      RecipientForm
	Countries []country.Country
	Choices   []LanguageChoice
	Campaigns []CampaignRow // the campaigns that write to the recipient
	// Status is the recipient's situation and its history, with the form
	// to record a change (admin_recipients_status.go); empty for a new
	// recipient.
	Status RecipientStatusView
	// PublicURL is the recipient's public page; "" for a new recipient.
	PublicURL string
	// Archive is the archive's language choice (admin_archive.go).
	Archive ArchiveView
}

func recipientFormOf(r *campaign.Recipient) RecipientForm {
	f := RecipientForm{Name: r.Name, Description: r.Description, Address: strings.Join(r.Address, "\n"), Country: r.Country,
		LanguageRules: r.LanguageRules, CensorWords: strings.Join(r.CensorWords, "\n"),
		Slug: r.Slug, DetainedSince: r.DetainedSince, Sentence: r.Sentence, Unlisted: r.Unlisted,
		Birthday: r.Birthday, ShowBirthday: r.ShowBirthday}
	var other []string
	for _, l := range r.Languages {
		if slices.Contains(PrisonLanguages, l) {
			f.Languages = append(f.Languages, l)
		} else {
			other = append(other, l)
		}
	}
	f.OtherLanguages = strings.Join(other, ", ")
	return f
}

// lines splits a textarea into its trimmed, non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// recipient builds the recipient the form describes, over r.
func (f *RecipientForm) recipient(r *campaign.Recipient) {
	r.Name, r.Description = strings.TrimSpace(f.Name), strings.TrimSpace(strings.ReplaceAll(f.Description, "\r\n", "\n"))
	r.Address, r.Country = lines(f.Address), strings.ToUpper(strings.TrimSpace(f.Country))
	r.LanguageRules = strings.TrimSpace(strings.ReplaceAll(f.LanguageRules, "\r\n", "\n"))
	r.CensorWords = lines(f.CensorWords)
	r.Slug, r.DetainedSince = strings.ToLower(strings.TrimSpace(f.Slug)), strings.TrimSpace(f.DetainedSince)
	r.Sentence, r.Unlisted = strings.TrimSpace(f.Sentence), f.Unlisted
	r.Birthday, r.ShowBirthday = strings.TrimSpace(f.Birthday), f.ShowBirthday
	r.Languages = nil
	add := func(l string) {
		if l != "" && !slices.Contains(r.Languages, l) {
			r.Languages = append(r.Languages, l)
		}
	}
	for _, l := range f.Languages {
		add(strings.ToLower(strings.TrimSpace(l)))
	}
	for _, l := range strings.FieldsFunc(f.OtherLanguages, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		add(strings.ToLower(l))
	}
}

func (s *Server) recipientNew(c *fiber.Ctx) error {
	return s.renderRecipientForm(c, fiber.StatusOK, "", RecipientForm{}, nil)
}

func (s *Server) recipientEdit(c *fiber.Ctx) error {
	r, err := s.deps.Signing.Recipient(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderRecipientForm(c, fiber.StatusOK, r.ID, recipientFormOf(r), nil)
}

func (s *Server) renderRecipientForm(c *fiber.Ctx, status int, id string, form RecipientForm, probs []campaign.FieldError) error {
	return s.renderRecipientPage(c, status, id, form, probs, StatusForm{}, nil)
}

// renderRecipientPage draws the recipient form, and for a stored
// recipient its status history with the status form sf and its problems.
func (s *Server) renderRecipientPage(c *fiber.Ctx, status int, id string, form RecipientForm, probs []campaign.FieldError, sf StatusForm, sprobs []campaign.FieldError) error {
	t := s.localizer(c)
	hints := map[string]string{
		"address":        t.T("admin.recipient.f.address_hint"),
		"language_rules": t.T("admin.recipient.f.language_rules_hint"),
		"languages":      t.T("admin.recipient.f.languages_hint"),
		"censor_words":   t.T("admin.recipient.f.censor_words_hint"),
		"slug":           t.T("recipients.f.slug_hint"),
		"sentence":       t.T("recipients.f.sentence_hint"),
		"birthday":       t.T("directory.f.birthday_hint"),
	}
	anchor := func(field string) string {
		if field == "languages" {
			return "other_languages"
		}
		return field
	}
	p := RecipientEditPage{FormState: s.formState(t, probs, hints, anchor), New: id == "", Form: form,
		Countries: s.deps.Countries.List(t.Tag()), Action: "/admin/recipients/new"}
	for _, code := range PrisonLanguages {
		p.Choices = append(p.Choices, LanguageChoice{Code: code, Name: t.T("admin.language." + code), Checked: slices.Contains(form.Languages, code)})
	}
	title := t.T("admin.recipient.new_title")
	if id != "" {
		p.Action = "/admin/recipients/" + url.PathEscape(id)
		title = t.T("admin.recipient.edit_title", "Name", form.Name)
		if r, ok := s.deps.Signing.Campaigns().Recipient(id); ok && r.Slug != "" {
			p.PublicURL = "/r/" + url.PathEscape(r.Slug)
		}
		all, err := s.deps.Signing.All(c.UserContext())
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		for i := range all {
			if all[i].RecipientID == id {
				p.Campaigns = append(p.Campaigns, CampaignRow{ID: all[i].ID, Title: all[i].Title, Status: consoleStatus(&all[i], now)})
			}
		}
		if p.Status, err = s.recipientStatusView(c, id, sf, sprobs); err != nil {
			return err
		}
		r, err := s.deps.Signing.Recipient(c.UserContext(), id)
		if err != nil {
			return err
		}
		p.Archive = s.archiveView(t, r)
	}
	if len(probs) > 0 || len(sprobs) > 0 {
		title = t.T("admin.form.error_title", "Title", title)
	}
	p.AdminPage = s.adminPage(c, title)
	return s.render(c, status, "admin/recipient_edit", p)
}

func (s *Server) recipientSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	r := &campaign.Recipient{}
	if id != "" {
		stored, err := s.deps.Signing.Recipient(ctx, id)
		if err != nil {
			return err
		}
		r = stored
	}
	form := RecipientForm{
		Name: formValue(c, "name"), Description: formValue(c, "description"), Address: formValue(c, "address"),
		Country: formValue(c, "country"), LanguageRules: formValue(c, "language_rules"), CensorWords: formValue(c, "censor_words"),
		OtherLanguages: strings.TrimSpace(formValue(c, "other_languages")),
		Slug:           formValue(c, "slug"), DetainedSince: formValue(c, "detained_since"), Sentence: formValue(c, "sentence"),
		Unlisted: formValue(c, "unlisted") != "",
		Birthday: formValue(c, "birthday"), ShowBirthday: formValue(c, "show_birthday") != "",
	}
	for _, l := range c.Request().PostArgs().PeekMulti("languages") {
		form.Languages = append(form.Languages, string(l))
	}
	form.recipient(r)
	created, err := s.deps.Signing.SaveRecipient(ctx, r)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		return s.renderRecipientForm(c, fiber.StatusUnprocessableEntity, id, form, verr.Fields)
	case err != nil:
		return err
	}
	detail := "edited"
	if created {
		detail = "created"
	}
	if err := s.record(c, audit.RecipientSaved, r.ID, detail+": "+r.Name); err != nil {
		return err
	}
	return c.Redirect("/admin/recipients?done=recipient_saved", fiber.StatusSeeOther)
}
