package web

import (
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes declares every route of the application.
func (s *Server) routes() {
	a := s.app
	a.Use(s.accessLog) // outermost, so that recovered panics are logged too
	a.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	a.Use(s.securityHeaders)
	// Partners call this from their servers with an API key and no
	// cookies, so it is no cross-site request forgery target: before checkOrigin.
	a.Post("/api/v1/campaigns/:slug/signatures", s.apiSign)
	a.Use(s.checkOrigin)

	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/static/:file", s.static)

	a.Get("/api/v1/openapi.json", s.apiOpenAPI)
	a.Get("/api/v1/campaigns", s.apiCampaigns)
	a.Get("/api/v1/campaigns/:slug", s.apiCampaign)
	a.Options("/api/v1/campaigns", s.apiPreflight)
	a.Options("/api/v1/campaigns/:slug", s.apiPreflight)
	a.Get("/p/:token", s.withLang, s.partnerStatsPage)

	a.Get("/", s.withLang, s.home)
	a.Get("/c/:slug", s.withLang, s.campaignPage)
	a.Post("/c/:slug/sign", s.withLang, s.sign)
	a.Get("/c/:slug/thanks", s.withLang, s.thanks)
	a.Get("/contact", s.withLang, s.contact)

	admin := a.Group("/admin", s.withLang, s.withSession, s.checkSessionToken)
	admin.Get("/login", s.loginForm)
	admin.Post("/login", s.login)
	admin.Post("/logout", s.signedIn, s.logout) // also before a required second factor is set up
	admin.Get("/", s.allow(everyone...), s.dashboard)
	// Console areas, each declared in its admin_<area>.go:
	s.campaignRoutes(admin)
	s.signatureRoutes(admin)
	s.moderationRoutes(admin)
	s.bundleRoutes(admin)
	s.userRoutes(admin)
	s.accountRoutes(admin)
	s.partnerRoutes(admin)
	s.organisationRoutes(admin)

	s.embedRoutes(a, admin)

	a.Use(s.withLang, s.notFound)
}
