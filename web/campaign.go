package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/site"
	"golang.org/x/text/language"
)

// CampaignView is a campaign as pages show it, dates in its time zone,
// its words in the reader's language when it has a text in it, else in
// the language it was written in.
type CampaignView struct {
	Slug      string
	Title     string
	Summary   string
	Letter    string
	Organizer string
	Recipient *campaign.Recipient
	Open      bool
	Count     int64
	Goal      int64
	// Deadline is what to sign before ("12 July 2027"), and ClosesAt the
	// exact closing time with its zone.
	Deadline    string
	ClosesAt    string
	ClosesAtISO string
	Greetings   campaign.Greetings
	// Drive is true for a drive of cards, whose count is of cards.
	Drive bool
	// Lang is the language of the title, summary and letter, for their
	// lang attributes; Signoff, the letter's closing line, is in it too,
	// whatever the page's language.
	Lang    string
	Signoff string
	// Share is the line share links propose in Lang; empty lets the
	// site's own line name the title.
	Share string
	// WrittenIn says, in the reader's language, which language the texts
	// are in, when the campaign has none in the reader's; AlsoIn then
	// links to the page in the other languages the campaign has a text
	// in.
	WrittenIn string
	AlsoIn    []LanguageLink
	// Timeline is what happened to the letter since signing closed
	// (campaign_timeline.go); Latest is its last line's text, which a
	// closed campaign's header shows. Status is the recipient's situation
	// when one was recorded ("Released on 3 March 2027").
	Timeline []TimelineItem
	Latest   string
	Status   string
}

func (s *Server) campaignView(c *fiber.Ctx, camp *campaign.Campaign) (CampaignView, error) {
	t := s.localizer(c)
	closes := camp.ClosesAt.In(camp.Location())
	// "before 12 July" for a campaign that closes as 12 July begins; the
	// time too for one that closes during the day.
	deadline := t.Date(closes)
	if closes.Hour() != 0 || closes.Minute() != 0 {
		deadline = t.DateTime(closes)
	}
	text, found := camp.TextIn(t.Tag().String())
	v := CampaignView{
		Lang:        text.Lang,
		Signoff:     s.deps.Messages.Localizer(language.Make(text.Lang)).T("campaign.signoff", "Organizer", camp.OrganizerName),
		Slug:        camp.Slug,
		Title:       text.Title,
		Summary:     text.Summary,
		Letter:      text.Letter,
		Share:       text.Share,
		Organizer:   camp.OrganizerName,
		Open:        camp.Status(s.cfg.Now()) == campaign.StatusOpen,
		Count:       s.deps.Signing.Count(camp.ID),
		Goal:        int64(camp.Goal),
		Deadline:    deadline,
		ClosesAt:    t.DateTime(closes),
		ClosesAtISO: closes.Format(time.RFC3339),
		Greetings:   camp.Greetings,
		Drive:       camp.IsDrive(),
	}
	if !found {
		v.WrittenIn = s.writtenIn(t, text.Lang)
		v.AlsoIn = s.textLinks(c, camp, text.Lang)
	}
	if r, ok := s.deps.Signing.Campaigns().Recipient(camp.RecipientID); ok {
		v.Recipient = r
	}
	v.Timeline = s.timeline(t, camp, v.Recipient)
	if n := len(v.Timeline); n > 0 && v.Timeline[n-1].Kind != "closed" {
		v.Latest = v.Timeline[n-1].Text
	}
	v.Status = s.recipientStatus(t, camp, v.Recipient)
	return v, nil
}

// HomePage lists campaigns.
type HomePage struct {
	Page
	Open   []CampaignView
	Closed []CampaignView
}

func (s *Server) home(c *fiber.Ctx) error {
	set := s.deps.Signing.Campaigns()
	l := set.Listed(s.cfg.Now())
	slot, ref, cached := s.pageSlot(c, "home", "")
	var key pageState
	if cached {
		key = s.pageKey(set, listedOf(l), 0)
		if pg, ok := s.pages.get(slot, key); ok {
			return s.sendPage(c, pg, "", ref)
		}
	}
	t := s.localizer(c)
	p := HomePage{Page: s.page(c, t.T("home.title"))}
	p.Meta = s.pageMeta(c, t, t.T("home.title"), t.T("home.intro"), "/")
	for _, list := range []struct {
		from []campaign.Campaign
		to   *[]CampaignView
	}{{l.Open, &p.Open}, {l.Closed, &p.Closed}} {
		for i := range list.from {
			v, err := s.campaignView(c, &list.from[i])
			if err != nil {
				return err
			}
			*list.to = append(*list.to, v)
		}
	}
	if !cached {
		return s.render(c, fiber.StatusOK, "home", p)
	}
	body, err := s.drawPage("home", &p.Page, ref, p)
	if err != nil {
		return err
	}
	pg, err := s.pages.put(slot, key, body)
	if err != nil {
		return err
	}
	return s.sendPage(c, pg, "", ref)
}

