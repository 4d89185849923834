package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
)

// queuePage is how many greetings a page of the queue or the translation
// list shows.
const queuePage = 50

// ModerationPage is the queue of greetings waiting for a decision.
type ModerationPage struct {
	AdminPage
	List ListState
	// Pending counts the waiting greetings of the campaign shown (or all).
	Pending int64
	// NamesPending counts the held names and cities (admin_names.go).
	NamesPending int64
	Cards        []GreetingCard
	// Unflagged are the IDs of the cards without flags, for bulk approval.
	Unflagged      []string
	UnflaggedCount int64
	Reasons        []Choice
	Languages      []Choice
	Legend         []Choice
}

// TranslationsPage lists approved greetings that need a translation.
type TranslationsPage struct {
	AdminPage
	List      ListState
	Cards     []GreetingCard
	CanWrite  bool
	CanReview bool
	Limit     int64
}

// ListState is where a list of greetings is: its campaign filter and page.
type ListState struct {
	Campaign string   // the campaign shown; "" for all
	After    string   // the page's cursor; "" for the first page
	Options  []Choice // the campaign filter's options
	// NextHref and FirstHref link the following page and the first one.
	NextHref, FirstHref string
}

// Choice is an option of a select, or a flag with its explanation.
type Choice struct {
	Value, Label, Help string
}

// GreetingCard is a greeting as the queue and the translation list show it.
type GreetingCard struct {
	ID   string
	Text string
	// Lang is the lang attribute of the text ("" when unknown); Language
	// says which language it is and whether a moderator set it.
	Lang, Language string
	Author, Place  string
	Received       string
	Campaign       string // the campaign's title, when the list shows all
	Flags          []Choice
	// Next is the ID of the card after this one, where the page continues
	// after a decision.
	Next string
	// Errors holds a message per field of this card's forms; Reason and
	// Draft keep what was chosen or typed.
	Errors map[string]string
	Reason string
	// For the translation list: the recipient's languages, the stored
	// translation, and what the translator typed.
	Into              []Choice
	Translation       *letters.Translation
	TranslationLabel  string
	TranslationStatus string
	Draft, DraftLang  string
}

// cardProblem is a rejected form of one card, shown again with 422.
type cardProblem struct {
	id     string
	errors map[string]string
	reason string
	draft  string
	lang   string
}

// listState reads the campaign filter and the page from the request.
func listState(campaignID, after string) (ListState, letters.Cursor, error) {
	cur, err := letters.ParseCursor(after)
	if err != nil {
		return ListState{}, letters.Cursor{}, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	return ListState{Campaign: campaignID, After: after}, cur, nil
}

// listHref is the address of a list with its state; done and anchor are
// optional.
func listHref(path string, st ListState, done, anchor string) string {
	q := url.Values{}
	if st.Campaign != "" {
		q.Set("campaign", st.Campaign)
	}
	if st.After != "" {
		q.Set("after", st.After)
	}
	if done != "" {
		q.Set("done", done)
	}
	href := path
	if len(q) > 0 {
		href += "?" + q.Encode()
	}
	if anchor != "" {
		href += "#" + anchor
	}
	return href
}

// greetingID matches what may follow "#g-" in a link back to the list.
var greetingID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// backTo redirects to the list a form was posted from, at the card named
// by the form's "next" field.
func (s *Server) backTo(c *fiber.Ctx, path, done, prefix string) error {
	st, _, err := listState(formValue(c, "campaign"), formValue(c, "after"))
	if err != nil {
		st = ListState{Campaign: formValue(c, "campaign")}
	}
	anchor := ""
	if next := formValue(c, "next"); greetingID.MatchString(next) {
		anchor = prefix + next
	}
	return c.Redirect(listHref(path, st, done, anchor), fiber.StatusSeeOther)
}

// campaignsByID returns every campaign by ID, for titles, time zones and
// audit targets.
func (s *Server) campaignsByID(ctx context.Context) (map[string]*campaign.Campaign, []campaign.Campaign, error) {
	all, err := s.deps.Signing.All(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]*campaign.Campaign, len(all))
	for i := range all {
		m[all[i].ID] = &all[i]
	}
	return m, all, nil
}

