package web

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
)

// sessionCookie holds the console session's token; it is sent to /admin only.
const sessionCookie = "solidarity_session"

type sessionKey struct{}
type userKey struct{}
type pendingKey struct{}
type pendingUserKey struct{}

// withSession loads the console session, if any, for every /admin request.
// A session still waiting for its second factor is kept apart: for every
// page but that step its holder is a visitor.
func (s *Server) withSession(c *fiber.Ctx) error {
	sess, u, err := s.deps.Accounts.Current(c.UserContext(), c.Cookies(sessionCookie))
	switch {
	case err == nil && sess.Pending:
		c.Locals(pendingKey{}, sess)
		c.Locals(pendingUserKey{}, u)
	case err == nil:
		c.Locals(sessionKey{}, sess)
		c.Locals(userKey{}, u)
	case errors.Is(err, account.ErrNoSession):
	default:
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex")
	return c.Next()
}

// currentUser returns the signed-in user, or nil.
func currentUser(c *fiber.Ctx) *account.User {
	u, _ := c.Locals(userKey{}).(*account.User)
	return u
}

func currentSession(c *fiber.Ctx) *account.Session {
	sess, _ := c.Locals(sessionKey{}).(*account.Session)
	return sess
}

// checkSessionToken refuses console form posts without the session's token.
func (s *Server) checkSessionToken(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	sess := currentSession(c)
	if sess == nil {
		return c.Next() // allow sends visitors to the login page
	}
	if _, err := s.tokens.check(formValue(c, "token"), sessionPurpose(sess)); err != nil {
		return fiber.NewError(fiber.StatusForbidden, "console form token: "+err.Error())
	}
	return c.Next()
}

func sessionPurpose(sess *account.Session) string { return "session:" + sess.ID }

// AdminPage is what every console page gets.
type AdminPage struct {
	Page
	User  *account.User
	Token string // for the page's forms
	Nav   []NavItem
	// Done is a confirmation of the last action ("Saved."), from ?done=.
	Done string
	// ChangePassword asks, on every page, for a new password: the user
	// still has one nobody chose (the demo admin's).
	ChangePassword bool
}

// NavItem is a link of the console's navigation.
type NavItem struct {
	Href    string
	Label   string
	Current bool
}

// adminPage returns the common console page data.
func (s *Server) adminPage(c *fiber.Ctx, title string) AdminPage {
	t := s.localizer(c)
	p := AdminPage{Page: s.page(c, title), User: currentUser(c)}
	if sess := currentSession(c); sess != nil {
		p.Token = s.tokens.issue(sessionPurpose(sess))
	}
	if done := c.Query("done"); done != "" && s.deps.Messages.Has("admin.done."+done) {
		p.Done = t.T("admin.done." + done)
	}
	if p.User == nil {
		return p
	}
	p.ChangePassword = p.User.MustChangePassword
	path := c.Path()
	for _, it := range s.nav {
		if !it.access.allows(p.User) {
			continue
		}
		current := path == it.href || (it.href != "/admin" && strings.HasPrefix(path, it.href+"/"))
		p.Nav = append(p.Nav, NavItem{Href: it.href, Label: t.T(it.label), Current: current})
	}
	return p
}

// record writes an audit entry for the signed-in user.
func (s *Server) record(c *fiber.Ctx, action audit.Action, target, detail string) error {
	actor := "visitor"
	if u := currentUser(c); u != nil {
		actor = u.Email
	}
	return s.deps.Audit.Record(c.UserContext(), actor, action, target, detail)
}

// LoginPage is the console's sign-in form.
type LoginPage struct {
	AdminPage
	Email     string
	Next      string
	Error     string
	FormToken string
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.renderLogin(c, fiber.StatusOK, "", "")
}

func (s *Server) renderLogin(c *fiber.Ctx, status int, email, problem string) error {
	t := s.localizer(c)
	next := c.Query("next") // a link to the form
	if c.Method() == fiber.MethodPost {
		next = formValue(c, "next") // the form sent back
	}
	p := LoginPage{AdminPage: s.adminPage(c, t.T("admin.login.title")), Email: email, Next: safeNext(next),
		Error: problem, FormToken: s.tokens.issue("login")}
	return s.render(c, status, "admin/login", p)
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	return next
}

func (s *Server) login(c *fiber.Ctx) error {
	t := s.localizer(c)
	email := formValue(c, "email")
	if _, err := s.tokens.check(formValue(c, "token"), "login"); err != nil {
		return s.renderLogin(c, fiber.StatusForbidden, email, t.T("admin.login.expired"))
	}
	res, err := s.deps.Accounts.Login(c.UserContext(), email, formValue(c, "password"), s.device(c))
	switch {
	case errors.Is(err, account.ErrRateLimited):
		c.Set(fiber.HeaderRetryAfter, "900")
		return s.renderLogin(c, fiber.StatusTooManyRequests, email, t.T("admin.login.limited"))
	case errors.Is(err, account.ErrInvalidCredentials):
		// Only something shaped like an account's address is kept: a password
		// typed into the wrong field must not end up in the log.
		actor, err := account.NormalizeEmail(email)
		if err != nil {
			actor = "(not an email address)"
		}
		if err := s.deps.Audit.Record(c.UserContext(), actor, audit.LoginFailed, "", ""); err != nil {
			return err
		}
		return s.renderLogin(c, fiber.StatusUnauthorized, email, t.T("admin.login.failed"))
	case err != nil:
		return err
	}
	if res.Pending {
		s.setSessionCookie(c, res.Token, account.PendingTimeout)
		return c.Redirect("/admin/login/code?next="+url.QueryEscape(safeNext(formValue(c, "next"))), fiber.StatusSeeOther)
	}
	return s.signedInAs(c, res, safeNext(formValue(c, "next")))
}

// signedInAs finishes a sign-in: the session cookie, a new device cookie
// for this browser, the audit entry.
func (s *Server) signedInAs(c *fiber.Ctx, res *account.LoginResult, next string) error {
	s.setSessionCookie(c, res.Token, account.AbsoluteTimeout)
	if err := s.setDevice(c, res.User); err != nil {
		return err
	}
	if err := s.deps.Audit.Record(c.UserContext(), res.User.Email, audit.Login, "", ""); err != nil {
		return err
	}
	if res.RecoveryUsed {
		if err := s.deps.Audit.Record(c.UserContext(), res.User.Email, audit.RecoveryCodeUsed, res.User.Email, ""); err != nil {
			return err
		}
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) setSessionCookie(c *fiber.Ctx, token string, life time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/admin", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secureCookies(c),
		MaxAge: int(life.Seconds()),
	})
}

// secureCookies reports whether cookies get the Secure flag: whenever the
// site is served over https.
func (s *Server) secureCookies(c *fiber.Ctx) bool {
	return strings.HasPrefix(s.cfg.BaseURL, "https://") || c.Protocol() == "https"
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.deps.Accounts.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	if err := s.record(c, audit.Logout, "", ""); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/admin", MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect("/admin/login?done=logged_out", fiber.StatusSeeOther)
}
