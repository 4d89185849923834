package web

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// contentSecurityPolicy allows nothing but our own styles, images and
// scripts (the console's small enhancements, served from /static): no
// inline scripts or styles, no third party, no framing.
const contentSecurityPolicy = cspBase + "frame-ancestors 'none'"

// cspBase is the policy every page shares; only the framing rules differ
// (see framePolicy).
const cspBase = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; base-uri 'none'; "

// publicPagePolicy is the policy of the public pages: every page's, and
// the page may fetch from its own site. None of our scripts does; but
// audits of a page read its site's /robots.txt from within the page, as
// Lighthouse's SEO check does, and a policy that forbids that fails them.
// Our own origin holds nothing a page could not already link to.
const publicPagePolicy = cspBase + "connect-src 'self'; frame-ancestors 'none'"

// withPublicPolicy sets publicPagePolicy on a public page.
func withPublicPolicy(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", publicPagePolicy)
	return c.Next()
}

// allowFraming lets the sites in ancestors (origins; none means any site)
// frame this response: the embedded widget's pages call it, and only they.
// styleNonce, if set, admits the page's one <style> element (the
// embedder's accent colour).
func allowFraming(c *fiber.Ctx, ancestors []string, styleNonce string) {
	frame := "*"
	if len(ancestors) > 0 {
		frame = strings.Join(ancestors, " ")
	}
	csp := cspBase + "frame-ancestors " + frame
	if styleNonce != "" {
		csp = strings.Replace(csp, "style-src 'self'", "style-src 'self' 'nonce-"+styleNonce+"'", 1)
	}
	h := &c.Response().Header
	h.Set("Content-Security-Policy", csp)
	h.Del("X-Frame-Options")
}

// allowFrameSelf lets this page show our own pages in an iframe (the
// console's live preview of the widget); framing this page stays forbidden.
func allowFrameSelf(c *fiber.Ctx) {
	c.Response().Header.Set("Content-Security-Policy", cspBase+"frame-src 'self'; frame-ancestors 'none'")
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if strings.HasPrefix(s.cfg.BaseURL, "https://") {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// accessLog logs each request by its route, not its address or query,
// and never the client's IP address: supporters' traces stay out of logs.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the status is right.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		route = "(no route)"
	}
	// Reading a streamed body (an export) would load all of it into memory.
	bytes := -1
	if !c.Response().IsBodyStream() {
		bytes = len(c.Response().Body())
	}
	s.reqLog(c).Info("request",
		"method", c.Method(),
		"route", route,
		"status", c.Response().StatusCode(),
		"bytes", bytes,
		"ms", float64(time.Since(start).Microseconds())/1000,
	)
	return nil
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.reqLog(c).Error("panic", "route", c.Route().Path, "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
}

// langCookie keeps a visitor's explicit choice of language.
const langCookie = "lang"

// withLang chooses the request's language: ?lang=, then the cookie, then
// Accept-Language. An explicit ?lang= is remembered in a cookie.
func (s *Server) withLang(c *fiber.Ctx) error {
	q := c.Query("lang")
	tag, named := s.deps.Messages.Match([]string{q, c.Cookies(langCookie)}, c.Get(fiber.HeaderAcceptLanguage))
	c.Locals(langNamedKey{}, named)
	if q != "" && tag.String() == q {
		c.Cookie(&fiber.Cookie{
			Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: fiber.CookieSameSiteLaxMode, HTTPOnly: true,
			Secure: strings.HasPrefix(s.cfg.BaseURL, "https://"),
		})
	}
	c.Locals(localizerKey{}, s.deps.Messages.Localizer(tag))
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

type localizerKey struct{}

// langNamedKey holds whether the request named a shipped language (a choice
// or Accept-Language); publicCampaign reads it.
type langNamedKey struct{}

// localizer returns the request's translator.
func (s *Server) localizer(c *fiber.Ctx) *i18n.Localizer {
	if l, ok := c.Locals(localizerKey{}).(*i18n.Localizer); ok {
		return l
	}
	return s.deps.Messages.Localizer(i18n.Default())
}
