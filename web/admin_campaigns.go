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
)

// consoleStatus is a campaign's status as the console shows it: archived
// campaigns first of all archived.
func consoleStatus(c *campaign.Campaign, now time.Time) string {
	if c.Archived() {
		return "archived"
	}
	return string(c.Status(now))
}

// campaignNav is the sub-navigation of a campaign's console pages: edit,
// texts in other languages, preview, signatures, statistics and paper signatures. Every page about
// one campaign shows it.
func (s *Server) campaignNav(c *fiber.Ctx, camp *campaign.Campaign) []NavItem {
	t := s.localizer(c)
	base := "/admin/campaigns/" + url.PathEscape(camp.ID)
	items := []struct{ href, label string }{
		{base, "admin.campaign.nav.edit"},
		{base + "/texts", "admin.campaign.nav.texts"},
		{base + "/preview", "admin.campaign.nav.preview"},
		{base + "/signatures", "admin.campaign.nav.signatures"},
		{base + "/bursts", "abuse2.nav.bursts"},
		{base + "/stats", "admin.campaign.nav.stats"},
		{base + "/paper", "admin.campaign.nav.paper"},
		{base + "/bundle", "admin.campaign.nav.bundle"},
		{base + "/delivery", "delivery.nav"},
		{base + "/embed", "admin.campaign.nav.embed"},
	}
	out := make([]NavItem, len(items))
	for i, it := range items {
		out[i] = NavItem{Href: it.href, Label: t.T(it.label), Current: c.Path() == it.href}
	}
	return out
}

// CampaignListPage lists every campaign, archived ones last.
type CampaignListPage struct {
	AdminPage
	Rows []CampaignRow
	// Occasions are the birthdays and New Year coming, to prepare a
	// campaign for (admin_occasions.go).
	Occasions []OccasionView
}

// CampaignRow is one campaign in the console's list.
type CampaignRow struct {
	ID, Slug, Title string
	Status          string // a campaign.Status or "archived"
	Public          bool
	Count, Goal     int64
	Opens, Closes   string
	Recipient       string
	// Unlisted is set when the campaign is reachable by its link only.
	Unlisted bool
}

