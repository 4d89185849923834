package web

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
)

// The console user's own account: the second step of signing in, the
// device cookie, changing one's password, and the second factor.

// deviceCookie marks a browser that signed in to an account before
// (OWASP's device cookie): failed attempts from it are counted apart from
// everyone else's, so that guessing from elsewhere never locks its owner
// out. Its value is "<user id>.<random id>.<MAC>".
const deviceCookie = "solidarity_device"

// deviceLife is how long a browser stays trusted without signing in again.
const deviceLife = 365 * 24 * time.Hour

// device returns the browser's device cookie if it is ours; its binding to
// an account is checked by the account service.
func (s *Server) device(c *fiber.Ctx) account.Device {
	parts := strings.Split(c.Cookies(deviceCookie), ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return account.Device{}
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(mac, s.tokens.mac("device", []byte(parts[0]+"."+parts[1]))) {
		return account.Device{}
	}
	return account.Device{UserID: parts[0], ID: parts[1]}
}

// setDevice gives the browser a new device cookie for u.
func (s *Server) setDevice(c *fiber.Ctx, u *account.User) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	mac := s.tokens.mac("device", []byte(u.ID+"."+id))
	c.Cookie(&fiber.Cookie{
		Name: deviceCookie, Value: u.ID + "." + id + "." + base64.RawURLEncoding.EncodeToString(mac),
		Path: "/admin", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secureCookies(c),
		MaxAge: int(deviceLife.Seconds()),
	})
	return nil
}

func pendingSession(c *fiber.Ctx) *account.Session {
	sess, _ := c.Locals(pendingKey{}).(*account.Session)
	return sess
}

// CodePage asks for the second factor after the password.
type CodePage struct {
	AdminPage
	Next      string
	Error     string
	FormToken string
}

func (s *Server) codeForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	if pendingSession(c) == nil {
		return c.Redirect("/admin/login?next="+url.QueryEscape(safeNext(c.Query("next"))), fiber.StatusSeeOther)
	}
	return s.renderCode(c, fiber.StatusOK, "")
}

func (s *Server) renderCode(c *fiber.Ctx, status int, problem string) error {
	t := s.localizer(c)
	p := CodePage{AdminPage: s.adminPage(c, t.T("security.code.title")), Next: safeNext(c.Query("next", formValue(c, "next"))),
		Error: problem, FormToken: s.tokens.issue("code:" + pendingSession(c).ID)}
	return s.render(c, status, "admin/login_code", p)
}

func (s *Server) code(c *fiber.Ctx) error {
	t := s.localizer(c)
	if currentUser(c) != nil {
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
	pending := pendingSession(c)
	if pending == nil {
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	}
	if _, err := s.tokens.check(formValue(c, "token"), "code:"+pending.ID); err != nil {
		return s.renderCode(c, fiber.StatusForbidden, t.T("admin.login.expired"))
	}
	res, err := s.deps.Accounts.SecondFactor(c.UserContext(), c.Cookies(sessionCookie), formValue(c, "code"), s.device(c))
	switch {
	case errors.Is(err, account.ErrRateLimited):
		c.Set(fiber.HeaderRetryAfter, "900")
		return s.renderCode(c, fiber.StatusTooManyRequests, t.T("admin.login.limited"))
	case errors.Is(err, account.ErrInvalidCode):
		// The password was right: worth a look if its owner did not type it.
		actor := "(unknown)"
		if u, ok := c.Locals(pendingUserKey{}).(*account.User); ok {
			actor = u.Email
		}
		if err := s.deps.Audit.Record(c.UserContext(), actor, audit.LoginFailed, "", "right password, wrong second-factor code"); err != nil {
			return err
		}
		return s.renderCode(c, fiber.StatusUnauthorized, t.T("security.code.failed"))
	case errors.Is(err, account.ErrNoSession):
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	case err != nil:
		return err
	}
	return s.signedInAs(c, res, safeNext(formValue(c, "next")))
}

// AccountPage is the signed-in user's own account: password and second
// factor.
type AccountPage struct {
	AdminPage
	Errors map[string]string
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	return s.renderAccount(c, fiber.StatusOK, nil)
}

func (s *Server) renderAccount(c *fiber.Ctx, status int, problems map[string]string) error {
	p := AccountPage{AdminPage: s.adminPage(c, s.localizer(c).T("security.account.title")), Errors: problems}
	return s.render(c, status, "admin/account", p)
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	t := s.localizer(c)
	u := currentUser(c)
	current, next := formValue(c, "current"), formValue(c, "password")
	problems := map[string]string{}
	switch {
	case current == "":
		problems["current"] = t.T("security.password.error.current")
	case account.CheckPassword(next) != nil:
		problems["password"] = t.N("admin.users.error.password", account.PasswordMax, "Min", t.Number(account.PasswordMin))
	case next != formValue(c, "again"):
		problems["again"] = t.T("security.password.error.again")
	}
	if len(problems) == 0 {
		err := s.deps.Accounts.ChangePassword(c.UserContext(), u, currentSession(c).ID, current, next)
		switch {
		case errors.Is(err, account.ErrWrongPassword):
			problems["current"] = t.T("security.password.error.wrong")
		case errors.Is(err, account.ErrSamePassword):
			problems["password"] = t.T("security.password.error.same")
		case errors.Is(err, account.ErrRateLimited):
			c.Set(fiber.HeaderRetryAfter, "900")
			problems["current"] = t.T("admin.login.limited")
			return s.renderAccount(c, fiber.StatusTooManyRequests, problems)
		case err != nil:
			return err
		default:
			if err := s.record(c, audit.PasswordChanged, u.Email, "by themselves"); err != nil {
				return err
			}
			return c.Redirect("/admin/account?done=own_password_changed", fiber.StatusSeeOther)
		}
	}
	return s.renderAccount(c, fiber.StatusUnprocessableEntity, problems)
}

// TwoFactorPage sets up the second factor, or shows that it is on.
type TwoFactorPage struct {
	AdminPage
	// Required says the user can do nothing else until it is set up.
	Required bool
	// Secret, QR (a data: URL of a PNG) and Link (otpauth://) are the new
	// secret in three forms.
	Secret string
	QR     template.URL
	Link   template.URL
	// RecoveryCodes are shown once, right after enrolment.
	RecoveryCodes []string
	Errors        map[string]string
}

func (s *Server) twoFactorPage(c *fiber.Ctx) error {
	return s.renderTwoFactor(c, fiber.StatusOK, nil)
}

func (s *Server) renderTwoFactor(c *fiber.Ctx, status int, problems map[string]string) error {
	u := currentUser(c)
	p := TwoFactorPage{AdminPage: s.adminPage(c, s.localizer(c).T("security.2fa.title")), Errors: problems}
	if !u.TwoFactor() {
		if account.NeedsTwoFactor(u.Role) {
			required, err := s.deps.Accounts.TwoFactorRequired(c.UserContext())
			if err != nil {
				return err
			}
			p.Required = required
		}
		if p.Required {
			p.Nav = nil // nothing else is open until the second factor is set up
		}
		e, err := s.deps.Accounts.BeginTOTP(c.UserContext(), u)
		if err != nil {
			return err
		}
		// Both are made here, not taken from the request: safe as URLs.
		p.Secret, p.Link = groupSecret(e.Secret), template.URL(e.URL)
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QR))
	}
	return s.render(c, status, "admin/two_factor", p)
}