// listedOf lists the campaigns of l, open ones first.
func listedOf(l campaign.Listing) []*campaign.Campaign {
	out := make([]*campaign.Campaign, 0, len(l.Open)+len(l.Closed))
	for _, list := range [][]campaign.Campaign{l.Open, l.Closed} {
		for i := range list {
			out = append(out, &list[i])
		}
	}
	return out
}

// CampaignPage shows a campaign and, while it is open, the sign form.
type CampaignPage struct {
	Page
	Article CampaignArticle
	// Others are campaigns still open, offered on a closed campaign's page.
	Others []CampaignView
}

// othersShown is how many open campaigns a closed campaign's page offers.
const othersShown = 3

// CampaignArticle is the campaign as the public page draws it, and as the
// console previews it (templates/partials/campaign_article.html).
type CampaignArticle struct {
	Page
	C      CampaignView
	Form   SignForm
	Inputs []InputView
	Checks []CheckView
	// Safety tells the supporter what prison staff will read.
	Safety SafetyView
	// Greetings are the latest approved greetings, when the campaign
	// shows them.
	Greetings []PublicGreeting
	// Preview draws the sign form disabled, for the console.
	Preview bool
	// Drive is the drive's part of a drive's page; nil for a letter.
	Drive *DriveView
}

// campaignArticle lays out a campaign for the public page or a preview.
func (s *Server) campaignArticle(c *fiber.Ctx, camp *campaign.Campaign, v CampaignView, form SignForm) CampaignArticle {
	t := s.localizer(c)
	if camp.IsDrive() && len(form.Problems) > 0 && !camp.WritesTo(form.Recipient) {
		// A card sent back without a recipient of the drive: the form
		// comes back with one the drive offers.
		if r, err := s.deps.Signing.Offer(camp, s.openSkip(form.Skip)); err == nil {
			form.Recipient, form.Offered = r.ID, true
		}
	}
	a := CampaignArticle{Page: s.page(c, v.Title), C: v, Form: form}
	if camp.IsDrive() {
		a.Drive = s.driveView(c, camp, form)
		a.C.Recipient = a.Drive.Recipient
		v.Recipient = a.Drive.Recipient
		a.C.Open = a.C.Open && !a.Drive.Nobody
		v.Open = a.C.Open
	}
	if v.Open {
		a.Inputs, a.Checks = s.formViews(t, camp, v, form)
		a.Safety = s.safetyView(t, camp, form)
	}
	if camp.Greetings.ShowPublic {
		a.Greetings = s.publicGreetings(c, camp.ID)
	}
	return a
}

// SignForm is the sign form's state: what the supporter typed, the
// problems found, and the token that protects it.
type SignForm struct {
	Name, Email, City, Country, Greeting string
	Display                              string
	Consent, Updates                     bool
	// PartnerContact is the embedded form's box that lets its partner
	// contact the supporter.
	PartnerContact bool
	Token          string
	// Errors holds one message per field with a problem; Problems lists
	// them in form order for the summary at the top.
	Errors   map[string]string
	Problems []FieldProblem
	// Notice explains a refusal that is not about one field.
	Notice string
	// Ref is the partner ref code of the link the supporter came by.
	Ref string
	// Confirmed lists the notices the supporter has seen (safety.go);
	// AskUnprintable and AskRisk show them and ask to send the form again.
	Confirmed               []string
	AskUnprintable, AskRisk bool
	// Recipient is the ID of the recipient a drive's card goes to, and
	// Offered says the drive offered them; Skip is the sealed list of
	// the recipients passed or written to (drive.go).
	Recipient string
	Offered   bool
	Skip      string
	// Work is the proof of work the form asks for, if any (abuse.go).
	Work  *WorkView
	guard guard
}

