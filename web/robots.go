package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// robotsTxt keeps search engines to the public pages: the campaigns, the
// home and contact pages, the letters and the recipients' pages. The console, the partners' pages, the embedded
// forms (their partners' pages are what should be found) and the API are
// left out. A thanks page may be read: it holds nothing personal, and it
// names its campaign's page as its canonical address, so that searches
// lead to the campaign rather than to a thanks nobody earned.
const robotsTxt = `User-agent: *
Disallow: /admin
Disallow: /api/
Disallow: /embed/
Disallow: /p/
Disallow: /c/*/sign
`

// robots serves robots.txt, which names the sitemap (sitemap.go) by its
// absolute address, as the format asks.
func (s *Server) robots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendString(robotsTxt + "Sitemap: " + s.baseURL(c) + "/sitemap.xml\n")
}

// uncompressed reports the responses sent without compression: the
// console's and the partners' statistics pages. They hold secrets tied to
// a session or a link next to text the visitor can choose, which a
// compressed length can give away (BREACH); public pages hold neither.
func uncompressed(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/admin") || strings.HasPrefix(p, "/p/")
}
