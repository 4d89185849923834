package web

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"
)

// route is one line of the route table: who may use which handler, and
// (access.upTo) how large a request body it takes when that is not
// BodyLimit.
type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
}

// upTo is a's access to a route that takes request bodies of up to n
// bytes, more than BodyLimit: an upload.
func (a access) upTo(n int) access {
	a.bodyLimit = n
	return a
}

const (
	get     = fiber.MethodGet
	post    = fiber.MethodPost
	options = fiber.MethodOptions
)

// routeTable declares every route of the application with who may use it
// (access.go). Where patterns overlap, the first match wins: keep
// /campaigns/new before /campaigns/:id.
func (s *Server) routeTable() []route {
	return []route{
		{post, "/api/v1/campaigns/:slug/signatures", crossSite, s.apiSign},
		{post, "/u/:token", oneClick, s.unsubscribe},
		{get, "/api/v1/partner/contacts", crossSite, s.apiContacts},

		{get, "/robots.txt", public, s.robots},
		{get, "/sitemap.xml", public, s.sitemap},
		{get, "/healthz", public, s.healthz},
		{get, "/readyz", public, s.readyz},
		{get, "/static/:file", public, s.static},
		{get, "/widget.js", public, s.widgetJS},
		{get, "/api/v1/openapi.json", public, s.apiOpenAPI},
		{get, "/api/v1/campaigns", public, s.apiCampaigns},
		{get, "/api/v1/campaigns/:slug", public, s.apiCampaign},
		{options, "/api/v1/campaigns", public, s.apiPreflight},
		{options, "/api/v1/campaigns/:slug", public, s.apiPreflight},

		{get, "/p/:token", publicPage, s.partnerStatsPage},
		{get, "/", publicPage, s.home},
		{get, "/c/:slug", publicPage, s.campaignPage},
		{post, "/c/:slug/sign", publicPage, s.sign},
		{get, "/c/:slug/thanks", publicPage, s.thanks},
		{get, "/c/:slug/confirmed", publicPage, s.confirmed},
		{get, "/confirm/:code", publicPage, s.confirmForm},
		{post, "/confirm/:code", publicPage, s.confirm},
		{get, "/c/:slug/badge.svg", publicPage, s.badge},
		{get, "/contact", publicPage, s.contact},
		{get, "/u/:token", publicPage, s.unsubscribeForm},
		{get, "/privacy", publicPage, s.privacy},
		{get, "/erase", publicPage, s.eraseForm},
		{post, "/erase", publicPage, s.erase},
		{get, "/erase/done", publicPage, s.eraseDone},
		{get, "/erase/:code", publicPage, s.eraseLink},
		{get, "/letters", publicPage, s.postList},
		{get, "/letters/feed.atom", public, s.postFeed},
		{get, "/letters/scans/:scan.jpg", public, s.postScan},
		{get, "/letters/tag/:tag", publicPage, s.postTag},
		{get, "/letters/tag/:tag/feed.atom", public, s.postTagFeed},
		{get, "/letters/:slug", publicPage, s.postPage},
		{get, "/recipients", publicPage, s.directory},
		{get, "/r/:slug", publicPage, s.recipientPage},
		{get, "/r/:slug/feed.atom", public, s.recipientFeed},
		{get, "/embed/:slug", publicPage, s.embedPage},
		{post, "/embed/:slug/sign", publicPage, s.embedSign},
		{get, "/embed/:slug/thanks", publicPage, s.embedThanks},

		{get, "/admin/login", consoleOpen, s.loginForm},
		{post, "/admin/login", consoleOpen, s.login},
		{get, "/admin/login/code", secondStep, s.codeForm},
		{post, "/admin/login/code", secondStep, s.code},
		{post, "/admin/logout", signedIn, s.logout},
		{get, "/admin", everyone, s.dashboard},

		{get, "/admin/campaigns", organizers, s.campaignList},
		{get, "/admin/campaigns/new", organizers, s.campaignNew},
		{post, "/admin/campaigns/new", organizers, s.campaignCreate},
		{get, "/admin/campaigns/:id", organizers, s.campaignEdit},
		{post, "/admin/campaigns/:id", organizers, s.campaignUpdate},
		{get, "/admin/campaigns/:id/texts", organizers, s.campaignTexts},
		{post, "/admin/campaigns/:id/texts", organizers, s.campaignTextAdd},
		{post, "/admin/campaigns/:id/texts/:lang", organizers, s.campaignTextSave},
		{get, "/admin/campaigns/:id/texts/:lang/remove", organizers, s.campaignTextRemoveForm},
		{post, "/admin/campaigns/:id/texts/:lang/remove", organizers, s.campaignTextRemove},
		{get, "/admin/campaigns/:id/preview", organizers, s.campaignPreview},
		{get, "/admin/campaigns/:id/embed", organizers, s.embedBuilder},
		{post, "/admin/campaigns/:id/schedule", organizers, s.campaignSchedule},
		{get, "/admin/campaigns/:id/close", organizers, s.campaignCloseForm},
		{post, "/admin/campaigns/:id/close", organizers, s.campaignClose},
		{post, "/admin/campaigns/:id/archive", organizers, s.campaignArchive(true)},
		{post, "/admin/campaigns/:id/unarchive", organizers, s.campaignArchive(false)},
		{post, "/admin/campaigns/:id/copy", organizers, s.campaignCopy},
		{get, "/admin/recipients", organizers, s.recipientList},
		{get, "/admin/recipients/new", organizers, s.recipientNew},
		{post, "/admin/recipients/new", organizers, s.recipientSave},
		{get, "/admin/recipients/:id", organizers, s.recipientEdit},
		{post, "/admin/recipients/:id", organizers, s.recipientSave},
		{get, "/admin/recipients/:id/archive", organizers, s.recipientArchive},

		{get, "/admin/posts", organizers, s.adminPostList},
		{get, "/admin/posts/new", organizers, s.adminPostNew},
		{post, "/admin/posts/new", organizers, s.adminPostCreate},
		{get, "/admin/posts/scans/:scan.jpg", organizers, s.adminPostScan},
		{get, "/admin/posts/:id", organizers, s.adminPostEdit},
		{post, "/admin/posts/:id", organizers, s.adminPostSave},
		{post, "/admin/posts/:id/publish", organizers, s.adminPostPublish},
		{post, "/admin/posts/:id/unpublish", organizers, s.adminPostUnpublish},
		{post, "/admin/posts/:id/unlist", organizers, s.adminPostUnlist},
		{post, "/admin/posts/:id/scans", organizers.upTo(ScanBodyLimit), s.adminPostScanAdd},
		{post, "/admin/posts/:id/scans/:scan/remove", organizers, s.adminPostScanRemove},

		{get, "/admin/campaigns/:id/signatures", organizers, s.signatureList},
		{get, "/admin/campaigns/:id/signatures.csv", organizers, s.signatureExport},
		{get, "/admin/campaigns/:id/signatures/:sig/erase", organizers, s.signatureEraseForm},
		{post, "/admin/campaigns/:id/signatures/:sig/erase", organizers, s.signatureErase},
		{get, "/admin/campaigns/:id/stats", organizers, s.campaignStats},
		{get, "/admin/campaigns/:id/bursts", organizers, s.burstList},
		{get, "/admin/campaigns/:id/bursts/change", organizers, s.burstChangeForm},
		{post, "/admin/campaigns/:id/bursts/change", organizers, s.burstChange},
		{get, "/admin/campaigns/:id/paper", organizers, s.paperPage},
		{post, "/admin/campaigns/:id/paper/tally", organizers, s.paperTally},
		{post, "/admin/campaigns/:id/paper/rows", organizers, s.paperRows},
		{get, "/admin/campaigns/:id/paper/sheets.pdf", organizers, s.paperSheets},
		{get, "/admin/campaigns/:id/bundle", organizers, s.bundlePage},
		{post, "/admin/campaigns/:id/bundle", organizers, s.bundleBuild},
		{get, "/admin/campaigns/:id/bundle/:job", organizers, s.bundleDownload},
		{post, "/admin/campaigns/:id/bundle/:job/retry", organizers, s.bundleRetry},
		{post, "/admin/campaigns/:id/printrun", organizers, s.printRunStart},
		{get, "/admin/campaigns/:id/printrun/:run", organizers, s.printRunDownload},
		{get, "/admin/campaigns/:id/delivery", organizers, s.deliveryPage},
		{post, "/admin/campaigns/:id/delivery", organizers, s.deliverySave},
		{get, "/admin/campaigns/:id/delivery/:event", organizers, s.deliveryEdit},
		{post, "/admin/campaigns/:id/delivery/:event", organizers, s.deliverySave},
		{post, "/admin/campaigns/:id/delivery/:event/remove", organizers, s.deliveryRemove},
		{post, "/admin/recipients/:id/status", organizers, s.recipientStatusAdd},
		{post, "/admin/recipients/:id/status/:change/remove", organizers, s.recipientStatusRemove},

		{get, "/admin/moderation", moderators, s.moderationQueue},
		{post, "/admin/moderation/approve", moderators, s.moderationBulkApprove},
		{get, "/admin/moderation/names", moderators, s.nameQueue},
		{post, "/admin/moderation/names/:id/approve", moderators, s.nameDecide(true)},
		{post, "/admin/moderation/names/:id/reject", moderators, s.nameDecide(false)},
		{post, "/admin/moderation/:id/approve", moderators, s.moderationApprove},
		{post, "/admin/moderation/:id/reject", moderators, s.moderationReject},
		{post, "/admin/moderation/:id/language", moderators, s.moderationLanguage},
		{get, "/admin/translations", linguists, s.translationList},
		{get, "/admin/translations/review", linguists, s.catalogReview},
		{post, "/admin/translations/:id", translators, s.translationSave},
		{post, "/admin/translations/:id/approve", moderators, s.translationReview(true)},
		{post, "/admin/translations/:id/reject", moderators, s.translationReview(false)},

		{get, "/admin/partners", organizers, s.partnersPage},
		{post, "/admin/partners", organizers, s.addPartner},
		{get, "/admin/partners/:ref", organizers, s.partnerPage},
		{post, "/admin/partners/:ref/keys", organizers, s.newPartnerKey},
		{post, "/admin/partners/:ref/keys/revoke", organizers, s.revokePartnerKey},
		{post, "/admin/partners/:ref/link", organizers, s.newPartnerLink},
		{post, "/admin/partners/:ref/link/revoke", organizers, s.revokePartnerLink},

		{get, "/admin/account", everyone, s.accountPage},
		{post, "/admin/account/password", everyone, s.changePassword},
		{get, "/admin/account/2fa", signedIn, s.twoFactorPage},
		{post, "/admin/account/2fa", signedIn, s.confirmTwoFactor},
		{post, "/admin/account/2fa/disable", everyone, s.disableTwoFactor},

		{get, "/admin/users", admins, s.usersPage},
		{post, "/admin/users", admins, s.addUser},
		{post, "/admin/users/disable", admins, s.setUserDisabled(true)},
		{post, "/admin/users/enable", admins, s.setUserDisabled(false)},
		{post, "/admin/users/password", admins, s.setUserPassword},
		{post, "/admin/users/2fa", admins, s.setTwoFactorRequired},
		{post, "/admin/users/2fa/reset", admins, s.resetTwoFactor},
		{get, "/admin/audit", admins, s.auditPage},
		{get, "/admin/organisation", admins, s.organisationForm},
		{post, "/admin/organisation", admins, s.organisationSave},
		{get, "/admin/blocklist", admins, s.blockListForm},
		{post, "/admin/blocklist", admins, s.blockListSave},
		{get, "/admin/mail", admins, s.mailPage},
		{get, "/admin/retention", organizers, s.retentionPage},
	}
}

