package web

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// campaignRoutes declares the campaign and recipient pages; organizers
// only.
func (s *Server) campaignRoutes(admin fiber.Router) {
	org := s.allow(organizers...)
	admin.Get("/campaigns", org, s.campaignList)
	admin.Get("/campaigns/new", org, s.campaignNew)
	admin.Post("/campaigns/new", org, s.campaignCreate)
	admin.Get("/campaigns/:id", org, s.campaignEdit)
	admin.Post("/campaigns/:id", org, s.campaignUpdate)
	admin.Get("/campaigns/:id/preview", org, s.campaignPreview)
	admin.Post("/campaigns/:id/schedule", org, s.campaignSchedule)
	admin.Get("/campaigns/:id/close", org, s.campaignCloseForm)
	admin.Post("/campaigns/:id/close", org, s.campaignClose)
	admin.Post("/campaigns/:id/archive", org, s.campaignArchive(true))
	admin.Post("/campaigns/:id/unarchive", org, s.campaignArchive(false))
	admin.Get("/recipients", org, s.recipientList)
	admin.Get("/recipients/new", org, s.recipientNew)
	admin.Post("/recipients/new", org, s.recipientSave)
	admin.Get("/recipients/:id", org, s.recipientEdit)
	admin.Post("/recipients/:id", org, s.recipientSave)
}

// DashboardPage is the console's start page: every campaign at a glance.
type DashboardPage struct {
	AdminPage
	Campaigns   []DashboardRow
	CanManage   bool
	CanModerate bool
	// Organisation asks admins to fill in the organisation profile: "none"
	// when there is none, "demo" while it is the demo's, else empty.
	Organisation string
}

// DashboardRow is one campaign on the dashboard.
type DashboardRow struct {
	ID, Slug, Title string
	Status          campaign.Status
	Count, Pending  int64
	// Names counts the held names and cities waiting for a moderator.
	Names  int64
	Closes string
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	all, err := s.deps.Signing.All(ctx)
	if err != nil {
		return err
	}
	pending, err := s.deps.Moderation.PendingCounts(ctx)
	if err != nil {
		return err
	}
	names, err := s.deps.Moderation.PendingNameCounts(ctx)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	u := currentUser(c)
	p := DashboardPage{
		AdminPage:   s.adminPage(c, t.T("admin.dashboard.title")),
		CanManage:   roleIn(u, organizers),
		CanModerate: roleIn(u, moderators),
	}
	if u.Role == account.RoleAdmin {
		p.Organisation = organisationNotice(s.deps.Site)
	}
	now := s.cfg.Now()
	for _, camp := range all {
		if camp.Archived() {
			continue // the campaigns page lists them
		}
		p.Campaigns = append(p.Campaigns, DashboardRow{
			ID: camp.ID, Slug: camp.Slug, Title: camp.Title, Status: camp.Status(now),
			Count: s.deps.Signing.Count(camp.ID), Pending: pending[camp.ID], Names: names[camp.ID],
			Closes: t.DateTime(camp.ClosesAt.In(camp.Location())),
		})
	}
	return s.render(c, fiber.StatusOK, "admin/dashboard", p)
}

// consoleStatus is a campaign's status as the console shows it: archived
// campaigns first of all archived.
func consoleStatus(c *campaign.Campaign, now time.Time) string {
	if c.Archived() {
		return "archived"
	}
	return string(c.Status(now))
}

