package web

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// InputView is one field of the sign form as the template draws it.
type InputView struct {
	Name         string
	Kind         string // text, email, textarea or select
	Label        string
	Hint         string
	Optional     string // the word "optional" for fields that are
	Value        string
	Error        string
	ErrorPrefix  string
	Autocomplete string
	MaxLength    int
	Required     bool
	Placeholder  string
	Options      []country.Country
}

// DescribedBy lists the IDs of the field's hint and error.
func (v InputView) DescribedBy() string { return describedBy(v.Name, v.Hint, v.Error) }

// CheckView is a checkbox of the sign form.
type CheckView struct {
	Name        string
	Label       string
	Checked     bool
	Required    bool
	Error       string
	ErrorPrefix string
}

// DescribedBy is the ID of the checkbox's error, if it has one.
func (v CheckView) DescribedBy() string {
	if v.Error == "" {
		return ""
	}
	return "e-" + v.Name
}

// formViews lays out the sign form's fields.
func (s *Server) formViews(t *i18n.Localizer, camp *campaign.Campaign, v CampaignView, f SignForm) ([]InputView, []CheckView) {
	prefix := t.T("form.error_prefix")
	optional := t.T("form.optional")
	display := f.Display
	if display == "" {
		display = string(campaign.NameFull)
	}
	inputs := []InputView{
		{Name: "name", Kind: "text", Label: t.T("form.name"), Hint: t.T("form.name_hint"), Value: f.Name, Autocomplete: "name", MaxLength: campaign.NameMax, Required: true},
		{Name: "display", Kind: "radio", Label: t.T("form.display"), Hint: t.T("form.display_hint"), Value: display,
			Options: displayOptions(t)},
		{Name: "email", Kind: "email", Label: t.T("form.email"), Hint: t.T("form.email_hint"), Value: f.Email, Autocomplete: "email", MaxLength: campaign.EmailMax, Required: true},
		{Name: "city", Kind: "text", Label: t.T("form.city"), Optional: optional, Value: f.City, Autocomplete: "address-level2", MaxLength: campaign.CityMax},
		{Name: "country", Kind: "select", Label: t.T("form.country"), Value: f.Country, Autocomplete: "country", Required: true,
			Placeholder: t.T("form.country_choose"), Options: s.deps.Countries.List(t.Tag())},
	}
	if camp.Greetings.Enabled || camp.IsDrive() {
		name := ""
		if v.Recipient != nil {
			name = v.Recipient.Name
		}
		in := InputView{Name: "greeting", Kind: "textarea", Label: t.T("form.greeting", "Name", name), Optional: optional,
			Hint:  greetingHint(t, camp),
			Value: f.Greeting, MaxLength: cmp.Or(camp.Greetings.MaxLength, campaign.DefaultGreetingMax)}
		if camp.IsDrive() {
			// A drive's card is its greeting.
			in.Label, in.Optional, in.Required = t.T("drive.card", "Name", name), "", true
		}
		inputs = append(inputs, in)
	}
	for i := range inputs {
		inputs[i].Error = f.Errors[inputs[i].Name]
		inputs[i].ErrorPrefix = prefix
	}
	recipient := t.T("form.the_recipient")
	if v.Recipient != nil {
		recipient = v.Recipient.Name
	}
	checks := []CheckView{
		{Name: "consent", Label: t.T("form.consent", "Name", recipient), Checked: f.Consent, Required: true, Error: f.Errors["consent"], ErrorPrefix: prefix},
	}
	if campaign.OffersUpdates(camp) {
		// Only a campaign that has the address confirmed offers updates:
		// anyone could type a stranger's.
		checks = append(checks, CheckView{Name: "updates", Label: t.T("form.updates"), Checked: f.Updates})
	}
	return inputs, checks
}

// displayOptions are the choices of how a name is printed, as radio
// buttons (Code is the value, Name the label).
func displayOptions(t *i18n.Localizer) []country.Country {
	var out []country.Country
	for _, d := range campaign.NameDisplays() {
		out = append(out, country.Country{Code: string(d), Name: t.T("form.display." + string(d))})
	}
	return out
}

// greetingHint explains the greeting field: its limit, who reads it, and
// whether it may appear on the public page.
func greetingHint(t *i18n.Localizer, camp *campaign.Campaign) string {
	hint := t.N("form.greeting_hint", int64(camp.Greetings.MaxLength))
	if camp.Greetings.ShowPublic {
		hint += " " + t.T("form.greeting_public_hint")
	}
	return hint
}

// mailtoEscape escapes a mailto: header value; mail programs read "+" as
// a plus sign, so spaces are written as %20.
func mailtoEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
