package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/letters"
)

// The translators' list of approved greetings that need a translation, and
// the moderators' review of translations.

func (s *Server) translationList(c *fiber.Ctx) error {
	st, cur, err := listState(c.Query("campaign"), c.Query("after"))
	if err != nil {
		return err
	}
	return s.renderTranslations(c, fiber.StatusOK, st, cur, nil)
}

func (s *Server) renderTranslations(c *fiber.Ctx, status int, st ListState, cur letters.Cursor, problem *cardProblem) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	byID, all, err := s.filteredCampaigns(ctx, st.Campaign)
	if err != nil {
		return err
	}
	page, err := s.deps.Moderation.Translations(ctx, st.Campaign, cur, queuePage)
	if err != nil {
		return err
	}
	u := currentUser(c)
	p := TranslationsPage{
		AdminPage: s.adminPage(c, t.T("translations.title")),
		CanWrite:  translators.allows(u),
		CanReview: moderators.allows(u),
		Limit:     letters.MaxTranslation,
	}
	st.Options = []Choice{{Value: "", Label: t.T("moderation.filter_all")}}
	for _, camp := range all {
		if !camp.Archived() || camp.ID == st.Campaign {
			st.Options = append(st.Options, Choice{Value: camp.ID, Label: camp.Title})
		}
	}
	s.pageLinks(&st, "/admin/translations", page)
	p.List = st
	p.Cards = s.cards(t, page, byID, st.Campaign == "")
	for i, it := range page.Items {
		card := &p.Cards[i]
		card.TranslationStatus = t.T("translations.status.none")
		if tr := it.Translation; tr != nil {
			card.Translation = tr
			card.TranslationStatus = t.T("translations.status." + string(tr.Status))
			card.TranslationLabel = t.T("translations.current", "Language", s.langName(t, tr.Language))
			card.Draft, card.DraftLang = tr.Text, tr.Language
		}
		if problem != nil && problem.id == it.ID {
			card.Errors, card.Draft, card.DraftLang = problem.errors, problem.draft, problem.lang
		}
	}
	return s.render(c, status, "admin/translations", p)
}

func (s *Server) translationSave(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	lang, text := formValue(c, "language"), formValue(c, "text")
	g, err := s.deps.Moderation.Translate(ctx, id, lang, text)
	t := s.localizer(c)
	problems := map[string]string{}
	for _, p := range []struct {
		err          error
		field, msgID string
	}{
		{letters.ErrTranslationEmpty, "text", "translations.error.empty"},
		{letters.ErrTranslationTooLong, "text", "translations.error.too_long"},
		{letters.ErrTranslationInvalid, "text", "translations.error.invalid"},
		{letters.ErrTranslationLanguage, "language", "translations.error.language"},
	} {
		switch {
		case !errors.Is(err, p.err):
		case p.err == letters.ErrTranslationTooLong:
			// The limit counts characters: a plural message.
			problems[p.field] = t.N(p.msgID, letters.MaxTranslation)
		default:
			problems[p.field] = t.T(p.msgID)
		}
	}
	if len(problems) > 0 {
		st, cur, err := listState(formValue(c, "campaign"), formValue(c, "after"))
		if err != nil {
			return err
		}
		return s.renderTranslations(c, fiber.StatusUnprocessableEntity, st, cur,
			&cardProblem{id: id, errors: problems, draft: text, lang: lang})
	}
	if err != nil {
		return s.decided(c, "/admin/translations", "t-", err)
	}
	if err := s.recordGreeting(c, audit.TranslationSent, g.CampaignID, "translation submitted: "+lang); err != nil {
		return err
	}
	st, _, _ := listState(formValue(c, "campaign"), formValue(c, "after"))
	return c.Redirect(listHref("/admin/translations", st, "translation_saved", "t-"+id), fiber.StatusSeeOther)
}

func (s *Server) translationReview(approve bool) fiber.Handler {
	verdict, done := "translation rejected", "translation_rejected"
	if approve {
		verdict, done = "translation approved", "translation_approved"
	}
	return func(c *fiber.Ctx) error {
		g, err := s.deps.Moderation.ReviewTranslation(c.UserContext(), c.Params("id"), approve)
		if err != nil {
			return s.decided(c, "/admin/translations", "t-", err)
		}
		if err := s.recordGreeting(c, audit.GreetingDecided, g.CampaignID, verdict+": "+g.Translation.Language); err != nil {
			return err
		}
		return s.backTo(c, "/admin/translations", done, "t-")
	}
}