// navLink is a link of the console's navigation. Who sees it is not said
// here: it is the access of the GET route of its href.
type navLink struct {
	href, label string
	access      access
}

// consoleNav lists the console's navigation, in order.
var consoleNav = []navLink{
	{href: "/admin", label: "admin.nav.home"},
	{href: "/admin/campaigns", label: "admin.nav.campaigns"},
	{href: "/admin/recipients", label: "admin.nav.recipients"},
	{href: "/admin/posts", label: "posts.admin.nav"},
	{href: "/admin/partners", label: "admin.nav.partners"},
	{href: "/admin/moderation", label: "admin.nav.moderation"},
	{href: "/admin/translations", label: "admin.nav.translations"},
	{href: "/admin/users", label: "admin.nav.users"},
	{href: "/admin/organisation", label: "org.admin.nav"},
	{href: "/admin/blocklist", label: "abuse2.blocklist.nav"},
	{href: "/admin/mail", label: "admin.mail.nav"},
	{href: "/admin/retention", label: "admin.retention.nav"},
	{href: "/admin/audit", label: "admin.nav.audit"},
}

// routes registers the route table behind the middleware, and gives the
// console's navigation the access of its links' routes.
func (s *Server) routes() error {
	table := s.routeTable()
	a := s.app
	a.Use(s.releaseUpload) // outermost: every answered request ends its upload lease
	a.Use(s.withRequestID) // before any log line of the request
	if s.deps.Metrics != nil {
		a.Use(s.observe) // outside accessLog, which answers errors
	}
	a.Use(s.accessLog) // so that recovered panics are logged too
	a.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	a.Use(s.securityHeaders)
	a.Use(s.withDBDeadline)
	a.Use(compress.New(compress.Config{Next: uncompressed}))
	s.register(table, true) // cross-site: before checkOrigin
	a.Use(s.checkOrigin)
	a.Group("/admin", s.withLang, s.withSession, s.checkSessionToken)
	s.register(table, false)
	a.Use(s.withLang, s.notFound)
	a.Server().HeaderReceived = s.bodyLimits(table)

	gets := map[string]access{}
	for _, r := range table {
		if r.method == get {
			gets[r.path] = r.access
		}
	}
	for _, l := range consoleNav {
		acc, ok := gets[l.href]
		if !ok {
			return fmt.Errorf("web: console navigation links to %s, which has no GET route", l.href)
		}
		l.access = acc
		s.nav = append(s.nav, l)
	}
	return nil
}