// FieldProblem is a line of the error summary.
type FieldProblem struct {
	Field   string
	Message string
}

// publicCampaign reads the campaign the request's :slug names, for a
// public page. A visitor who named no language the site ships (by the
// switcher or their browser) reads the page in the campaign's language.
func (s *Server) publicCampaign(c *fiber.Ctx) (*campaign.Campaign, error) {
	camp, err := s.deps.Signing.Campaigns().Public(c.Params("slug"), s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if named, _ := c.Locals(langNamedKey{}).(bool); !named {
		if tag, ok := s.deps.Messages.Supported(camp.TextLanguage()); ok {
			c.Locals(localizerKey{}, s.deps.Messages.Localizer(tag))
		}
	}
	return camp, nil
}

func (s *Server) campaignPage(c *fiber.Ctx) error {
	camp, err := s.publicCampaign(c)
	if err != nil {
		return err
	}
	if camp.IsDrive() {
		return s.drivePage(c, camp)
	}
	slot, ref, cached := s.pageSlot(c, "campaign", camp.Slug)
	if !cached {
		return s.renderCampaign(c, fiber.StatusOK, camp, SignForm{Ref: refCode(c.Query("ref"))})
	}
	set := s.deps.Signing.Campaigns()
	// A closed campaign's page offers the open ones: their state counts.
	listed := []*campaign.Campaign{camp}
	if camp.Status(s.cfg.Now()) != campaign.StatusOpen {
		listed = append(listed, listedOf(set.Listed(s.cfg.Now()))...)
	}
	var greetings uint64
	if camp.Greetings.ShowPublic {
		_, greetings = s.deps.Moderation.LatestVersion(camp.ID)
	}
	// The recipient's status is the one of today in the campaign's zone: a
	// change recorded for a later day shows from that day on.
	key := s.pageKey(set, listed, greetings, s.deliveryGen(), s.localDay(camp))
	if pg, ok := s.pages.get(slot, key); ok {
		return s.sendPage(c, pg, signPurpose(camp), ref)
	}
	form := SignForm{}
	if ref != "" {
		form.Ref = s.pages.refMark
	}
	p, err := s.campaignPageData(c, camp, form)
	if err != nil {
		return err
	}
	p.Article.Form.Token = s.pages.tokenMark
	body, err := s.drawPage("campaign", &p.Page, ref, p)
	if err != nil {
		return err
	}
	pg, err := s.pages.put(slot, key, body)
	if err != nil {
		return err
	}
	return s.sendPage(c, pg, signPurpose(camp), ref)
}

func (s *Server) renderCampaign(c *fiber.Ctx, status int, camp *campaign.Campaign, form SignForm) error {
	s.formToken(c, &form, signPurpose(camp))
	p, err := s.campaignPageData(c, camp, form)
	if err != nil {
		return err
	}
	return s.render(c, status, "campaign", p)
}

// campaignPageData lays out the campaign page with form.
func (s *Server) campaignPageData(c *fiber.Ctx, camp *campaign.Campaign, form SignForm) (CampaignPage, error) {
	v, err := s.campaignView(c, camp)
	if err != nil {
		return CampaignPage{}, err
	}
	t := s.localizer(c)
	title := v.Title
	if len(form.Problems) > 0 || form.Notice != "" {
		title = t.T("form.error_title", "Title", v.Title)
	}
	p := CampaignPage{Page: s.page(c, title), Article: s.campaignArticle(c, camp, v, form)}
	p.Meta = s.pageMeta(c, t, v.Title, campaignDescription(t, v), "/c/"+url.PathEscape(camp.Slug))
	// An unlisted campaign, or one to an unlisted recipient, is reachable
	// by its link only: search engines leave it out.
	p.Meta.NoIndex = !s.deps.Signing.Campaigns().CampaignListed(camp)
	if !v.Open {
		p.Others = s.openCampaigns(c, camp.ID, othersShown)
	}
	return p, nil
}

// campaignDescription is what a shared link's preview says of a campaign:
// the summary's first paragraph, the count and the deadline.
func campaignDescription(t *i18n.Localizer, v CampaignView) string {
	state := t.T("campaign.deadline", "Date", v.Deadline)
	switch {
	case v.Latest != "":
		state = v.Latest
	case !v.Open:
		state = t.T("campaign.closed_short", "Date", v.Deadline)
	}
	d := t.Number(v.Count) + " " + t.N("campaign.signatures", v.Count) + " · " + state
	if ps := paragraphs(v.Summary); len(ps) > 0 {
		d = excerpt(ps[0], 200) + " " + d
	}
	return d
}

// openCampaigns returns up to max open public campaigns other than the one
// with the given ID, closing soonest first, as the home page lists them.
// They come from memory.
func (s *Server) openCampaigns(c *fiber.Ctx, except string, max int) []CampaignView {
	l := s.deps.Signing.Campaigns().Listed(s.cfg.Now())
	var out []CampaignView
	for i := range l.Open {
		if len(out) == max {
			break
		}
		if l.Open[i].ID == except {
			continue
		}
		v, err := s.campaignView(c, &l.Open[i])
		if err != nil {
			s.reqLog(c).Error("show open campaign", "campaign", l.Open[i].ID, "error", err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// PublicGreeting is an approved greeting on the campaign page: the
// supporter's first name and where they wrote from, nothing more.
type PublicGreeting struct {
	Text, Lang, Name, Place string
}

// publicGreetings returns the campaign's latest approved greetings, from
// the moderation service's memory. They are an extra: if they cannot be
// read, the page is shown without them and the problem is logged.
func (s *Server) publicGreetings(c *fiber.Ctx, campaignID string) []PublicGreeting {
	shown, err := s.deps.Moderation.Latest(c.UserContext(), campaignID)
	if err != nil {
		s.reqLog(c).Error("read public greetings", "campaign", campaignID, "error", err)
		return nil
	}
	t := s.localizer(c)
	out := make([]PublicGreeting, len(shown))
	for i, g := range shown {
		place := g.City
		if g.Country != "" {
			if place != "" {
				place += ", "
			}
			place += s.deps.Countries.Name(t.Tag(), g.Country)
		}
		name := g.FirstName
		if name == "" {
			name = t.T("campaign.greetings.anonymous")
		}
		out[i] = PublicGreeting{Text: g.Text, Lang: g.Language, Name: name, Place: place}
	}
	return out
}

func signPurpose(c *campaign.Campaign) string { return "sign:" + c.ID }

// honeypot is a form field that people never see and bots fill in. Its
// name is one that browsers and password managers do not autofill.
const honeypot = "hp_x7"

func (s *Server) sign(c *fiber.Ctx) error {
	camp, err := s.publicCampaign(c)
	if err != nil {
		return err
	}
	return s.signCampaign(c, camp, signing{
		Source: campaign.SourceWeb, Referrer: refCode(formValue(c, "ref")), // a partner's ?ref= link
		Thanks: "/c/" + url.PathEscape(camp.Slug) + "/thanks",
		Render: func(status int, form SignForm) error { return s.renderCampaign(c, status, camp, form) },
	})
}

// signing says where a sign form was sent from and how to answer it: the
// campaign page and the embedded widget share signCampaign.
type signing struct {
	// Source and Referrer are stored with the signature.
	Source   campaign.Source
	Referrer string
	// Purpose is what the form's token was issued for; empty means
	// signPurpose of the campaign.
	Purpose string
	// Thanks is where a supporter goes after signing.
	Thanks string
	// Render draws the form again with its problems and the given status.
	Render func(status int, form SignForm) error
	// Partner is the consent that the embedded form's box for its partner
	// gives when ticked (embed_contact.go); nil without such a box.
	Partner *campaign.PartnerConsent
}

// signCampaign reads a posted sign form and signs camp: 303 to the thanks
// page, or the form again with what is wrong.
func (s *Server) signCampaign(c *fiber.Ctx, camp *campaign.Campaign, how signing) error {
	if camp.Status(s.cfg.Now()) == campaign.StatusClosed {
		// The page in its closed state says when it closed.
		return how.Render(fiber.StatusGone, SignForm{})
	}
	if formValue(c, honeypot) != "" {
		return c.Redirect(how.Thanks, fiber.StatusSeeOther) // a bot; store nothing
	}
	form := SignForm{
		Name:      formValue(c, "name"),
		Email:     formValue(c, "email"),
		City:      formValue(c, "city"),
		Country:   formValue(c, "country"),
		Greeting:  formValue(c, "greeting"),
		Display:   formValue(c, "display"),
		Consent:   formValue(c, "consent") != "",
		Ref:       refCode(formValue(c, "ref")),
		Updates:   formValue(c, "updates") != "",
		Confirmed: confirmedValues(c),
		Recipient: formValue(c, "recipient"),
		Offered:   formValue(c, "offered") == "1",
		Skip:      formValue(c, "skip"),

		PartnerContact: how.Partner != nil && formValue(c, partnerContactField) != "",
	}
	t := s.localizer(c)
	// From here on, a form drawn again asks for the work the defences ask.
	form.guard = s.assess(c, camp)
	token := formValue(c, "token")
	issued, err := s.tokens.check(token, cmp.Or(how.Purpose, signPurpose(camp)))
	if err != nil {
		form.Notice = t.T("form.token_invalid")
		return how.Render(fiber.StatusForbidden, form)
	}
	// A form that did the work asked of it was filled in before, and may
	// come back from pow.js at once: it is not too fast.
	worked := s.workDone(c, &form, token)
	if worked && !form.guard.ask.Asks() && s.cfg.Now().Sub(issued) < s.cfg.MinFillTime {
		form.Notice = t.T("form.too_fast")
		return how.Render(fiber.StatusUnprocessableEntity, form)
	}
	if !worked || needsConfirmation(camp, &form) {
		return how.Render(fiber.StatusUnprocessableEntity, form)
	}
	switch err := s.spendToken(c, camp, &form, token, issued); {
	case errors.Is(err, abuse.ErrSpent):
		return how.Render(fiber.StatusConflict, form)
	case err != nil:
		return err
	}
	receipt, err := s.deps.Signing.SignReceipt(c.UserContext(), camp, campaign.SignInput{
		Name: form.Name, Email: form.Email, City: form.City, Country: form.Country,
		Greeting: form.Greeting, Consent: form.Consent, Updates: form.Updates,
		Display: campaign.NameDisplay(form.Display), Lang: t.Tag().String(),
		Source: how.Source, Referrer: how.Referrer,
		Marks: s.marks(form.guard, issued), Network: form.guard.network,
		LinkBase: s.baseURL(c), PartnerConsent: how.partnerConsent(form),
		RecipientID: form.Recipient, Offered: form.Offered,
	})
	var verr *campaign.ValidationError
	switch {
	case err == nil, errors.Is(err, campaign.ErrDuplicate):
		// The same answer for a repeat: nobody learns whether an address
		// signed. A repeat's erasure code has the shape of a real one,
		// but erases nothing (campaign.Erasures).
		s.setErasureCode(c, camp, receipt, thanksPath(how.Thanks))
		if camp.IsDrive() {
			return c.Redirect(s.driveThanks(how.Thanks, form), fiber.StatusSeeOther)
		}
		return c.Redirect(how.Thanks, fiber.StatusSeeOther)
	case errors.As(err, &verr):
		form.Errors = map[string]string{}
		for _, f := range verr.Fields {
			msg := s.problemMessage(t, f)
			form.Errors[f.Field] = msg
			form.Problems = append(form.Problems, FieldProblem{Field: f.Field, Message: msg})
		}
		return how.Render(fiber.StatusUnprocessableEntity, form)
	default:
		return err
	}
}

// problemMessage words a field's problem: a message for the field and
// problem if the catalog has one, else the problem's general message.
func (s *Server) problemMessage(t *i18n.Localizer, f campaign.FieldError) string {
	id := fmt.Sprintf("error.%s.%s", f.Field, f.Problem)
	if !s.deps.Messages.Has(id) {
		id = "error." + string(f.Problem)
	}
	return limitMessage(t, id, f)
}

// limitMessage fills the message id of a field's problem with the
// problem's limit. Too long and too many lines count characters or lines,
// so their messages are plural and take the limit as the count; a number's
// limit ends its range and counts nothing.
func limitMessage(t *i18n.Localizer, id string, f campaign.FieldError) string {
	switch string(f.Problem) {
	case string(campaign.ProblemTooLong), string(site.ProblemTooMany):
		return t.N(id, int64(f.Limit))
	}
	return t.T(id, "Limit", t.Number(int64(f.Limit)))
}

// CardView is a campaign in a list, with the translator the card needs.
type CardView struct {
	T *i18n.Localizer
	C CampaignView
}
