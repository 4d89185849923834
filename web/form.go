package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// formValue returns the field key of a posted form, read from the request
// body only (url-encoded or multipart), or def when the body has none.
//
// Fiber's c.FormValue looks in the query string first, so a link such as
// /c/x/sign?email=... could fill in, or override, what a form sends, and a
// form token could travel in a URL, where logs, histories and Referer
// headers keep it. Handlers read posted fields with formValue only (a
// test in form_test.go keeps c.FormValue out of the package).
func formValue(c *fiber.Ctx, key string, def ...string) string {
	args := c.Request().PostArgs()
	if args.Has(key) {
		return string(args.Peek(key))
	}
	if f, err := c.MultipartForm(); err == nil {
		if v := f.Value[key]; len(v) > 0 {
			return v[0]
		}
	}
	if len(def) > 0 {
		return def[0]
	}
	return ""
}

// mailtoEscape escapes a mailto: header value; mail programs read "+" as
// a plus sign, so spaces are written as %20.
func mailtoEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
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
