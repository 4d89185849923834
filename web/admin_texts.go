package web

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The campaign's texts in other languages than its own: the title,
// summary, letter and share line an organizer adds, edits and removes per
// language of the catalog. The original is edited in the campaign form.

// CampaignTextsPage lists a campaign's translations, each in its form,
// and a form to add one in a language that has none yet.
type CampaignTextsPage struct {
	AdminPage
	Sub      []NavItem
	Campaign *campaign.Campaign
	// Original names the language the campaign is written in.
	Original string
	// Forms are the translations' forms, in the order they were added.
	Forms []TextForm
	// Add is the form for a new translation, offered while Free, the
	// catalog's languages without a text, is not empty.
	Add  TextForm
	Free []LanguageOption
	// Problems are those of the form sent, for the summary at the top.
	Problems []FieldProblem
}

// TextForm is one translation's form, as sent or as stored.
type TextForm struct {
	// ID prefixes its elements' IDs: several forms share the page.
	ID string
	// Lang is the translation's language, LangName its name; both empty
	// in a new translation's form until one is chosen.
	Lang, LangName string
	Action         string
	// RemoveHref asks to remove a stored translation.
	RemoveHref string
	// Version is the campaign's version the form was filled from
	// (versionOf): a save over a newer one is refused.
	Version                       string
	Title, Summary, Letter, Share string
	// Fields are the states of lang, title, summary, letter and share.
	Fields map[string]FieldState
	// Choices are the languages a new translation's form offers.
	Choices []LanguageOption
	// T words the form's labels.
	T *i18n.Localizer
}

// textFields are a translation form's fields, in form order.
var textFields = []string{"lang", "title", "summary", "letter", "share"}

// textsBase is the address of a campaign's texts page.
func textsBase(camp *campaign.Campaign) string {
	return "/admin/campaigns/" + url.PathEscape(camp.ID) + "/texts"
}

// textFormOf fills a form from a translation of camp, or a new one.
func textFormOf(camp *campaign.Campaign, t campaign.Text, stored bool) TextForm {
	f := TextForm{ID: "t-new", Lang: t.Lang, Action: textsBase(camp), Version: versionOf(camp),
		Title: t.Title, Summary: t.Summary, Letter: t.Letter, Share: t.Share}
	if stored {
		f.ID = "t-" + t.Lang
		f.Action = textsBase(camp) + "/" + url.PathEscape(t.Lang)
		f.RemoveHref = f.Action + "/remove"
	}
	return f
}

// readTextForm reads a posted translation form; lang is the stored
// translation's language, or "" for a new one, whose language is chosen.
func readTextForm(c *fiber.Ctx, camp *campaign.Campaign, lang string) (TextForm, campaign.Text) {
	text := campaign.Text{Lang: lang, Title: formValue(c, "title"), Summary: formValue(c, "summary"),
		Letter: formValue(c, "letter"), Share: formValue(c, "share")}
	if lang == "" {
		text.Lang = formValue(c, "lang")
	}
	text = text.Clean()
	f := textFormOf(camp, text, lang != "")
	f.Version = strings.TrimSpace(formValue(c, "version"))
	return f, text
}

// formVersion reads a form's version; one that cannot be read is older
// than every campaign.
func formVersion(v string) time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (s *Server) campaignTexts(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderTexts(c, fiber.StatusOK, camp, nil, nil)
}

// renderTexts draws the texts page; sent is the form that was sent with
// the problems probs, drawn as it was sent in place of the stored one.
func (s *Server) renderTexts(c *fiber.Ctx, status int, camp *campaign.Campaign, sent *TextForm, probs []campaign.FieldError) error {
	t := s.localizer(c)
	p := CampaignTextsPage{
		AdminPage: s.adminPage(c, t.T("admin.texts.title", "Title", camp.Title)),
		Sub:       s.campaignNav(c, camp), Campaign: camp, Original: languageName(t, camp.TextLanguage()),
	}
	if len(probs) > 0 {
		p.Title = t.T("admin.form.error_title", "Title", p.Title)
	}
	hints := map[string]string{
		"summary": t.T("admin.campaign.f.summary_hint"),
		"letter":  t.T("admin.texts.f.letter_hint"),
		"share":   t.T("admin.campaign.f.share_hint", "Limit", t.Number(campaign.ShareMax)),
	}
	// state gives a form its fields' states, and the page the summary of
	// the problems of the form that was sent.
	state := func(f *TextForm, probs []campaign.FieldError) {
		st := s.formState(t, probs, hints, func(field string) string { return f.ID + "-" + field })
		f.Fields = map[string]FieldState{}
		for _, name := range textFields {
			fs := st.Field(name)
			fs.Name = f.ID + "-" + name
			f.Fields[name] = fs
		}
		if f.Lang != "" && s.deps.Messages.Has("admin.language."+f.Lang) {
			f.LangName = languageName(t, f.Lang)
		}
		f.T = t
		if len(probs) > 0 {
			// The summary names the form: the page has one per language.
			name := f.LangName
			if f.RemoveHref == "" && name == "" {
				name = t.T("admin.texts.add.heading")
			}
			for _, pr := range st.Problems {
				pr.Message = t.T("admin.texts.problem", "Text", name, "Message", pr.Message)
				p.Problems = append(p.Problems, pr)
			}
		}
	}
	placed := false
	for _, tr := range camp.Translations {
		f, fp := textFormOf(camp, tr, true), []campaign.FieldError(nil)
		if sent != nil && sent.RemoveHref != "" && sent.Lang == tr.Lang {
			f, fp, placed = *sent, probs, true
		}
		state(&f, fp)
		p.Forms = append(p.Forms, f)
	}
	for _, tag := range s.deps.Messages.Languages() {
		code := tag.String()
		if code != camp.TextLanguage() && !camp.HasTranslation(code) {
			p.Free = append(p.Free, LanguageOption{Code: code, Name: languageName(t, code)})
		}
	}
	p.Add = textFormOf(camp, campaign.Text{}, false)
	var ap []campaign.FieldError
	if sent != nil && !placed {
		// A new translation, or one removed since its form was opened.
		p.Add, ap = *sent, probs
		p.Add.ID, p.Add.Action, p.Add.RemoveHref = "t-new", textsBase(camp), ""
	}
	p.Add.Choices = p.Free
	state(&p.Add, ap)
	return s.render(c, status, "admin/campaign_texts", p)
}