// groupSecret splits a base32 secret into groups of four for typing.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) confirmTwoFactor(c *fiber.Ctx) error {
	t := s.localizer(c)
	u := currentUser(c)
	if u.TwoFactor() {
		return c.Redirect("/admin/account/2fa", fiber.StatusSeeOther)
	}
	codes, err := s.deps.Accounts.ConfirmTOTP(c.UserContext(), u, formValue(c, "code"))
	switch {
	case errors.Is(err, account.ErrInvalidCode):
		return s.renderTwoFactor(c, fiber.StatusUnprocessableEntity, map[string]string{"code": t.T("security.2fa.error.code")})
	case errors.Is(err, account.ErrRateLimited):
		c.Set(fiber.HeaderRetryAfter, "900")
		return s.renderTwoFactor(c, fiber.StatusTooManyRequests, map[string]string{"code": t.T("admin.login.limited")})
	case errors.Is(err, account.ErrTwoFactorOn), errors.Is(err, account.ErrTwoFactorOff):
		return c.Redirect("/admin/account/2fa", fiber.StatusSeeOther)
	case err != nil:
		return err
	}
	if err := s.record(c, audit.TwoFactorEnabled, u.Email, ""); err != nil {
		return err
	}
	// The codes are shown in this answer only; reloading it does not show
	// them again.
	p := TwoFactorPage{AdminPage: s.adminPage(c, t.T("security.2fa.title")), RecoveryCodes: codes}
	p.Done = t.T("security.2fa.enabled")
	return s.render(c, fiber.StatusOK, "admin/two_factor", p)
}

func (s *Server) disableTwoFactor(c *fiber.Ctx) error {
	t := s.localizer(c)
	u := currentUser(c)
	err := s.deps.Accounts.DisableTOTP(c.UserContext(), u, formValue(c, "password"), formValue(c, "code"))
	switch {
	case errors.Is(err, account.ErrTwoFactorOff):
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, map[string]string{"disable": t.T("security.2fa.error.off")})
	case errors.Is(err, account.ErrWrongPassword):
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, map[string]string{"disable": t.T("security.password.error.wrong")})
	case errors.Is(err, account.ErrInvalidCode):
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, map[string]string{"disable": t.T("security.2fa.error.code")})
	case errors.Is(err, account.ErrRateLimited):
		c.Set(fiber.HeaderRetryAfter, "900")
		return s.renderAccount(c, fiber.StatusTooManyRequests, map[string]string{"disable": t.T("admin.login.limited")})
	case err != nil:
		return err
	}
	if err := s.record(c, audit.TwoFactorDisabled, u.Email, ""); err != nil {
		return err
	}
	return c.Redirect("/admin/account?done=two_factor_disabled", fiber.StatusSeeOther)
}

func (s *Server) setTwoFactorRequired(c *fiber.Ctx) error {
	required := formValue(c, "required") == "yes"
	if err := s.deps.Accounts.SetTwoFactorRequired(c.UserContext(), required); err != nil {
		return err
	}
	detail := "not required"
	if required {
		detail = "required for admins and organizers"
	}
	if err := s.record(c, audit.TwoFactorSetting, "", detail); err != nil {
		return err
	}
	return c.Redirect("/admin/users?done=two_factor_setting", fiber.StatusSeeOther)
}

func (s *Server) resetTwoFactor(c *fiber.Ctx) error {
	email := formValue(c, "email")
	if u := currentUser(c); u.Email == email {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "turn your own second factor off on your account page")
	}
	if err := s.deps.Accounts.ResetTwoFactor(c.UserContext(), email); err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return fiber.ErrNotFound
		}
		return err
	}
	if err := s.record(c, audit.TwoFactorReset, email, ""); err != nil {
		return err
	}
	return c.Redirect("/admin/users?done=two_factor_reset", fiber.StatusSeeOther)
}