// register adds the routes of table that are cross-site, or those that
// are not, each behind the handlers that check its access.
func (s *Server) register(table []route, crossSiteOnly bool) {
	for _, r := range table {
		if r.access.crossSite != crossSiteOnly {
			continue
		}
		handlers := append(s.guard(r.access), r.handler)
		if s.deps.Metrics != nil {
			handlers = append([]fiber.Handler{routeNamed(r.path)}, handlers...)
		}
		if r.method == get {
			s.app.Get(r.path, handlers...) // and HEAD
		} else {
			s.app.Add(r.method, r.path, handlers...)
		}
	}
}

// bodyLimits returns what the HTTP server asks, once a request's header
// is read and before its body is, for how large a body to accept: the
// limit of the route the method and path name, when it has one of its
// own, the request's session cookie names a live session whose user may
// use the route (a made-up cookie gets nothing: it costs one read by _id,
// which works whichever node made the session), and one of the
// MaxLargeUploads slots is free (else the request is marked, and its 413
// is answered as errUploadsBusy); else zero, which is BodyLimit. A larger
// body is answered 413 without being read.
func (s *Server) bodyLimits(table []route) func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	type limited struct {
		method string
		parts  []string
		access access
	}
	var routes []limited
	for _, r := range table {
		if r.access.bodyLimit > 0 {
			routes = append(routes, limited{r.method, strings.Split(strings.Trim(r.path, "/"), "/"), r.access})
		}
	}
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		h.Del(uploadsBusyHeader)
		cookie := h.Cookie(sessionCookie)
		if len(cookie) == 0 {
			return fasthttp.RequestConfig{}
		}
		uri := h.RequestURI()
		if i := bytes.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
		parts := strings.Split(strings.Trim(string(uri), "/"), "/")
		for _, r := range routes {
			if string(h.Method()) != r.method || !matchPath(r.parts, parts) {
				continue
			}
			if !s.liveSession(string(cookie), r.access) {
				return fasthttp.RequestConfig{}
			}
			if !s.uploads.take(h) {
				h.Set(uploadsBusyHeader, "1")
				return fasthttp.RequestConfig{}
			}
			return fasthttp.RequestConfig{MaxRequestBodySize: r.access.bodyLimit}
		}
		return fasthttp.RequestConfig{}
	}
}

// matchPath reports whether a path's segments match a route's: a
// parameter (":id") matches any one segment that is not empty.
func matchPath(pattern, path []string) bool {
	if len(pattern) != len(path) {
		return false
	}
	for i, p := range pattern {
		if strings.HasPrefix(p, ":") {
			if path[i] == "" {
				return false
			}
			continue
		}
		if p != path[i] {
			return false
		}
	}
	return true
}