// campaignNav is the sub-navigation of a campaign's console pages: edit,
// preview, signatures, statistics and paper signatures. Every page about
// one campaign shows it.
func (s *Server) campaignNav(c *fiber.Ctx, camp *campaign.Campaign) []NavItem {
	t := s.localizer(c)
	base := "/admin/campaigns/" + url.PathEscape(camp.ID)
	items := []struct{ href, label string }{
		{base, "admin.campaign.nav.edit"},
		{base + "/preview", "admin.campaign.nav.preview"},
		{base + "/signatures", "admin.campaign.nav.signatures"},
		{base + "/stats", "admin.campaign.nav.stats"},
		{base + "/paper", "admin.campaign.nav.paper"},
		{base + "/bundle", "admin.campaign.nav.bundle"},
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
}

// CampaignRow is one campaign in the console's list.
type CampaignRow struct {
	ID, Slug, Title string
	Status          string // a campaign.Status or "archived"
	Public          bool
	Count, Goal     int64
	Opens, Closes   string
	Recipient       string
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
	p := CampaignListPage{AdminPage: s.adminPage(c, t.T("admin.campaigns.title"))}
	for i := range all {
		camp := &all[i]
		loc := camp.Location()
		row := CampaignRow{
			ID: camp.ID, Slug: camp.Slug, Title: camp.Title, Status: consoleStatus(camp, now), Public: camp.Public(now),
			Count: s.deps.Signing.Count(camp.ID), Goal: int64(camp.Goal),
			Opens: t.T("admin.campaigns.not_scheduled"), Closes: t.DateTime(camp.ClosesAt.In(loc)),
			Recipient: names[camp.RecipientID],
		}
		if !camp.OpensAt.IsZero() {
			row.Opens = t.DateTime(camp.OpensAt.In(loc))
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(c, fiber.StatusOK, "admin/campaigns", p)
}

// CommonZones are the time zones offered first on the campaign form; any
// other IANA name may be typed in.
var CommonZones = []string{
	"Europe/Minsk", "Europe/Moscow", "Europe/Kyiv", "Europe/Vilnius", "Europe/Riga", "Europe/Tallinn",
	"Europe/Warsaw", "Europe/Berlin", "Europe/Prague", "Europe/Paris", "Europe/London", "Europe/Stockholm",
	"Europe/Helsinki", "Europe/Istanbul", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Baku", "Asia/Almaty",
	"Asia/Tashkent", "Asia/Tehran", "Asia/Hong_Kong", "America/New_York", "America/Los_Angeles",
	"America/Havana", "America/Caracas", "America/Managua", "UTC",
}

// DefaultTransitDays is what the deadline helper assumes printing and post
// take, unless the organizer says otherwise.
const DefaultTransitDays = 14

// Closing modes of the campaign form.
const (
	closeBefore = "before" // "sign before" a date: closes as that day begins
	closeExact  = "exact"  // at a date and time
)

// CampaignForm is the campaign form as the organizer typed it.
type CampaignForm struct {
	Slug, Title, Summary, Letter, Organizer, RecipientID, Goal string
	// ReturnAddress is the envelopes' sender address, one line per line.
	ReturnAddress string
	// OpensDate and OpensTime are in the campaign's zone; both empty make
	// a draft.
	OpensDate, OpensTime string
	// CloseMode is closeBefore (BeforeDate) or closeExact (ClosesDate and
	// ClosesTime).
	CloseMode                          string
	BeforeDate, ClosesDate, ClosesTime string
	// Zone is the chosen zone, ZoneOther one typed in, which wins.
	Zone, ZoneOther                   string
	GreetingsEnabled, GreetingsPublic bool
	GreetingsMax                      string
	// EmbedOrigins are the sites that may embed the widget, one per line.
	EmbedOrigins string
	// AtRisk are the codes of the countries whose signers are at risk;
	// AtRiskSent is false for a form posted without the field, which
	// keeps the stored list.
	AtRisk     string
	AtRiskSent bool
	// ArrivalDate and TransitDays are the deadline helper's.
	ArrivalDate, TransitDays string
	// Version is when the campaign the form was filled from was last
	// saved (Unix milliseconds): a save over a newer one is refused.
	Version string
}

// campaignFormOf fills the form from a stored campaign.
func campaignFormOf(camp *campaign.Campaign) CampaignForm {
	f := CampaignForm{
		Slug: camp.Slug, Title: camp.Title, Summary: camp.Summary, Letter: camp.Letter, Organizer: camp.OrganizerName,
		ReturnAddress: strings.Join(camp.ReturnAddress, "\n"), RecipientID: camp.RecipientID, Zone: camp.TimeZone, CloseMode: closeBefore,
		GreetingsEnabled: camp.Greetings.Enabled, GreetingsPublic: camp.Greetings.ShowPublic,
		GreetingsMax: strconv.Itoa(camp.Greetings.MaxLength), TransitDays: strconv.Itoa(DefaultTransitDays),
		EmbedOrigins: strings.Join(camp.EmbedOrigins, "\n"), Version: versionOf(camp),
		AtRisk: strings.Join(camp.RiskCountries(), " "),
	}
	if camp.Goal > 0 {
		f.Goal = strconv.Itoa(camp.Goal)
	}
	loc := camp.Location()
	if !camp.OpensAt.IsZero() {
		o := camp.OpensAt.In(loc)
		f.OpensDate, f.OpensTime = o.Format(time.DateOnly), o.Format("15:04")
	}
	if !camp.ClosesAt.IsZero() {
		cl := camp.ClosesAt.In(loc)
		y, m, d := cl.Date()
		if campaign.StartOfDay(y, m, d, loc).Equal(camp.ClosesAt) {
			f.BeforeDate = cl.Format(time.DateOnly)
		} else {
			f.CloseMode = closeExact
			f.ClosesDate, f.ClosesTime = cl.Format(time.DateOnly), cl.Format("15:04")
		}
	}
	return f
}

// readCampaignForm reads the posted campaign form.
func readCampaignForm(c *fiber.Ctx) CampaignForm {
	v := func(name string) string { return strings.TrimSpace(formValue(c, name)) }
	text := func(name string) string {
		return strings.TrimSpace(strings.ReplaceAll(formValue(c, name), "\r\n", "\n"))
	}
	return CampaignForm{
		Slug: v("slug"), Title: v("title"), Summary: text("summary"), Letter: text("letter"), Organizer: v("organizer_name"),
		ReturnAddress: text("return_address"), RecipientID: v("recipient_id"), Goal: v("goal"),
		OpensDate: v("opens_date"), OpensTime: v("opens_time"),
		CloseMode: v("close_mode"), BeforeDate: v("before_date"), ClosesDate: v("closes_date"), ClosesTime: v("closes_time"),
		Zone: v("time_zone"), ZoneOther: v("time_zone_other"),
		GreetingsEnabled: formValue(c, "greetings_enabled") != "", GreetingsPublic: formValue(c, "greetings_public") != "",
		GreetingsMax: v("greetings_max"), ArrivalDate: v("arrival_date"), TransitDays: v("transit_days"),
		EmbedOrigins: text("embed_origins"), Version: v("version"),
		AtRisk: v("at_risk"), AtRiskSent: c.Request().PostArgs().Has("at_risk"),
	}
}

// zone is the time zone the form names, and whether it is a valid one.
func (f *CampaignForm) zone() (string, *time.Location, bool) {
	name := f.Zone
	if f.ZoneOther != "" {
		name = f.ZoneOther
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return name, time.UTC, false
	}
	return name, loc, true
}

// localTime reads a date (YYYY-MM-DD) and an optional time (HH:MM, or
// HH:MM:SS as some browsers send it) in loc.
func localTime(date, clock string, loc *time.Location) (time.Time, bool) {
	switch len(clock) {
	case 0:
		clock = "00:00:00"
	case 5:
		clock += ":00"
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", date+" "+clock, loc)
	return t.UTC(), err == nil
}

// sameMinute keeps the stored instant when the form shows it unchanged: the
// form has no seconds.
func sameMinute(stored, typed time.Time) time.Time {
	if !stored.IsZero() && stored.Truncate(time.Minute).Equal(typed) {
		return stored
	}
	return typed
}

// campaignFields is the order of the campaign form's fields, for the error
// summary.
var campaignFields = []string{"slug", "title", "summary", "letter", "organizer_name", "recipient_id", "goal",
	"time_zone", "opens", "closes", "greetings_max", "at_risk", "embed_origins"}

// apply writes the form onto camp and returns what is wrong with it, in
// form order: what could not be read and what the campaign rules refuse.
func (f *CampaignForm) apply(camp *campaign.Campaign, recipients []campaign.Recipient) []campaign.FieldError {
	var probs []campaign.FieldError
	add := func(field string, p campaign.Problem) {
		probs = append(probs, campaign.FieldError{Field: field, Problem: p})
	}
	camp.Slug, camp.Title, camp.Summary, camp.Letter = f.Slug, f.Title, f.Summary, f.Letter
	camp.OrganizerName, camp.RecipientID = f.Organizer, f.RecipientID
	camp.ReturnAddress = nil
	for line := range strings.SplitSeq(f.ReturnAddress, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			camp.ReturnAddress = append(camp.ReturnAddress, line)
		}
	}
	if f.RecipientID != "" && !slices.ContainsFunc(recipients, func(r campaign.Recipient) bool { return r.ID == f.RecipientID }) {
		add("recipient_id", campaign.ProblemUnknown)
	}
	camp.Goal = 0
	if f.Goal != "" {
		n, err := strconv.Atoi(f.Goal)
		if err != nil || n < 0 {
			add("goal", campaign.ProblemNumber)
		}
		camp.Goal = max(n, 0)
	}
	name, loc, ok := f.zone()
	camp.TimeZone = name
	if !ok {
		add("time_zone", campaign.ProblemTimeZone)
	}
	switch {
	case f.OpensDate == "" && f.OpensTime == "":
		camp.OpensAt = time.Time{}
	case f.OpensDate == "":
		add("opens", campaign.ProblemRequired)
	default:
		t, ok := localTime(f.OpensDate, f.OpensTime, loc)
		if !ok {
			add("opens", campaign.ProblemDate)
		}
		camp.OpensAt = sameMinute(camp.OpensAt, t)
	}
	if f.CloseMode != closeExact {
		f.CloseMode = closeBefore
	}
	date, clock := f.BeforeDate, ""
	if f.CloseMode == closeExact {
		date, clock = f.ClosesDate, f.ClosesTime
	}
	switch t, ok := localTime(date, clock, loc); {
	case date == "":
		camp.ClosesAt = time.Time{}
	case !ok:
		add("closes", campaign.ProblemDate)
	case f.CloseMode == closeBefore:
		y, m, d := t.In(loc).Date()
		camp.ClosesAt = campaign.StartOfDay(y, m, d, loc)
	default:
		camp.ClosesAt = sameMinute(camp.ClosesAt, t)
	}
	camp.Greetings.Enabled, camp.Greetings.ShowPublic = f.GreetingsEnabled, f.GreetingsPublic
	if f.GreetingsMax == "" {
		if f.GreetingsEnabled || camp.Greetings.MaxLength <= 0 {
			camp.Greetings.MaxLength = campaign.DefaultGreetingMax
			f.GreetingsMax = strconv.Itoa(campaign.DefaultGreetingMax)
		}
	} else if n, err := strconv.Atoi(f.GreetingsMax); err != nil {
		add("greetings_max", campaign.ProblemNumber)
	} else {
		camp.Greetings.MaxLength = n
	}
	if f.AtRiskSent {
		codes, bad := campaign.ParseCountries(f.AtRisk)
		if len(bad) > 0 {
			add("at_risk", campaign.ProblemCountry)
		}
		camp.AtRisk = codes
	} else {
		f.AtRisk = strings.Join(camp.RiskCountries(), " ")
	}
	camp.EmbedOrigins = nil
	for line := range strings.FieldsSeq(strings.ReplaceAll(f.EmbedOrigins, ",", " ")) {
		o, ok := campaign.ParseOrigin(line)
		if !ok {
			add("embed_origins", campaign.ProblemOrigin)
			break
		}
		if !slices.Contains(camp.EmbedOrigins, o) {
			camp.EmbedOrigins = append(camp.EmbedOrigins, o)
		}
	}
	for _, p := range camp.Problems() {
		if !slices.ContainsFunc(probs, func(q campaign.FieldError) bool { return q.Field == p.Field }) {
			probs = append(probs, p)
		}
	}
	slices.SortStableFunc(probs, func(a, b campaign.FieldError) int {
		return slices.Index(campaignFields, a.Field) - slices.Index(campaignFields, b.Field)
	})
	// The limit of a number problem is the field's own.
	for i := range probs {
		if probs[i].Field == "greetings_max" {
			probs[i].Limit = campaign.GreetingMaxHigh
		}
	}
	return probs
}

// FieldState is what a form field's markup needs: its hint and error, and
// the IDs that tie them to the field.
type FieldState struct {
	Name, Hint, Error, ErrorPrefix string
}

// DescribedBy lists the IDs of the field's hint and error.
func (f FieldState) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "h-"+f.Name)
	}
	if f.Error != "" {
		ids = append(ids, "e-"+f.Name)
	}
	return strings.Join(ids, " ")
}

