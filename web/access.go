package web

import (
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
)

// accessKind is how a route's access is checked.
type accessKind int

const (
	// kindAnyone: no check; public pages and the console's sign-in form.
	kindAnyone accessKind = iota
	// kindSecondStep: no check by the router; the handler sends whoever
	// holds no half-finished sign-in to the login page.
	kindSecondStep
	// kindSignedIn: every signed-in user (signedIn), even one who still
	// has to enrol a second factor.
	kindSignedIn
	// kindRoles: signed-in users with one of the set's roles, or admins
	// (allow).
	kindRoles
)

// access is a named set of the people who may use a route. The route table
// (routes.go), the console's navigation and in-page checks use the same
// sets, so a link is shown exactly when its route lets the user in.
type access struct {
	name string
	kind accessKind
	// roles may use a kindRoles route besides admin, who may use all.
	roles []account.Role
	// crossSite routes are registered before checkOrigin.
	crossSite bool
	// lang says whether a public page is given the visitor's language
	// (withLang); console routes get it from their group.
	lang bool
	// bodyLimit is the largest request body the route takes, when it is
	// more than BodyLimit (upTo); zero means BodyLimit.
	bodyLimit int
}

// Who may use a route.
var (
	// crossSite is the partners' signing API: called from other servers
	// with an API key and no cookies, so it is registered before checkOrigin.
	crossSite = access{name: "cross-site", crossSite: true}
	// oneClick is everyone, from anywhere, on a page in their language:
	// the one-click unsubscribe that mail clients post (RFC 8058), which
	// a signed link authorises, not a session or the origin.
	oneClick = access{name: "one-click", crossSite: true, lang: true}
	// public is everyone, for machines: health checks, static files, the API.
	public = access{name: "public"}
	// publicPage is everyone, on a page in their language.
	publicPage = access{name: "page", lang: true}
	// consoleOpen is everyone, in the console: its sign-in form.
	consoleOpen = access{name: "open"}
	// secondStep is whoever has given their password and owes the second factor.
	secondStep = access{name: "second-step", kind: kindSecondStep}
	// signedIn is every signed-in user, before a required second factor too.
	signedIn = access{name: "signed-in", kind: kindSignedIn}
	// everyone is everyone in the console.
	everyone = access{name: "everyone", kind: kindRoles,
		roles: []account.Role{account.RoleOrganizer, account.RoleModerator, account.RoleTranslator}}
	organizers = access{name: "organizers", kind: kindRoles, roles: []account.Role{account.RoleOrganizer}}
	moderators = access{name: "moderators", kind: kindRoles, roles: []account.Role{account.RoleModerator}}
	// linguists see the translation list; only translators write
	// translations, only moderators review them.
	linguists   = access{name: "linguists", kind: kindRoles, roles: []account.Role{account.RoleTranslator, account.RoleModerator}}
	translators = access{name: "translators", kind: kindRoles, roles: []account.Role{account.RoleTranslator}}
	admins      = access{name: "admins", kind: kindRoles}
)

// errNotAllowed answers a signed-in user whose role may not use a route:
// a 403 that says so, unlike the 403 of a form from another site.
var errNotAllowed = fiber.NewError(fiber.StatusForbidden, "not allowed for this role")

// allowsRole reports whether someone with role may use a route of a; the
// empty role is a visitor who is not signed in.
func (a access) allowsRole(role account.Role) bool {
	switch a.kind {
	case kindAnyone:
		return true
	case kindSecondStep, kindSignedIn:
		return role != ""
	default:
		return role == account.RoleAdmin || (role != "" && slices.Contains(a.roles, role))
	}
}

// allows reports whether u (nil for a visitor) may use a route of a.
func (a access) allows(u *account.User) bool {
	if u == nil {
		return a.allowsRole("")
	}
	return a.allowsRole(u.Role)
}

// guard returns the handlers that check a before a route's own.
func (s *Server) guard(a access) []fiber.Handler {
	switch {
	case a.lang:
		return []fiber.Handler{s.withLang, withPublicPolicy}
	case a.kind == kindSignedIn:
		return []fiber.Handler{s.signedIn}
	case a.kind == kindRoles:
		return []fiber.Handler{s.allow(a)}
	}
	return nil
}

// allow lets through signed-in users a allows (admins always); visitors
// are sent to the login page, other users get 403. Admins and organizers
// without a second factor, where one is required, are sent to enrol it
// first.
func (s *Server) allow(a access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		if u == nil {
			next := c.OriginalURL()
			if c.Method() != fiber.MethodGet {
				next = "/admin"
			}
			return c.Redirect("/admin/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		if !a.allows(u) {
			return errNotAllowed
		}
		if account.NeedsTwoFactor(u.Role) && !u.TwoFactor() {
			required, err := s.deps.Accounts.TwoFactorRequired(c.UserContext())
			if err != nil {
				return err
			}
			if required {
				return c.Redirect("/admin/account/2fa", fiber.StatusSeeOther)
			}
		}
		return c.Next()
	}
}

// signedIn lets through every signed-in user, even one who still has to
// enrol a second factor: for the pages that do that, and signing out.
func (s *Server) signedIn(c *fiber.Ctx) error {
	if currentUser(c) == nil {
		return c.Redirect("/admin/login?next="+url.QueryEscape("/admin"), fiber.StatusSeeOther)
	}
	return c.Next()
}