// filteredCampaigns is campaignsByID for a list filtered by the campaign
// with ID filter ("" for all): an unknown campaign is 404.
func (s *Server) filteredCampaigns(ctx context.Context, filter string) (map[string]*campaign.Campaign, []campaign.Campaign, error) {
	byID, all, err := s.campaignsByID(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := byID[filter]; filter != "" && !ok {
		return nil, nil, fiber.ErrNotFound
	}
	return byID, all, nil
}

// auditTarget names a greeting's campaign in the audit log: its slug.
func auditTarget(byID map[string]*campaign.Campaign, campaignID string) string {
	if c, ok := byID[campaignID]; ok {
		return c.Slug
	}
	return campaignID
}

// langName is a language's name in the console's language.
func (s *Server) langName(t *i18n.Localizer, code string) string {
	if code == "" {
		return t.T("moderation.language_unknown")
	}
	if s.deps.Messages.Has("moderation.lang." + code) {
		return t.T("moderation.lang." + code)
	}
	return code
}

// filterOptions lists the campaigns to filter by, with counts.
func filterOptions(t *i18n.Localizer, all []campaign.Campaign, counts map[string]int64) []Choice {
	out := []Choice{{Value: "", Label: t.T("moderation.filter_all")}}
	for _, c := range all {
		if c.Archived() && counts[c.ID] == 0 {
			continue
		}
		out = append(out, Choice{Value: c.ID, Label: t.T("moderation.option", "Title", c.Title, "Count", t.Number(counts[c.ID]))})
	}
	return out
}

// cards turns a page of greetings into cards.
func (s *Server) cards(t *i18n.Localizer, p letters.Page, byID map[string]*campaign.Campaign, all bool) []GreetingCard {
	out := make([]GreetingCard, len(p.Items))
	for i, it := range p.Items {
		loc := time.UTC
		title := ""
		if camp, ok := byID[it.CampaignID]; ok {
			loc, title = camp.Location(), camp.Title
		}
		card := GreetingCard{
			ID: it.ID, Text: it.Text, Lang: it.Language,
			Received: t.T("moderation.received", "DateTime", t.DateTime(it.CreatedAt.In(loc))),
		}
		if all {
			card.Campaign = title
		}
		name := s.langName(t, it.Language)
		switch {
		case it.Language == "":
			card.Language = name
		case it.LanguageCorrected:
			card.Language = t.T("moderation.language_set", "Language", name)
		default:
			card.Language = t.T("moderation.language_detected", "Language", name)
		}
		if it.Author.Name == "" {
			card.Author = t.T("moderation.anonymous")
		} else {
			card.Author = t.T("moderation.by", "Name", it.Author.Name)
		}
		var place []string
		if it.Author.City != "" {
			place = append(place, it.Author.City)
		}
		if it.Author.Country != "" {
			place = append(place, s.deps.Countries.Name(t.Tag(), it.Author.Country))
		}
		card.Place = strings.Join(place, ", ")
		for _, f := range it.Flags {
			card.Flags = append(card.Flags, Choice{Value: string(f), Label: t.T("moderation.flag." + string(f)),
				Help: t.T("moderation.flag_help." + string(f))})
		}
		for _, l := range it.Languages {
			card.Into = append(card.Into, Choice{Value: l, Label: s.langName(t, l)})
		}
		if i+1 < len(p.Items) {
			card.Next = p.Items[i+1].ID
		} else if i > 0 {
			card.Next = p.Items[i-1].ID
		}
		out[i] = card
	}
	return out
}

func (s *Server) moderationQueue(c *fiber.Ctx) error {
	st, cur, err := listState(c.Query("campaign"), c.Query("after"))
	if err != nil {
		return err
	}
	return s.renderQueue(c, fiber.StatusOK, st, cur, nil)
}

func (s *Server) renderQueue(c *fiber.Ctx, status int, st ListState, cur letters.Cursor, problem *cardProblem) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	byID, all, err := s.filteredCampaigns(ctx, st.Campaign)
	if err != nil {
		return err
	}
	pending, err := s.deps.Moderation.PendingCounts(ctx)
	if err != nil {
		return err
	}
	p := ModerationPage{AdminPage: s.adminPage(c, t.T("moderation.title"))}
	p.Pending = pendingIn(pending, st.Campaign)
	names, err := s.deps.Moderation.PendingNameCounts(ctx)
	if err != nil {
		return err
	}
	for id, n := range names {
		if st.Campaign == "" || st.Campaign == id {
			p.NamesPending += n
		}
	}
	page, err := s.deps.Moderation.Queue(ctx, st.Campaign, cur, queuePage)
	if err != nil {
		return err
	}
	st.Options = filterOptions(t, all, pending)
	s.pageLinks(&st, "/admin/moderation", page)
	p.List = st
	p.Cards = s.cards(t, page, byID, st.Campaign == "")
	for i, it := range page.Items {
		if !it.Flagged {
			p.Unflagged = append(p.Unflagged, it.ID)
		}
		if problem != nil && problem.id == it.ID {
			p.Cards[i].Errors, p.Cards[i].Reason = problem.errors, problem.reason
		}
	}
	p.UnflaggedCount = int64(len(p.Unflagged))
	for _, r := range letters.Reasons {
		p.Reasons = append(p.Reasons, Choice{Value: string(r), Label: t.T("moderation.reason." + string(r))})
	}
	p.Languages = []Choice{{Value: "", Label: t.T("moderation.language_unknown")}}
	for _, l := range letters.Languages {
		p.Languages = append(p.Languages, Choice{Value: l, Label: s.langName(t, l)})
	}
	for _, f := range letters.Flags {
		p.Legend = append(p.Legend, Choice{Value: string(f), Label: t.T("moderation.flag." + string(f)), Help: t.T("moderation.flag_help." + string(f))})
	}
	return s.render(c, status, "admin/moderation", p)
}