// FormState is the state a console form shares across its fields.
type FormState struct {
	Errors   map[string]string
	Hints    map[string]string
	Problems []FieldProblem // in form order, for the summary
	prefix   string
}

// Field returns the state of the named field.
func (f FormState) Field(name string) FieldState {
	return FieldState{Name: name, Hint: f.Hints[name], Error: f.Errors[name], ErrorPrefix: f.prefix}
}

// formState words the problems found in a console form. anchor maps a
// field to the ID of the input the summary links to, when it is not
// f-<field>.
func (s *Server) formState(t *i18n.Localizer, probs []campaign.FieldError, hints map[string]string, anchor func(string) string) FormState {
	st := FormState{Errors: map[string]string{}, Hints: hints, prefix: t.T("form.error_prefix")}
	for _, p := range probs {
		if _, dup := st.Errors[p.Field]; dup {
			continue
		}
		msg := s.consoleProblem(t, p)
		st.Errors[p.Field] = msg
		id := p.Field
		if anchor != nil {
			id = anchor(p.Field)
		}
		st.Problems = append(st.Problems, FieldProblem{Field: id, Message: msg})
	}
	return st
}

// consoleProblem words a console form's problem: a message for the field
// and problem, else for the problem, else the sign form's.
func (s *Server) consoleProblem(t *i18n.Localizer, p campaign.FieldError) string {
	limit := t.Number(int64(p.Limit))
	for _, id := range []string{"admin.error." + p.Field + "." + string(p.Problem), "admin.error." + string(p.Problem)} {
		if s.deps.Messages.Has(id) {
			return t.T(id, "Limit", limit)
		}
	}
	return s.problemMessage(t, p)
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
	// Proposal says which closing date the deadline helper proposed.
	Proposal string
	State    CampaignState
}

