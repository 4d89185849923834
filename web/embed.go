package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The embeddable widget: a partner's page loads /widget.js, which places an
// iframe of /embed/SLUG after its own <script> element. Everything the
// supporter types stays inside that iframe, on our origin, so the partner's
// scripts and trackers never see it. The form works without cookies (a
// signed form token and the Origin check, as on the campaign page).

// embedOptions are the widget's settings, from the loader's data
// attributes by way of the iframe's query string.
type embedOptions struct {
	// Origin is the embedding page's origin, normalised; empty for a plain
	// iframe, which then keeps its fixed height.
	Origin string
	// Attribution is Origin when the browser confirmed that site frames the
	// page (see framedBy), else empty; the form's token is bound to it.
	// It is never read from the request's query.
	Attribution string
	// Lang is the language the page asked for; empty lets the visitor's
	// browser choose.
	Lang string
	// Dark chooses the dark theme.
	Dark bool
	// Accent is a colour as "#rrggbb"; empty keeps ours.
	Accent string
	// Compact shows the count and a button to the campaign page instead of
	// the form.
	Compact bool
}

// errBadOrigin says that ?origin= is not an http(s) origin.
var errBadOrigin = fiber.NewError(fiber.StatusBadRequest, "invalid embedding origin")

// readEmbedOptions reads the options from query or form values. A wrong
// accent or theme is ignored; a wrong origin is an error, since it decides
// where messages go.
func readEmbedOptions(get func(string) string) (embedOptions, error) {
	o := embedOptions{
		Lang:    get("lang"),
		Dark:    get("theme") == "dark",
		Compact: get("compact") == "1",
	}
	if len(o.Lang) > 16 {
		o.Lang = ""
	}
	o.Accent, _ = parseAccent(get("accent"))
	if raw := get("origin"); raw != "" {
		origin, ok := campaign.ParseOrigin(raw)
		if !ok {
			return o, errBadOrigin
		}
		o.Origin = origin
	}
	return o, nil
}

// query is the options as a query string, for the iframe's links and form.
func (o embedOptions) query() string {
	v := url.Values{}
	if o.Origin != "" {
		v.Set("origin", o.Origin)
	}
	if o.Lang != "" {
		v.Set("lang", o.Lang)
	}
	if o.Dark {
		v.Set("theme", "dark")
	}
	if o.Accent != "" {
		v.Set("accent", o.Accent)
	}
	if o.Compact {
		v.Set("compact", "1")
	}
	return v.Encode()
}