func (s *Server) campaignList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := s.deps.Signing.All(ctx)
	if err != nil {
		return err
	}
	recipients, err := s.deps.Signing.Recipients(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(recipients))
	for _, r := range recipients {
		names[r.ID] = r.Name
	}
	// All sorts by status; archived campaigns go last, in the same order.
	slices.SortStableFunc(all, func(a, b campaign.Campaign) int {
		switch {
		case a.Archived() == b.Archived():
			return 0
		case a.Archived():
			return 1
		}
		return -1
	})
	t := s.localizer(c)
	now := s.cfg.Now()
	p := CampaignListPage{AdminPage: s.adminPage(c, t.T("admin.campaigns.title")), Occasions: s.occasionViews(t)}
	for i := range all {
		camp := &all[i]
		loc := camp.Location()
		row := CampaignRow{
			ID: camp.ID, Slug: camp.Slug, Title: camp.Title, Status: consoleStatus(camp, now), Public: camp.Public(now),
			Count: s.deps.Signing.Count(camp.ID), Goal: int64(camp.Goal),
			Opens: t.T("admin.campaigns.not_scheduled"), Closes: t.DateTime(camp.ClosesAt.In(loc)),
			Recipient: names[camp.RecipientID], Unlisted: camp.Unlisted,
		}
		if camp.IsDrive() {
			row.Recipient = driveNames(camp, names)
		}
		if !camp.OpensAt.IsZero() {
			row.Opens = t.DateTime(camp.OpensAt.In(loc))
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(c, fiber.StatusOK, "admin/campaigns", p)
}

// CampaignEditPage is the form to create or edit a campaign, with the
// campaign's status and the actions it allows.
type CampaignEditPage struct {
	AdminPage
	FormState
	New        bool
	Campaign   *campaign.Campaign // the stored campaign; nil for a new one
	Action     string             // where the form posts
	Sub        []NavItem
	Form       CampaignForm
	Recipients []campaign.Recipient
	Zones      []string
	// Languages are those a campaign can be written in: the catalog's,
	// since the letter's closing line is printed in it.
	Languages []LanguageOption
	// Proposal says which closing date the deadline helper proposed.
	Proposal string
	State    CampaignState
	// DriveOptions are the recipients a drive may write to, as
	// DriveFilter narrows them; Statuses are the filter's choices.
	DriveOptions []DriveRecipientOption
	DriveFilter  DriveFilter
	Statuses     []string
}

// CampaignState describes a stored campaign's status and what can be done
// with it now.
type CampaignState struct {
	Status      string
	Explanation string
	PublicURL   string
	OldSlugs    []string
	Count       int64
	// Pending is how many signatures wait for their address's
	// confirmation; ShowPending is set where the campaign asks for it or
	// some wait.
	Pending     int64
	ShowPending bool
	CanSchedule bool
	CanClose    bool
	Archived    bool
	// ScheduleDate, ScheduleTime and ScheduleError are the schedule form's.
	ScheduleDate, ScheduleTime, ScheduleError string
}

func (s *Server) campaignNew(c *fiber.Ctx) error {
	// New campaigns count a signature once its address is confirmed.
	camp := &campaign.Campaign{TimeZone: "UTC", Greetings: campaign.Greetings{Enabled: true, MaxLength: campaign.DefaultGreetingMax}, ConfirmEmail: true}
	// The zone of the newest campaign is the likeliest one.
	all, err := s.deps.Signing.All(c.UserContext())
	if err != nil {
		return err
	}
	var newest time.Time
	for _, other := range all {
		if other.CreatedAt.After(newest) || newest.IsZero() {
			newest, camp.TimeZone = other.CreatedAt, other.TimeZone
		}
	}
	if c.Query("occasion") != "" {
		// A campaign for a birthday or New Year (admin_occasions.go): by
		// the organizer of the newest campaign, likely the same.
		for _, other := range all {
			if other.CreatedAt.Equal(newest) {
				camp.OrganizerName, camp.ReturnAddress = other.OrganizerName, other.ReturnAddress
			}
		}
		form, err := s.occasionForm(c, s.localizer(c), camp)
		if err != nil {
			return err
		}
		return s.renderCampaignForm(c, fiber.StatusOK, nil, form, nil, "")
	}
	return s.renderCampaignForm(c, fiber.StatusOK, nil, campaignFormOf(camp), nil, "")
}

func (s *Server) campaignEdit(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	var st CampaignState
	if camp.OpensAt.IsZero() {
		// A copy's opening a year on, proposed (admin_occasions.go).
		st.ScheduleDate, st.ScheduleTime = proposedOpening(c)
	}
	return s.renderCampaignPage(c, fiber.StatusOK, camp, campaignFormOf(camp), nil, "", st)
}

// renderCampaignForm draws the campaign form; stored is nil for a new
// campaign.
func (s *Server) renderCampaignForm(c *fiber.Ctx, status int, stored *campaign.Campaign, form CampaignForm, probs []campaign.FieldError, proposal string) error {
	return s.renderCampaignPage(c, status, stored, form, probs, proposal, CampaignState{})
}

func (s *Server) renderCampaignPage(c *fiber.Ctx, status int, stored *campaign.Campaign, form CampaignForm, probs []campaign.FieldError, proposal string, state CampaignState) error {
	recipients, err := s.deps.Signing.Recipients(c.UserContext())
	if err != nil {
		return err
	}
	t := s.localizer(c)
	hints := map[string]string{
		"slug":          t.T("admin.campaign.f.slug_hint"),
		"summary":       t.T("admin.campaign.f.summary_hint"),
		"letter":        t.T("admin.campaign.f.letter_hint"),
		"share":         t.T("admin.campaign.f.share_hint", "Limit", t.Number(campaign.ShareMax)),
		"language":      t.T("admin.campaign.f.language_hint"),
		"goal":          t.T("admin.campaign.f.goal_hint"),
		"opens":         t.T("admin.campaign.f.opens_hint"),
		"time_zone":     t.T("admin.campaign.f.time_zone_hint"),
		"greetings_max": t.T("admin.campaign.f.greetings_max_hint", "Limit", t.Number(campaign.GreetingMaxHigh)),
		"arrival":       t.T("admin.campaign.f.arrival_hint"),
		"embed_origins": t.T("admin.campaign.f.embed_origins_hint"),
		"at_risk":       t.T("admin.campaign.f.at_risk_hint"),
	}
	anchor := func(field string) string {
		switch field {
		case "opens":
			return "opens_date"
		case "closes":
			if form.CloseMode == closeExact {
				return "closes_date"
			}
			return "before_date"
		case "arrival":
			return "arrival_date"
		}
		return field
	}
	p := CampaignEditPage{
		FormState: s.formState(t, probs, hints, anchor),
		New:       stored == nil, Campaign: stored, Form: form, Recipients: recipients, Proposal: proposal,
		Action: "/admin/campaigns/new",
	}
	zones := CommonZones
	if _, _, ok := form.zone(); ok && form.ZoneOther == "" && !slices.Contains(zones, form.Zone) {
		zones = append([]string{form.Zone}, zones...)
	}
	p.Zones = zones
	p.Languages = s.languageOptions()
	p.DriveOptions, p.DriveFilter = s.driveOptions(c, recipients, form.Drive.Recipients)
	p.Statuses = driveStatuses
	if stored == nil {
		p.AdminPage = s.adminPage(c, t.T("admin.campaign.new_title"))
		if len(probs) > 0 {
			p.Title = t.T("admin.form.error_title", "Title", p.Title)
		}
		return s.render(c, status, "admin/campaign_edit", p)
	}
	p.AdminPage = s.adminPage(c, t.T("admin.campaign.edit_title", "Title", stored.Title))
	if len(probs) > 0 || state.ScheduleError != "" {
		p.Title = t.T("admin.form.error_title", "Title", p.Title)
	}
	p.Action = "/admin/campaigns/" + url.PathEscape(stored.ID)
	p.Sub = s.campaignNav(c, stored)
	p.State = s.campaignState(c, stored, state)
	return s.render(c, status, "admin/campaign_edit", p)
}

// campaignState describes the stored campaign's status; st carries the
// schedule form's values and error, if any.
func (s *Server) campaignState(c *fiber.Ctx, camp *campaign.Campaign, st CampaignState) CampaignState {
	t := s.localizer(c)
	now := s.cfg.Now()
	loc := camp.Location()
	status := camp.Status(now)
	st.Status = consoleStatus(camp, now)
	st.Count = s.deps.Signing.Count(camp.ID)
	// A count that fails leaves the line out: the page is for more.
	if n, err := s.deps.Signing.CountPending(c.UserContext(), camp.ID); err != nil {
		s.reqLog(c).Error("count pending signatures", "campaign", camp.ID, "error", err)
	} else {
		st.Pending, st.ShowPending = n, camp.ConfirmEmail || n > 0
	}
	st.OldSlugs = camp.OldSlugs
	st.Archived = camp.Archived()
	st.CanSchedule = status == campaign.StatusDraft || status == campaign.StatusScheduled
	st.CanClose = status == campaign.StatusOpen
	if camp.Public(now) {
		st.PublicURL = "/c/" + url.PathEscape(camp.Slug)
	}
	opens, closes := t.DateTime(camp.OpensAt.In(loc)), t.DateTime(camp.ClosesAt.In(loc))
	switch {
	case st.Archived:
		st.Explanation = t.T("admin.campaign.state.archived")
	case status == campaign.StatusDraft:
		st.Explanation = t.T("admin.campaign.state.draft")
	case status == campaign.StatusScheduled:
		st.Explanation = t.T("admin.campaign.state.scheduled", "Opens", opens, "Closes", closes)
	case status == campaign.StatusOpen:
		st.Explanation = t.T("admin.campaign.state.open", "Closes", closes)
	default:
		st.Explanation = t.T("admin.campaign.state.closed", "Closes", closes)
	}
	if st.ScheduleDate == "" && st.ScheduleError == "" && !camp.OpensAt.IsZero() {
		o := camp.OpensAt.In(loc)
		st.ScheduleDate, st.ScheduleTime = o.Format(time.DateOnly), o.Format("15:04")
	}
	return st
}

func (s *Server) campaignCreate(c *fiber.Ctx) error {
	return s.saveCampaign(c, nil)
}

func (s *Server) campaignUpdate(c *fiber.Ctx) error {
	stored, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.saveCampaign(c, stored)
}

// versionOf is the form's version of a stored campaign.
func versionOf(camp *campaign.Campaign) string {
	return strconv.FormatInt(camp.UpdatedAt.UnixMilli(), 10)
}

// staleCampaignForm refuses a save over a campaign changed since the form
// was opened: 409, the organizer's text kept, and the form now carries
// the current version, so saving again overwrites on purpose.
func (s *Server) staleCampaignForm(c *fiber.Ctx, current *campaign.Campaign, form CampaignForm) error {
	form.Version = versionOf(current)
	probs := []campaign.FieldError{{Field: "title", Problem: campaign.ProblemStale}}
	return s.renderCampaignForm(c, fiber.StatusConflict, current, form, probs, "")
}

// saveCampaign handles the campaign form: the deadline helper's proposal,
// or saving a new (stored nil) or edited campaign.
func (s *Server) saveCampaign(c *fiber.Ctx, stored *campaign.Campaign) error {
	ctx := c.UserContext()
	form := readCampaignForm(c)
	form.Kind, form.Drive = formValue(c, "kind"), s.readDriveForm(c)
	if formValue(c, "action") == "propose" {
		return s.proposeDeadline(c, stored, form)
	}
	recipients, err := s.deps.Signing.Recipients(ctx)
	if err != nil {
		return err
	}
	camp := &campaign.Campaign{}
	if stored != nil {
		cp := *stored
		camp = &cp
	}
	if stored != nil && form.Version != versionOf(stored) {
		return s.staleCampaignForm(c, stored, form)
	}
	probs := form.apply(camp, recipients)
	if _, ok := s.deps.Messages.Supported(form.Language); !ok && form.Language != "" && !slices.ContainsFunc(probs, func(p campaign.FieldError) bool { return p.Field == "language" }) {
		probs = append(probs, campaign.FieldError{Field: "language", Problem: campaign.ProblemLanguage})
	}
	if len(probs) > 0 {
		return s.renderCampaignForm(c, fiber.StatusUnprocessableEntity, stored, form, probs, "")
	}
	var before *campaign.Campaign
	if stored == nil {
		err = s.deps.Signing.CreateCampaign(ctx, camp)
	} else {
		before, err = s.deps.Signing.UpdateCampaign(ctx, camp)
	}
	var verr *campaign.ValidationError
	switch {
	case errors.Is(err, campaign.ErrConflict):
		fresh, ferr := s.deps.Signing.Campaign(ctx, stored.ID)
		if ferr != nil {
			return ferr
		}
		return s.staleCampaignForm(c, fresh, form)
	case errors.Is(err, campaign.ErrDuplicate):
		probs = []campaign.FieldError{{Field: "slug", Problem: campaign.ProblemTaken}}
		return s.renderCampaignForm(c, fiber.StatusUnprocessableEntity, stored, form, probs, "")
	case errors.As(err, &verr):
		return s.renderCampaignForm(c, fiber.StatusUnprocessableEntity, stored, form, verr.Fields, "")
	case err != nil:
		return err
	}
	if before == nil {
		if err := s.record(c, audit.CampaignCreated, camp.Slug, camp.Title); err != nil {
			return err
		}
		return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?done=campaign_created", fiber.StatusSeeOther)
	}
	if changed := campaign.ChangedFields(before, camp); len(changed) > 0 {
		detail := "edited: " + strings.Join(changed, ", ")
		if before.Slug != camp.Slug {
			detail += " (slug was " + before.Slug + ")"
		}
		if err := s.record(c, audit.CampaignChanged, camp.Slug, detail); err != nil {
			return err
		}
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?done=campaign_saved", fiber.StatusSeeOther)
}

// proposeDeadline fills in the "sign before" date from the day the letters
// should arrive and the days printing and post take, and shows the form
// again without saving.
func (s *Server) proposeDeadline(c *fiber.Ctx, stored *campaign.Campaign, form CampaignForm) error {
	t := s.localizer(c)
	var probs []campaign.FieldError
	days := DefaultTransitDays
	if form.TransitDays != "" {
		n, err := strconv.Atoi(form.TransitDays)
		if err != nil || n < 0 || n > 366 {
			probs = append(probs, campaign.FieldError{Field: "transit_days", Problem: campaign.ProblemNumber, Limit: 366})
		}
		days = n
	} else {
		form.TransitDays = strconv.Itoa(days)
	}
	name, loc, ok := form.zone()
	if !ok {
		probs = append(probs, campaign.FieldError{Field: "time_zone", Problem: campaign.ProblemTimeZone})
	}
	switch {
	case form.ArrivalDate == "":
		probs = append(probs, campaign.FieldError{Field: "arrival", Problem: campaign.ProblemRequired})
	case len(probs) == 0:
		closes, err := campaign.ProposeDeadline(form.ArrivalDate, days, name)
		if err != nil {
			probs = append(probs, campaign.FieldError{Field: "arrival", Problem: campaign.ProblemDate})
			break
		}
		form.CloseMode = closeBefore
		form.BeforeDate = closes.In(loc).Format(time.DateOnly)
		arrival, _ := time.Parse(time.DateOnly, form.ArrivalDate)
		proposal := t.N("admin.campaign.proposed", int64(days), "Date", t.Date(closes.In(loc)), "Arrival", t.Date(arrival))
		return s.renderCampaignForm(c, fiber.StatusOK, stored, form, nil, proposal)
	}
	return s.renderCampaignForm(c, fiber.StatusUnprocessableEntity, stored, form, probs, "")
}

// campaignSchedule sets when a draft or scheduled campaign opens: at the
// given date and time, now, or never (back to draft).
func (s *Server) campaignSchedule(c *fiber.Ctx) error {
	ctx := c.UserContext()
	t := s.localizer(c)
	stored, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	loc := stored.Location()
	st := CampaignState{ScheduleDate: strings.TrimSpace(formValue(c, "opens_date")), ScheduleTime: strings.TrimSpace(formValue(c, "opens_time"))}
	var opens time.Time
	var detail string
	switch formValue(c, "action") {
	case "now":
		opens = s.cfg.Now()
		detail = "opened now"
	case "draft":
		detail = "back to draft"
	default:
		var ok bool
		opens, ok = localTime(st.ScheduleDate, st.ScheduleTime, loc)
		if st.ScheduleDate == "" || !ok {
			st.ScheduleError = t.T("admin.campaign.schedule.bad_date")
			return s.renderCampaignPage(c, fiber.StatusUnprocessableEntity, stored, campaignFormOf(stored), nil, "", st)
		}
		detail = "scheduled to open " + opens.In(loc).Format("2006-01-02 15:04") + " " + stored.TimeZone
	}
	camp, err := s.deps.Signing.Schedule(ctx, stored.ID, opens)
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		st.ScheduleError = t.T("admin.campaign.schedule.after_close")
		return s.renderCampaignPage(c, fiber.StatusUnprocessableEntity, stored, campaignFormOf(stored), nil, "", st)
	case errors.Is(err, campaign.ErrWrongStatus):
		return fiber.NewError(fiber.StatusConflict, "the campaign has opened already")
	case err != nil:
		return err
	}
	if err := s.record(c, audit.CampaignChanged, camp.Slug, detail); err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?done=campaign_scheduled", fiber.StatusSeeOther)
}

// CampaignClosePage asks to confirm closing a campaign early.
type CampaignClosePage struct {
	AdminPage
	Sub      []NavItem
	Campaign *campaign.Campaign
	Count    int64
	Closes   string // the planned closing time
	Now      string
}

func (s *Server) campaignCloseForm(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if camp.Status(s.cfg.Now()) != campaign.StatusOpen {
		return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID), fiber.StatusSeeOther)
	}
	t := s.localizer(c)
	loc := camp.Location()
	p := CampaignClosePage{
		AdminPage: s.adminPage(c, t.T("admin.campaign.close.title", "Title", camp.Title)),
		Sub:       s.campaignNav(c, camp), Campaign: camp, Count: s.deps.Signing.Count(camp.ID),
		Closes: t.DateTime(camp.ClosesAt.In(loc)), Now: t.DateTime(s.cfg.Now().In(loc)),
	}
	return s.render(c, fiber.StatusOK, "admin/campaign_close", p)
}