// CampaignState describes a stored campaign's status and what can be done
// with it now.
type CampaignState struct {
	Status      string
	Explanation string
	PublicURL   string
	OldSlugs    []string
	Count       int64
	CanSchedule bool
	CanClose    bool
	Archived    bool
	// ScheduleDate, ScheduleTime and ScheduleError are the schedule form's.
	ScheduleDate, ScheduleTime, ScheduleError string
}

func (s *Server) campaignNew(c *fiber.Ctx) error {
	camp := &campaign.Campaign{TimeZone: "UTC", Greetings: campaign.Greetings{Enabled: true, MaxLength: campaign.DefaultGreetingMax}}
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
	return s.renderCampaignForm(c, fiber.StatusOK, nil, campaignFormOf(camp), nil, "")
}

func (s *Server) campaignEdit(c *fiber.Ctx) error {
	camp, err := s.deps.Signing.Campaign(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderCampaignForm(c, fiber.StatusOK, camp, campaignFormOf(camp), nil, "")
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
		proposal := t.T("admin.campaign.proposed", "Date", t.Date(closes.In(loc)), "Arrival", t.Date(arrival),
			"Days", t.Number(int64(days)))
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
	v, err := s.campaignView(c, camp, true)
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

// RecipientListPage lists the recipients.
type RecipientListPage struct {
	AdminPage
	Rows []RecipientRow
}

// RecipientRow is one recipient in the list.
type RecipientRow struct {
	ID, Name, Country, Languages string
	Campaigns                    int64
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
			Languages: strings.Join(r.Languages, ", "), Campaigns: uses[r.ID]})
	}
	return s.render(c, fiber.StatusOK, "admin/recipients", p)
}

// PrisonLanguages are the languages offered as checkboxes on the recipient
// form; others can be typed in.
var PrisonLanguages = []string{"be", "ru", "uk", "pl", "lt", "sv", "de", "fr", "en"}

// RecipientForm is the recipient form as typed.
type RecipientForm struct {
	Name, Description, Address, Country, LanguageRules, CensorWords string
	Languages                                                       []string // the ticked ones
	OtherLanguages                                                  string
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
}

func recipientFormOf(r *campaign.Recipient) RecipientForm {
	f := RecipientForm{Name: r.Name, Description: r.Description, Address: strings.Join(r.Address, "\n"), Country: r.Country,
		LanguageRules: r.LanguageRules, CensorWords: strings.Join(r.CensorWords, "\n")}
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
	t := s.localizer(c)
	hints := map[string]string{
		"address":        t.T("admin.recipient.f.address_hint"),
		"language_rules": t.T("admin.recipient.f.language_rules_hint"),
		"languages":      t.T("admin.recipient.f.languages_hint"),
		"censor_words":   t.T("admin.recipient.f.censor_words_hint"),
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
	}
	if len(probs) > 0 {
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
