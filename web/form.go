package web

import (
	"github.com/gofiber/fiber/v2"
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