// languageName names a language of the catalog in t's language, as the
// console's language lists do.
func languageName(t *i18n.Localizer, code string) string {
	return t.T("admin.language." + code)
}

// campaignTextAdd adds a translation in the language the form chose.
func (s *Server) campaignTextAdd(c *fiber.Ctx) error {
	return s.saveText(c, "")
}

// campaignTextSave saves the translation into the route's language.
func (s *Server) campaignTextSave(c *fiber.Ctx) error {
	lang := c.Params("lang")
	if _, ok := s.deps.Messages.Supported(lang); !ok || !campaign.ValidLanguage(lang) {
		return fiber.ErrNotFound
	}
	return s.saveText(c, lang)
}

// saveText handles a translation's form: lang is the stored translation's
// language, "" for a new one.
func (s *Server) saveText(c *fiber.Ctx, lang string) error {
	ctx := c.UserContext()
	stored, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form, text := readTextForm(c, stored, lang)
	var probs []campaign.FieldError
	if lang == "" && text.Lang != "" {
		switch _, ok := s.deps.Messages.Supported(text.Lang); {
		case !ok || !campaign.ValidLanguage(text.Lang):
			probs = append(probs, campaign.FieldError{Field: "lang", Problem: campaign.ProblemChoice})
		case stored.HasTranslation(text.Lang):
			probs = append(probs, campaign.FieldError{Field: "lang", Problem: campaign.ProblemTaken})
		}
	}
	for _, p := range text.Problems() {
		if !slices.ContainsFunc(probs, func(q campaign.FieldError) bool { return q.Field == p.Field }) {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return s.renderTexts(c, fiber.StatusUnprocessableEntity, stored, &form, probs)
	}
	before, after, err := s.deps.Signing.SaveTranslation(ctx, stored.ID, formVersion(form.Version), text)
	var verr *campaign.ValidationError
	switch {
	case errors.Is(err, campaign.ErrConflict):
		// The organizer's text is kept, and the form now carries the
		// current version, so that saving again overwrites on purpose.
		fresh, ferr := s.deps.Signing.Campaign(ctx, stored.ID)
		if ferr != nil {
			return ferr
		}
		form.Version = versionOf(fresh)
		probs = []campaign.FieldError{{Field: "title", Problem: campaign.ProblemStale}}
		return s.renderTexts(c, fiber.StatusConflict, fresh, &form, probs)
	case errors.As(err, &verr):
		return s.renderTexts(c, fiber.StatusUnprocessableEntity, before, &form, verr.Fields)
	case err != nil:
		return err
	}
	what, done := "added", "text_added"
	if before.HasTranslation(text.Lang) {
		what, done = "edited", "text_saved"
	}
	if changed := campaign.ChangedFields(before, after); len(changed) > 0 {
		detail := "edited: " + strings.Join(changed, ", ") + " (" + text.Lang + " " + what + ")"
		if err := s.record(c, audit.CampaignChanged, after.Slug, detail); err != nil {
			return err
		}
	}
	return c.Redirect(textsBase(after)+"?done="+done+"#t-"+text.Lang, fiber.StatusSeeOther)
}

// CampaignTextRemovePage asks to confirm removing a translation.
type CampaignTextRemovePage struct {
	AdminPage
	Sub      []NavItem
	Campaign *campaign.Campaign
	Text     campaign.Text
	LangName string
	Action   string
	Back     string
}

// campaignTextRemoveForm asks whether to remove the translation into the
// route's language.
func (s *Server) campaignTextRemoveForm(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	lang := c.Params("lang")
	if !camp.HasTranslation(lang) {
		return fiber.ErrNotFound
	}
	t := s.localizer(c)
	text, _ := camp.TextIn(lang)
	name := languageName(t, text.Lang)
	p := CampaignTextRemovePage{
		AdminPage: s.adminPage(c, t.T("admin.texts.remove.title", "Language", name, "Title", camp.Title)),
		Sub:       s.campaignNav(c, camp), Campaign: camp, Text: text, LangName: name,
		Action: textsBase(camp) + "/" + url.PathEscape(text.Lang) + "/remove", Back: textsBase(camp) + "#t-" + text.Lang,
	}
	return s.render(c, fiber.StatusOK, "admin/campaign_text_remove", p)
}

// campaignTextRemove removes the translation into the route's language.
func (s *Server) campaignTextRemove(c *fiber.Ctx) error {
	lang := c.Params("lang")
	camp, err := s.deps.Signing.DeleteTranslation(c.UserContext(), c.Params("id"), lang)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.CampaignChanged, camp.Slug, "edited: translations ("+lang+" removed)"); err != nil {
		return err
	}
	return c.Redirect(textsBase(camp)+"?done=text_removed", fiber.StatusSeeOther)
}