// pageLinks sets the links to the next and the first page.
func (s *Server) pageLinks(st *ListState, path string, page letters.Page) {
	if !page.Next.IsZero() {
		next := *st
		next.After = page.Next.String()
		st.NextHref = listHref(path, next, "", "")
	}
	if st.After != "" {
		first := *st
		first.After = ""
		st.FirstHref = listHref(path, first, "", "")
	}
}

// decided answers a decision on a greeting that failed because it is gone
// or decided already.
func (s *Server) decided(c *fiber.Ctx, path, prefix string, err error) error {
	switch {
	case errors.Is(err, letters.ErrNotFound):
		return fiber.ErrNotFound
	case errors.Is(err, letters.ErrDecided):
		return s.backTo(c, path, "already_decided", prefix)
	}
	return err
}

func (s *Server) moderationApprove(c *fiber.Ctx) error {
	ctx := c.UserContext()
	g, err := s.deps.Moderation.Approve(ctx, c.Params("id"))
	if err != nil {
		return s.decided(c, "/admin/moderation", "g-", err)
	}
	if err := s.recordGreeting(c, audit.GreetingDecided, g.CampaignID, "approved"); err != nil {
		return err
	}
	return s.backTo(c, "/admin/moderation", "greeting_approved", "g-")
}

func (s *Server) moderationReject(c *fiber.Ctx) error {
	ctx := c.UserContext()
	reason := letters.Reason(formValue(c, "reason"))
	if !reason.Valid() {
		return s.queueProblem(c, &cardProblem{id: c.Params("id"),
			errors: map[string]string{"reason": s.localizer(c).T("moderation.reason_missing")}})
	}
	g, err := s.deps.Moderation.Reject(ctx, c.Params("id"), reason)
	if err != nil {
		return s.decided(c, "/admin/moderation", "g-", err)
	}
	if err := s.recordGreeting(c, audit.GreetingDecided, g.CampaignID, "rejected: "+string(reason)); err != nil {
		return err
	}
	return s.backTo(c, "/admin/moderation", "greeting_rejected", "g-")
}

