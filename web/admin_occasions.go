package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// Yearly occasions in the console: the campaigns page suggests a
// campaign for each birthday and for New Year within
// campaign.OccasionWindow, each with a button that opens the new-campaign
// form filled in for it (campaignNew reads ?occasion=). And "copy for next
// year": a campaign or drive copied into a new draft a year on.

// OccasionView is a coming occasion on the campaigns page.
type OccasionView struct {
	Title, When, Detail, Href, Button string
	Day                               string // YYYY-MM-DD
}

// occasionViews words the occasions coming from now.
func (s *Server) occasionViews(t *i18n.Localizer) []OccasionView {
	set := s.deps.Signing.Campaigns()
	recipients := set.Recipients()
	now := s.cfg.Now()
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []OccasionView
	for _, o := range campaign.Occasions(recipients, now) {
		days := int64(o.Day.Sub(today).Hours() / 24)
		v := OccasionView{Day: o.Day.Format(time.DateOnly), When: t.N("directory.occasions.in_days", days, "Date", t.Date(o.Day))}
		if days == 0 {
			v.When = t.T("directory.occasions.today", "Date", t.Date(o.Day))
		}
		switch o.Kind {
		case campaign.OccasionNewYear:
			n := len(campaign.NewYearRecipients(recipients, v.Day))
			v.Title = t.T("directory.occasions.new_year", "Year", o.Day.Year())
			v.Detail = t.N("directory.occasions.new_year_detail", int64(n))
			v.Button = t.T("directory.occasions.prepare_drive")
			v.Href = "/admin/campaigns/new?" + url.Values{"occasion": {string(o.Kind)}, "day": {v.Day}}.Encode()
		case campaign.OccasionBirthday:
			v.Title = t.T("directory.occasions.birthday", "Name", o.Recipient.Name)
			v.Detail = t.T("directory.occasions.birthday_detail", "Name", o.Recipient.Name)
			v.Button = t.T("directory.occasions.prepare_letter", "Name", o.Recipient.Name)
			v.Href = "/admin/campaigns/new?" + url.Values{"occasion": {string(o.Kind)}, "recipient": {o.Recipient.ID}, "day": {v.Day}}.Encode()
		}
		out = append(out, v)
	}
	return out
}

// occasionForm fills the new-campaign form camp (with its defaults) for
// the occasion the query names: ?occasion=new-year or
// ?occasion=birthday&recipient=ID, on ?day=YYYY-MM-DD (the occasion's
// day, which must be today or later). An occasion that is not one is
// a 404, so that a mistyped link says so rather than opening an empty form.
func (s *Server) occasionForm(c *fiber.Ctx, t *i18n.Localizer, camp *campaign.Campaign) (CampaignForm, error) {
	now := s.cfg.Now()
	day, err := time.Parse(time.DateOnly, c.Query("day"))
	if err != nil || day.Before(now.UTC().Truncate(24*time.Hour)) || day.After(now.Add(campaign.OccasionWindow+24*time.Hour)) {
		return CampaignForm{}, fiber.NewError(fiber.StatusNotFound, "no such occasion")
	}
	set := s.deps.Signing.Campaigns()
	year := strconv.Itoa(day.Year())
	if _, ok := s.deps.Messages.Supported(t.Lang()); ok {
		camp.Language = t.Lang()
	}
	camp.Greetings.Enabled = true
	var slug string
	switch campaign.OccasionKind(c.Query("occasion")) {
	case campaign.OccasionNewYear:
		if day.Month() != time.January || day.Day() != 1 {
			return CampaignForm{}, fiber.NewError(fiber.StatusNotFound, "no such occasion")
		}
		camp.Kind = campaign.KindDrive
		camp.RecipientIDs = campaign.NewYearRecipients(set.Recipients(), day.Format(time.DateOnly))
		camp.Title = t.T("directory.occasion.title.new_year", "Year", year)
		camp.Summary = t.T("directory.occasion.summary.new_year")
		slug = "new-year-" + year
	case campaign.OccasionBirthday:
		r, ok := set.Recipient(c.Query("recipient"))
		if !ok {
			return CampaignForm{}, fiber.NewError(fiber.StatusNotFound, "no such recipient")
		}
		camp.RecipientID = r.ID
		camp.Title = t.T("directory.occasion.title.birthday", "Name", r.Name)
		camp.Summary = t.T("directory.occasion.summary.birthday", "Name", r.Name, "Date", t.Date(day))
		slug = campaign.Slugify(r.Slug + " birthday " + year) // slugs are Latin already
	default:
		return CampaignForm{}, fiber.NewError(fiber.StatusNotFound, "no such occasion")
	}
	camp.Slug = slug
	for n := 2; set.SlugUsed(camp.Slug); n++ {
		camp.Slug = slug + "-" + strconv.Itoa(n)
	}
	// Letters should arrive by the day: the deadline helper's date, or
	// the day itself when that one has passed.
	arrival := day.Format(time.DateOnly)
	closes, err := campaign.ProposeDeadline(arrival, DefaultTransitDays, camp.TimeZone)
	if err != nil || !closes.After(now.Add(24*time.Hour)) {
		closes, err = campaign.Deadline(arrival, camp.TimeZone)
		if err != nil {
			return CampaignForm{}, err
		}
	}
	camp.ClosesAt = closes
	form := campaignFormOf(camp)
	form.ArrivalDate = arrival
	return form, nil
}

// campaignCopy copies a campaign or drive into a new draft a year on and
// opens it, with the schedule form proposing the old opening a year on.
func (s *Server) campaignCopy(c *fiber.Ctx) error {
	ctx := c.UserContext()
	old, err := s.deps.Signing.Campaign(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	camp, opens, err := s.deps.Signing.CopyForNextYear(ctx, old.ID)
	if err != nil {
		return err
	}
	if err := s.record(c, audit.CampaignCreated, camp.Slug, "copied from "+old.Slug+": "+camp.Title); err != nil {
		return err
	}
	q := url.Values{"done": {"campaign_copied"}}
	if !opens.IsZero() {
		o := opens.In(camp.Location())
		q.Set("opens_date", o.Format(time.DateOnly))
		q.Set("opens_time", o.Format("15:04"))
	}
	return c.Redirect("/admin/campaigns/"+url.PathEscape(camp.ID)+"?"+q.Encode(), fiber.StatusSeeOther)
}

// proposedOpening is the schedule form's date and time a link proposes
// (?opens_date=&opens_time=, as campaignCopy sends), when both are valid.
func proposedOpening(c *fiber.Ctx) (date, clock string) {
	date, clock = c.Query("opens_date"), c.Query("opens_time")
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", ""
	}
	if _, err := time.Parse("15:04", clock); err != nil {
		clock = ""
	}
	return date, clock
}
