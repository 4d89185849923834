package web

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"github.com/solidarity-letters/solidarity/pdf"
)

// What a supporter may be asked to confirm before signing, as the values
// of the sign form's "confirmed" field.
const (
	// confirmUnprintable: the name cannot be printed in its script and
	// will be printed as "a supporter from <country>".
	confirmUnprintable = "unprintable"
	// confirmRisk: the supporter chose a country whose signers are at risk
	// and has read what is stored and printed.
	confirmRisk = "risk"
)

// countryPlaceholder stands for the country's name in the notices'
// templates, which sign.js fills in as the supporter chooses a country.
const countryPlaceholder = "{country}"

// SafetyView is what the sign form tells a supporter about what prison
// staff will read (templates/partials/sign_safety.html). Without
// JavaScript the notices show when the posted form needs them; sign.js
// shows them as the supporter types, from the templates.
type SafetyView struct {
	// Risk lists the at-risk country codes, space-separated, for sign.js.
	Risk string
	// Confirmed is the form's "confirmed" field: what was shown already.
	Confirmed string
	// Unprintable and AtRisk show the notices; Ask adds the request to
	// check the choice and send the form again.
	Unprintable, AtRisk, Ask bool
	// The notices' texts for the chosen country, and their templates with
	// countryPlaceholder.
	UnprintableText, UnprintableTemplate string
	RiskHeading, RiskHeadingTemplate     string
	RiskPrinted, RiskPrintedTemplate     string
	// YourCountry stands for the country before one is chosen.
	YourCountry string
}

// safetyView lays out the notices for form.
func (s *Server) safetyView(t *i18n.Localizer, camp *campaign.Campaign, form SignForm) SafetyView {
	name := t.T("safety.your_country")
	if form.Country != "" {
		name = s.deps.Countries.Name(t.Tag(), strings.ToUpper(form.Country))
	}
	asCountry := func(country string) string { return t.T("safety.printed_as_country", "Country", country) }
	unprintable := func(country string) string { return t.T("safety.unprintable", "Printed", asCountry(country)) }
	heading := func(country string) string { return t.T("safety.risk_heading", "Country", country) }
	printed := func(country string) string { return t.T("safety.risk_printed", "Printed", asCountry(country)) }
	return SafetyView{
		Risk:                strings.Join(camp.RiskCountries(), " "),
		Confirmed:           strings.Join(form.Confirmed, " "),
		Unprintable:         form.AskUnprintable,
		AtRisk:              form.AskRisk,
		Ask:                 form.AskUnprintable || form.AskRisk,
		UnprintableText:     unprintable(name),
		UnprintableTemplate: unprintable(countryPlaceholder),
		RiskHeading:         heading(name),
		RiskHeadingTemplate: heading(countryPlaceholder),
		RiskPrinted:         printed(name),
		RiskPrintedTemplate: printed(countryPlaceholder),
		YourCountry:         t.T("safety.your_country"),
	}
}

// confirmedValues reads the form's "confirmed" field: the known values,
// once each.
func confirmedValues(c *fiber.Ctx) []string {
	var out []string
	for _, v := range strings.Fields(formValue(c, "confirmed")) {
		if (v == confirmUnprintable || v == confirmRisk) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// needsConfirmation decides whether a posted sign form must be shown again
// before it is signed, because the supporter has not yet seen what will
// be printed: a name that cannot be printed in its script, or a country
// whose signers are at risk, with a choice that prints the name. It sets
// the notices, switches the choice to the country form and reports true.
// A form sent again with the same values goes through.
func needsConfirmation(camp *campaign.Campaign, form *SignForm) bool {
	if form.Display == string(campaign.NameCountry) {
		return false
	}
	// A name with characters the form refuses gets that error instead.
	if name, err := textnorm.Line(form.Name); err == nil && !slices.Contains(form.Confirmed, confirmUnprintable) {
		if ok, _ := pdf.Printable(name); !ok {
			form.AskUnprintable = true
		}
	}
	if camp.AtRiskCountry(strings.TrimSpace(form.Country)) && !slices.Contains(form.Confirmed, confirmRisk) {
		form.AskRisk = true
	}
	if !form.AskUnprintable && !form.AskRisk {
		return false
	}
	for _, v := range []struct {
		asked bool
		value string
	}{{form.AskUnprintable, confirmUnprintable}, {form.AskRisk, confirmRisk}} {
		if v.asked && !slices.Contains(form.Confirmed, v.value) {
			form.Confirmed = append(form.Confirmed, v.value)
		}
	}
	form.Display = string(campaign.NameCountry)
	return true
}
