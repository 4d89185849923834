package web

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The campaign form: what the organizer typed, read back from a stored
// campaign and written onto one.

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
	// Share is the line share links propose (campaign.Campaign.Share).
	Share string
	// ReturnAddress is the envelopes' sender address, one line per line.
	ReturnAddress string
	// OpensDate and OpensTime are in the campaign's zone; both empty make
	// a draft.
	OpensDate, OpensTime string
	// CloseMode is closeBefore (BeforeDate) or closeExact (ClosesDate and
	// ClosesTime).
	CloseMode                          string
	BeforeDate, ClosesDate, ClosesTime string
	// Language is what the texts are written in (campaign.Campaign.Language).
	Language string
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
	// MergeAliases is campaign.Campaign.MergeAliases.
	MergeAliases bool
	// Unlisted is campaign.Campaign.Unlisted.
	Unlisted bool
	// ConfirmEmail is campaign.Campaign.ConfirmEmail.
	ConfirmEmail bool
	// ArrivalDate and TransitDays are the deadline helper's.
	ArrivalDate, TransitDays string
	// Version is when the campaign the form was filled from was last
	// saved (Unix milliseconds): a save over a newer one is refused.
	Version string
	// Kind is "drive" for a drive of cards, whose recipients are
	// RecipientIDs; "" for a letter to RecipientID.
	Kind         string
	RecipientIDs []string
}

// Drive reports whether the form is a drive's.
func (f CampaignForm) Drive() bool { return f.Kind == string(campaign.KindDrive) }

// Chosen reports whether the drive's form has the recipient id ticked.
func (f CampaignForm) Chosen(id string) bool { return slices.Contains(f.RecipientIDs, id) }

// campaignFormOf fills the form from a stored campaign.
func campaignFormOf(camp *campaign.Campaign) CampaignForm {
	f := CampaignForm{
		Slug: camp.Slug, Title: camp.Title, Summary: camp.Summary, Letter: camp.Letter, Share: camp.Share, Organizer: camp.OrganizerName,
		ReturnAddress: strings.Join(camp.ReturnAddress, "\n"), RecipientID: camp.RecipientID, Zone: camp.TimeZone, CloseMode: closeBefore,
		Language:         camp.TextLanguage(),
		GreetingsEnabled: camp.Greetings.Enabled, GreetingsPublic: camp.Greetings.ShowPublic,
		GreetingsMax: strconv.Itoa(camp.Greetings.MaxLength), TransitDays: strconv.Itoa(DefaultTransitDays),
		EmbedOrigins: strings.Join(camp.EmbedOrigins, "\n"), Version: versionOf(camp),
		AtRisk: strings.Join(camp.RiskCountries(), " "), MergeAliases: camp.MergeAliases, Unlisted: camp.Unlisted,
		ConfirmEmail: camp.ConfirmEmail, Kind: string(camp.Kind), RecipientIDs: slices.Clone(camp.RecipientIDs),
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
	kind := ""
	var ids []string
	if v("kind") == string(campaign.KindDrive) {
		kind = string(campaign.KindDrive)
		for _, id := range c.Request().PostArgs().PeekMulti("recipient_ids") {
			if id := strings.TrimSpace(string(id)); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	text := func(name string) string {
		return strings.TrimSpace(strings.ReplaceAll(formValue(c, name), "\r\n", "\n"))
	}
	return CampaignForm{
		Slug: v("slug"), Title: v("title"), Summary: text("summary"), Letter: text("letter"), Share: v("share"), Organizer: v("organizer_name"),
		ReturnAddress: text("return_address"), RecipientID: v("recipient_id"), Goal: v("goal"), Language: v("language"),
		OpensDate: v("opens_date"), OpensTime: v("opens_time"),
		CloseMode: v("close_mode"), BeforeDate: v("before_date"), ClosesDate: v("closes_date"), ClosesTime: v("closes_time"),
		Zone: v("time_zone"), ZoneOther: v("time_zone_other"),
		GreetingsEnabled: formValue(c, "greetings_enabled") != "", GreetingsPublic: formValue(c, "greetings_public") != "",
		GreetingsMax: v("greetings_max"), ArrivalDate: v("arrival_date"), TransitDays: v("transit_days"),
		EmbedOrigins: text("embed_origins"), Version: v("version"),
		AtRisk: v("at_risk"), AtRiskSent: c.Request().PostArgs().Has("at_risk"),
		MergeAliases: formValue(c, "merge_aliases") != "",
		Unlisted:     formValue(c, "unlisted") != "",
		ConfirmEmail: formValue(c, "confirm_email") != "",
		Kind:         kind,
		RecipientIDs: ids,
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

// campaignFields is the order of the campaign form's fields, for the error
// summary.
var campaignFields = []string{"slug", "title", "summary", "letter", "share", "language", "organizer_name", "recipient_id", "recipient_ids", "goal",
	"time_zone", "opens", "closes", "greetings_max", "at_risk", "embed_origins"}

// apply writes the form onto camp and returns what is wrong with it, in
// form order: what could not be read and what the campaign rules refuse.
func (f *CampaignForm) apply(camp *campaign.Campaign, recipients []campaign.Recipient) []campaign.FieldError {
	var probs []campaign.FieldError
	add := func(field string, p campaign.Problem) {
		probs = append(probs, campaign.FieldError{Field: field, Problem: p})
	}
	camp.Slug, camp.Title, camp.Summary, camp.Letter, camp.Share = f.Slug, f.Title, f.Summary, f.Letter, f.Share
	camp.OrganizerName, camp.RecipientID, camp.Language = f.Organizer, f.RecipientID, f.Language
	camp.ReturnAddress = nil
	for line := range strings.SplitSeq(f.ReturnAddress, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			camp.ReturnAddress = append(camp.ReturnAddress, line)
		}
	}
	if f.RecipientID != "" && !slices.ContainsFunc(recipients, func(r campaign.Recipient) bool { return r.ID == f.RecipientID }) {
		add("recipient_id", campaign.ProblemUnknown)
	}
	camp.Kind, camp.RecipientIDs = campaign.KindLetter, nil
	if f.Drive() {
		// A drive writes to its recipients, never to one of a letter.
		camp.Kind, camp.RecipientID, f.RecipientID = campaign.KindDrive, "", ""
		for _, id := range f.RecipientIDs {
			if !slices.ContainsFunc(recipients, func(r campaign.Recipient) bool { return r.ID == id }) {
				add("recipient_ids", campaign.ProblemUnknown)
				break
			}
			camp.RecipientIDs = append(camp.RecipientIDs, id)
		}
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
	camp.MergeAliases = f.MergeAliases
	camp.Unlisted = f.Unlisted
	camp.ConfirmEmail = f.ConfirmEmail
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