func (s *Server) campaignClose(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.CloseNow(c.UserContext(), c.Params("id"))
	switch {
	case errors.Is(err, campaign.ErrWrongStatus):
		return fiber.NewError(fiber.StatusConflict, "the campaign is not open")
	case err != nil:
		return err
	}
	if err := s.record(c, audit.CampaignChanged, camp.Slug, "closed early"); err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?done=campaign_closed", fiber.StatusSeeOther)
}

func (s *Server) campaignArchive(archived bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		camp, err := s.deps.Signing.SetArchived(c.UserContext(), c.Params("id"), archived)
		if err != nil {
			return err
		}
		what := "unarchived"
		if archived {
			what = "archived"
		}
		if err := s.record(c, audit.CampaignChanged, camp.Slug, what); err != nil {
			return err
		}
		return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?done=campaign_"+what, fiber.StatusSeeOther)
	}
}

// CampaignPreviewPage shows the public campaign page as it will look, with
// the sign form disabled.
type CampaignPreviewPage struct {
	AdminPage
	Sub     []NavItem
	Article CampaignArticle
	// Banner says that this is a preview and where the campaign stands.
	Banner string
	ID     string
}

func (s *Server) campaignPreview(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	v, err := s.campaignView(c, camp)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	now := s.cfg.Now()
	status := camp.Status(now)
	// A campaign that has not opened is shown as it will look when it does.
	if status == campaign.StatusDraft || status == campaign.StatusScheduled {
		v.Open = true
	}
	article := s.campaignArticle(c, camp, v, SignForm{})
	article.Preview = true
	p := CampaignPreviewPage{
		AdminPage: s.adminPage(c, t.T("admin.preview.title", "Title", camp.Title)),
		Sub:       s.campaignNav(c, camp), Article: article, ID: camp.ID,
		Banner: t.T("admin.preview.banner." + consoleStatus(camp, now)),
	}
	return s.render(c, fiber.StatusOK, "admin/campaign_preview", p)
}