var accentRE = regexp.MustCompile(`^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// parseAccent reads a colour given as #rgb or #rrggbb (the # may be left
// out) and returns it as lower-case "#rrggbb". Only hex colours are taken:
// they are safe in a style sheet, and the text on them can be chosen for
// contrast.
func parseAccent(s string) (string, bool) {
	m := accentRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	hex := strings.ToLower(m[1])
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	return "#" + hex, true
}

// accentInk is the text colour for buttons on accent: black or white,
// whichever contrasts more (WCAG relative luminance).
func accentInk(accent string) string {
	lum := 0.0
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		n, _ := strconv.ParseUint(accent[1+2*i:3+2*i], 16, 8)
		c := float64(n) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += w * c
	}
	// Contrast with white is 1.05/(L+0.05), with black (L+0.05)/0.05.
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}

// EmbedPage is the widget's card: the campaign, and the form, the thanks
// or the closed state.
type EmbedPage struct {
	Page
	C      CampaignView
	Form   SignForm
	Inputs []InputView
	Checks []CheckView
	// Safety tells the supporter what prison staff will read.
	Safety SafetyView
	// Signed shows the thanks state; CheckEmail asks there to confirm by
	// the message sent (campaign/pending.go).
	Signed, CheckEmail bool
	// Erasure is the signature's erasure code and link, shown once in
	// the thanks state; nil when the frame got no cookie.
	Erasure *ErasureOffer
	// Compact shows the count and a button to the full page, as a
	// drive's widget always does: its page offers whom to write to.
	Compact bool
	// Waiting is how many of a drive's recipients have no card yet.
	Waiting int64
	Dark    bool
	// Origin is where embed.js sends the page's height; empty sends none.
	Origin string
	// Action is where the form posts, with the options in its query.
	Action template.URL
	// FullURL is the campaign page, opened in a new tab.
	FullURL string
	// Accent and AccentInk colour the card when the embedder chose a
	// colour; StyleNonce admits that one <style> element.
	Accent, AccentInk, StyleNonce string
}

// embedCampaign reads the campaign and the options of an embed request,
// and refuses an embedding site the campaign does not allow.
func (s *Server) embedCampaign(c *fiber.Ctx, get func(string) string) (*campaign.Campaign, embedOptions, error) {
	camp, err := s.publicCampaign(c)
	if err != nil {
		return nil, embedOptions{}, err
	}
	o, err := readEmbedOptions(get)
	if err != nil {
		return nil, o, err
	}
	if o.Origin != "" && !camp.EmbedAllowed(o.Origin) {
		return nil, o, fiber.NewError(fiber.StatusForbidden, "this site may not embed the campaign")
	}
	return camp, o, nil
}

// embedPurpose binds an embed form's token to the site that embeds it, so
// that the attribution in the hidden field cannot be changed.
func embedPurpose(camp *campaign.Campaign, origin string) string {
	return signPurpose(camp) + "|" + origin
}

// framedBy keeps the embedding origin a page was asked for only when the
// browser says the page is loaded from that site (its Referer, which
// browsers send for frames with our Referrer-Policy): attribution is not
// for the asking.
func framedBy(c *fiber.Ctx, origin string) string {
	if origin == "" {
		return ""
	}
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || !strings.EqualFold(ref.Scheme+"://"+ref.Host, origin) {
		return ""
	}
	return origin
}

func (s *Server) embedPage(c *fiber.Ctx) error {
	camp, o, err := s.embedCampaign(c, func(k string) string { return c.Query(k) })
	if err != nil {
		return err
	}
	o.Attribution = framedBy(c, o.Origin)
	return s.renderEmbed(c, fiber.StatusOK, camp, o, SignForm{}, false)
}

func (s *Server) embedSign(c *fiber.Ctx) error {
	// The options come back as the form's action query; the origin as a
	// hidden field of the form, which wins.
	camp, o, err := s.embedCampaign(c, func(k string) string {
		if k == "origin" {
			return formValue(c, k)
		}
		return c.Query(k)
	})
	if err != nil {
		return err
	}
	// The signature is attributed to the embedding site only if the form's
	// token was issued for it.
	o.Attribution = o.Origin
	if _, err := s.tokens.check(formValue(c, "token"), embedPurpose(camp, o.Attribution)); err != nil {
		o.Attribution = ""
	}
	partner, err := s.embedPartner(c, camp, o.Attribution)
	if err != nil {
		return err
	}
	return s.signCampaign(c, camp, signing{
		Partner:  partnerConsent(s.localizer(c), partner),
		Source:   campaign.SourceEmbed,
		Referrer: o.Attribution,
		Purpose:  embedPurpose(camp, o.Attribution),
		Thanks:   "/embed/" + url.PathEscape(camp.Slug) + "/thanks?" + o.query(),
		Render: func(status int, form SignForm) error {
			return s.renderEmbed(c, status, camp, o, form, false)
		},
	})
}

func (s *Server) embedThanks(c *fiber.Ctx) error {
	camp, o, err := s.embedCampaign(c, func(k string) string { return c.Query(k) })
	if err != nil {
		return err
	}
	return s.renderEmbed(c, fiber.StatusOK, camp, o, SignForm{}, true)
}

// renderEmbed draws the widget's card and opens it to framing by the sites
// the campaign allows (and our own console's preview).
func (s *Server) renderEmbed(c *fiber.Ctx, status int, camp *campaign.Campaign, o embedOptions, form SignForm, signed bool) error {
	v, err := s.campaignView(c, camp)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	title := v.Title
	if len(form.Problems) > 0 || form.Notice != "" {
		title = t.T("form.error_title", "Title", v.Title)
	}
	p := EmbedPage{
		Page: s.page(c, title), C: v, Form: form, Signed: signed, CheckEmail: signed && camp.ConfirmEmail,
		Compact: o.Compact, Dark: o.Dark,
		Origin: o.Origin,
		// The options are ours, encoded by url.Values: no need to escape
		// them again.
		Action:  template.URL("/embed/" + url.PathEscape(camp.Slug) + "/sign?" + o.query()),
		FullURL: s.baseURL(c) + "/c/" + url.PathEscape(camp.Slug),
	}
	if signed {
		p.Erasure = s.takeErasureCode(c, camp)
	}
	if camp.IsDrive() {
		p.Compact = true
		p.Waiting = int64(s.deps.Signing.Waiting(camp))
	}
	if v.Open && !signed && !p.Compact {
		s.formToken(c, &p.Form, embedPurpose(camp, o.Attribution))
		p.Inputs, p.Checks = s.formViews(t, camp, v, form)
		if p.Checks, err = s.partnerContactCheck(c, t, camp, o.Attribution, form, p.Checks); err != nil {
			return err
		}
		p.Safety = s.safetyView(t, camp, form)
	}
	if o.Accent != "" {
		p.Accent, p.AccentInk, p.StyleNonce = o.Accent, accentInk(o.Accent), nonce()
	}
	if err := s.render(c, status, "embed/card", p); err != nil {
		return err
	}
	var ancestors []string // any site
	if len(camp.EmbedOrigins) > 0 {
		ancestors = append([]string{"'self'"}, camp.EmbedOrigins...)
	}
	allowFraming(c, ancestors, p.StyleNonce)
	return nil
}

// nonce is a fresh random value for a Content-Security-Policy nonce.
func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return base64.RawStdEncoding.EncodeToString(b)
}

// widgetJS serves the loader at its fixed address: partners' pages cannot
// follow a hashed name, so it is cached briefly and revalidated by ETag.
func (s *Server) widgetJS(c *fiber.Ctx) error {
	hashed := strings.TrimPrefix(s.views.urls["widget.js"], "/static/")
	a, ok := s.views.assets[hashed]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + strings.TrimSuffix(strings.TrimPrefix(hashed, "widget."), ".js") + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(a.body)
}

// badgeTitleMax is how many characters of the title a badge shows.
const badgeTitleMax = 40

// badge draws the campaign's title and count as a small SVG image, for
// newsletters and READMEs, in which no script runs.
func (s *Server) badge(c *fiber.Ctx) error {
	camp, err := s.publicCampaign(c)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	n := s.deps.Signing.Count(camp.ID)
	text, _ := camp.TextIn(t.Tag().String())
	title := text.Title
	if utf8.RuneCountInString(title) > badgeTitleMax {
		title = strings.TrimSpace(string([]rune(title)[:badgeTitleMax-1])) + "…"
	}
	count := t.Number(n) + " " + t.N("campaign.signatures", n)
	c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.SendString(badgeSVG(title, count))
}

// badgeSVG lays out a two-part badge. Widths are estimated from the
// number of characters (about 7 px each at 12 px), since the server cannot
// measure the viewer's font.
func badgeSVG(title, count string) string {
	const charW, pad, h = 7, 10, 24
	lw := utf8.RuneCountInString(title)*charW + 2*pad
	rw := utf8.RuneCountInString(count)*charW + 2*pad
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s: %s">`, lw+rw, h, e(title), e(count))
	fmt.Fprintf(&b, `<title>%s: %s</title>`, e(title), e(count))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" rx="4" fill="#1f2328"/>`, lw+rw, h)
	fmt.Fprintf(&b, `<rect x="%d" width="%d" height="%d" rx="4" fill="#1d4e89"/><rect x="%d" width="4" height="%d" fill="#1d4e89"/>`, lw, rw, h, lw, h)
	b.WriteString(`<g fill="#ffffff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="12">`)
	fmt.Fprintf(&b, `<text x="%d" y="16">%s</text>`, pad, e(title))
	fmt.Fprintf(&b, `<text x="%d" y="16" font-weight="bold">%s</text>`, lw+pad, e(count))
	b.WriteString(`</g></svg>`)
	return b.String()
}