// queueProblem shows the queue again, where the form was posted from, with
// the problem next to the card's field.
func (s *Server) queueProblem(c *fiber.Ctx, problem *cardProblem) error {
	st, cur, err := listState(formValue(c, "campaign"), formValue(c, "after"))
	if err != nil {
		return err
	}
	problem.reason = formValue(c, "reason")
	return s.renderQueue(c, fiber.StatusUnprocessableEntity, st, cur, problem)
}

func (s *Server) moderationLanguage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	g, before, err := s.deps.Moderation.SetLanguage(ctx, id, formValue(c, "language"))
	if errors.Is(err, letters.ErrInvalidLanguage) {
		return s.queueProblem(c, &cardProblem{id: id, errors: map[string]string{"language": s.localizer(c).T("moderation.language_invalid")}})
	}
	if err != nil {
		return s.decided(c, "/admin/moderation", "g-", err)
	}
	detail := fmt.Sprintf("language: %s → %s", orUnknown(before), orUnknown(g.Language))
	if err := s.recordGreeting(c, audit.GreetingDecided, g.CampaignID, detail); err != nil {
		return err
	}
	// Stay at this card: the moderator corrected it and decides next.
	st, _, _ := listState(formValue(c, "campaign"), formValue(c, "after"))
	return c.Redirect(listHref("/admin/moderation", st, "language_changed", "g-"+id), fiber.StatusSeeOther)
}

func orUnknown(lang string) string {
	if lang == "" {
		return "unknown"
	}
	return lang
}

// maxBulk bounds the IDs of one bulk approval: a page shows queuePage.
const maxBulk = 4 * queuePage

func (s *Server) moderationBulkApprove(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var ids []string
	for _, v := range c.Request().PostArgs().PeekMulti("id") {
		ids = append(ids, string(v))
	}
	if len(ids) > maxBulk {
		return fiber.NewError(fiber.StatusBadRequest, "too many greetings in one bulk approval")
	}
	approved, err := s.deps.Moderation.ApproveUnflagged(ctx, ids)
	// Record what was approved even when a later one failed.
	byID, _, lerr := s.campaignsByID(ctx)
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	for _, g := range approved {
		if rerr := s.record(c, audit.GreetingDecided, auditTarget(byID, g.CampaignID), "approved (bulk)"); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if err != nil {
		return err
	}
	st, _, err := listState(formValue(c, "campaign"), formValue(c, "after"))
	if err != nil {
		st = ListState{Campaign: formValue(c, "campaign")}
	}
	return c.Redirect(listHref("/admin/moderation", st, "greetings_approved", ""), fiber.StatusSeeOther)
}

// recordGreeting audits a change to a greeting of a campaign. The target
// is the campaign, never the supporter.
func (s *Server) recordGreeting(c *fiber.Ctx, action audit.Action, campaignID, detail string) error {
	byID, _, err := s.campaignsByID(c.UserContext())
	if err != nil {
		return err
	}
	return s.record(c, action, auditTarget(byID, campaignID), detail)
}

// pendingIn adds up the waiting counts of pending (by campaign ID) for the
// campaign a queue page shows, or for all when campaignID is "".
func pendingIn(pending map[string]int64, campaignID string) int64 {
	if campaignID != "" {
		return pending[campaignID]
	}
	var n int64
	for _, c := range pending {
		n += c
	}
	return n
}
