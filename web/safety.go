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

// countryMark stands for the country's name while a notice's text is
// built, to find where the name goes: the notice writes it in an element
// of its own that sign.js fills in as the supporter chooses a country. A
// character of Unicode's private use area, which no translation holds.
const countryMark = "\ue000"

// SafetyView is what the sign form tells a supporter about what prison
// staff will read (templates/partials/sign_safety.html). Without
// JavaScript the notices show when the posted form needs them; sign.js
// shows them as the supporter types, and writes the chosen country into
// them.
type SafetyView struct {
	// Risk lists the at-risk country codes, space-separated, for sign.js.
	Risk string
	// Confirmed is the form's "confirmed" field: what was shown already.
	Confirmed string
	// Unprintable and AtRisk show the notices; Ask adds the request to
	// check the choice and send the form again.
	Unprintable, AtRisk, Ask bool
	// The notices' texts, with the chosen country's name or YourCountry.
	UnprintableText, RiskHeading, RiskPrinted CountryText
	// YourCountry stands for the country before one is chosen.
	YourCountry string
}

// CountryText is a sentence that names a country: the text before the
// name, the name and the text after it. Country is empty for a
// translation that does not name it exactly once, whose text is all in
// Before.
type CountryText struct {
	Before, Country, After string
}

// countryText builds a sentence around a country's name with text, which
// writes the name it is given.
func countryText(name string, text func(country string) string) CountryText {
	marked := text(countryMark)
	if strings.Count(marked, countryMark) != 1 {
		return CountryText{Before: text(name)}
	}
	before, after, _ := strings.Cut(marked, countryMark)
	return CountryText{Before: before, Country: name, After: after}
}

// safetyView lays out the notices for form.
func (s *Server) safetyView(t *i18n.Localizer, camp *campaign.Campaign, form SignForm) SafetyView {
	yours := t.T("safety.your_country")
	name := yours
	if form.Country != "" {
		name = s.deps.Countries.Name(t.Tag(), strings.ToUpper(form.Country))
	}
	asCountry := func(country string) string { return t.T("safety.printed_as_country", "Country", country) }
	return SafetyView{
		Risk:        strings.Join(camp.RiskCountries(), " "),
		Confirmed:   strings.Join(form.Confirmed, " "),
		Unprintable: form.AskUnprintable,
		AtRisk:      form.AskRisk,
		Ask:         form.AskUnprintable || form.AskRisk,
		UnprintableText: countryText(name, func(country string) string {
			return t.T("safety.unprintable", "Printed", asCountry(country))
		}),
		RiskHeading: countryText(name, func(country string) string { return t.T("safety.risk_heading", "Country", country) }),
		RiskPrinted: countryText(name, func(country string) string {
			return t.T("safety.risk_printed", "Printed", asCountry(country))
		}),
		YourCountry: yours,
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
