package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/pquerna/otp/totp"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/web"
)

// browser is a console visitor that keeps its cookies (session and
// device) between requests, as a browser does.
type browser struct {
	site    *site
	cookies map[string]string
	origin  string
}

func (s *site) browser() *browser {
	return &browser{site: s, cookies: map[string]string{}, origin: s.URL}
}

func (b *browser) header() []string {
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	return []string{"Cookie", strings.Join(parts, "; ")}
}

func (b *browser) keep(t *testing.T, res response) response {
	t.Helper()
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return res
}

func (b *browser) get(t *testing.T, path string) response {
	t.Helper()
	return b.keep(t, b.site.get(t, path, b.header()...))
}

// post sends a form; without a "token" it takes the one of the page at
// from (the page the form is on).
func (b *browser) post(t *testing.T, from, path string, form url.Values) response {
	t.Helper()
	if _, ok := form["token"]; !ok {
		page := b.get(t, from)
		m := tokenRE.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no form token on %s (status %d)", from, page.Status)
		}
		form.Set("token", m[1])
	}
	return b.keep(t, b.site.post(t, path, form, append(b.header(), "Origin", b.origin)...))
}

// signIn sends the password form and returns the answer. A session the
// browser had is dropped first, as if it had expired; the device cookie
// stays.
func (b *browser) signIn(t *testing.T, email, password string) response {
	t.Helper()
	delete(b.cookies, "solidarity_session")
	return b.post(t, "/admin/login", "/admin/login", url.Values{"email": {email}, "password": {password}})
}

// sendCode sends the second step's form.
func (b *browser) sendCode(t *testing.T, code string) response {
	t.Helper()
	return b.post(t, "/admin/login/code", "/admin/login/code", url.Values{"code": {code}})
}

func (s *site) addUser(t *testing.T, email string, role account.Role) {
	t.Helper()
	if _, err := s.Accounts.AddUser(context.Background(), email, role, testPassword); err != nil {
		t.Fatal(err)
	}
}

func location(res response) string { return res.Header.Get("Location") }

// The demo admin's password is random and marked: every console page asks
// for a new one until it is changed, and then stops asking.
func TestPasswordBannerUntilChanged(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	password, err := s.Accounts.EnsureDemoAdmin(context.Background())
	if err != nil || password == "" {
		t.Fatalf("demo admin: %q, %v", password, err)
	}
	if res := s.browser().signIn(t, account.DemoAdminEmail, "solidarity-demo"); res.Status != 401 {
		t.Errorf("the old published password: %d, want 401", res.Status)
	}
	other := s.browser()
	if res := other.signIn(t, account.DemoAdminEmail, password); res.Status != 303 {
		t.Fatalf("sign in elsewhere: %d", res.Status)
	}
	b := s.browser()
	if res := b.signIn(t, account.DemoAdminEmail, password); res.Status != 303 {
		t.Fatalf("sign in with the printed password: %d", res.Status)
	}
	const banner = "still has the password printed at the first start"
	for _, path := range []string{"/admin", "/admin/users", "/admin/campaigns", "/admin/audit"} {
		page := b.get(t, path)
		if page.Status != 200 || !strings.Contains(page.Body, banner) || !strings.Contains(page.Body, `<a href="/admin/account">`) {
			t.Errorf("%s: %d, without the banner and its link", path, page.Status)
		}
	}

	form := func(current, next, again string) url.Values {
		return url.Values{"current": {current}, "password": {next}, "again": {again}}
	}
	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"no current password", form("", "a brand new password", "a brand new password"), "current", "Enter your current password"},
		{"wrong current password", form("not my password at all", "a brand new password", "a brand new password"), "current", "not your current password"},
		{"too short", form(password, "short", "short"), "password", "Use 12 to 256 characters"},
		{"typed differently", form(password, "a brand new password", "a brand new passw0rd"), "again", "differ"},
		{"the same", form(password, password, password), "password", "other than your current one"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := b.post(t, "/admin/account", "/admin/account/password", tt.form)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			i := strings.Index(res.Body, `id="e-`+tt.field+`"`)
			if i < 0 || !strings.Contains(res.Body[i:], tt.want) {
				t.Errorf("no error %q next to %s", tt.want, tt.field)
			}
		})
	}
	res := b.post(t, "/admin/account", "/admin/account/password", form(password, "a brand new password", "a brand new password"))
	if res.Status != 303 {
		t.Fatalf("change password: %d\n%s", res.Status, res.Body)
	}
	page := b.get(t, location(res))
	if page.Status != 200 || strings.Contains(page.Body, banner) || !strings.Contains(page.Body, "Your password is changed") {
		t.Errorf("after the change: %d, banner still shown or no confirmation", page.Status)
	}
	if page := b.get(t, "/admin"); strings.Contains(page.Body, banner) {
		t.Error("the banner is still on the dashboard")
	}
	if res := other.get(t, "/admin"); res.Status != 303 {
		t.Errorf("the other session survived the change: %d", res.Status)
	}
	if res := s.browser().signIn(t, account.DemoAdminEmail, password); res.Status != 401 {
		t.Errorf("the printed password still works: %d", res.Status)
	}
	if res := s.browser().signIn(t, account.DemoAdminEmail, "a brand new password"); res.Status != 303 {
		t.Errorf("the new password does not work: %d", res.Status)
	}
	if audit := b.get(t, "/admin/audit"); !strings.Contains(audit.Body, "changed a password") {
		t.Error("the audit log does not show the password change")
	}
}

var (
	qrRE     = regexp.MustCompile(`<img class="qr" src="data:image/png;base64,[^"]{200,}"`)
	secretRE = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	codesRE  = regexp.MustCompile(`<li><code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code></li>`)
)

// enrol sets up the second factor of b's user and returns its secret and
// recovery codes.
func enrol(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	page := b.get(t, "/admin/account/2fa")
	m := secretRE.FindStringSubmatch(page.Body)
	if page.Status != 200 || m == nil || !qrRE.MatchString(page.Body) {
		t.Fatalf("enrolment page: %d, without the secret as text and as a QR image\n%s", page.Status, page.Body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if again := secretRE.FindStringSubmatch(b.get(t, "/admin/account/2fa").Body); again == nil || again[1] != m[1] {
		t.Error("reloading the enrolment page changed the secret")
	}
	if res := b.post(t, "/admin/account/2fa", "/admin/account/2fa", url.Values{"code": {"000000"}}); res.Status != 422 ||
		!strings.Contains(res.Body, "wrong or was used already") {
		t.Errorf("wrong confirmation code: %d", res.Status)
	}
	code, err := totp.GenerateCode(secret, b.site.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	res := b.post(t, "/admin/account/2fa", "/admin/account/2fa", url.Values{"code": {code}})
	var codes []string
	for _, m := range codesRE.FindAllStringSubmatch(res.Body, -1) {
		codes = append(codes, m[1])
	}
	if res.Status != 200 || len(codes) != account.RecoveryCodeCount {
		t.Fatalf("confirm: %d with %d recovery codes, want 200 with %d", res.Status, len(codes), account.RecoveryCodeCount)
	}
	if page := b.get(t, "/admin/account/2fa"); codesRE.MatchString(page.Body) || secretRE.MatchString(page.Body) {
		t.Error("the recovery codes or the secret are shown again")
	}
	return secret, codes
}

// tick moves the clock to the next 30-second step, where a new code is
// valid.
func tick(s *site) { s.Clock.Set(s.Clock.Now().Add(30 * time.Second)) }

func codeAt(t *testing.T, s *site, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTwoFactor(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addUser(t, "ana@example.org", account.RoleOrganizer)
	b := s.browser()
	if res := b.signIn(t, "ana@example.org", testPassword); res.Status != 303 {
		t.Fatalf("sign in: %d", res.Status)
	}
	if page := b.get(t, "/admin/account"); !strings.Contains(page.Body, "Set up two-factor authentication") {
		t.Error("the account page does not offer a second factor")
	}
	secret, recovery := enrol(t, b)
	stored, err := s.Accounts.Store().UserByEmail(context.Background(), "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.DB.Collection("users").FindOne(context.Background(), bson.M{"_id": stored.ID}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) || stored.TOTPSecret.KeyID() == sealed.Plain || stored.TOTPSecret.IsZero() {
		t.Error("the secret is stored in the clear")
	}
	for _, c := range recovery {
		for _, h := range stored.RecoveryCodes {
			if strings.Contains(h, strings.ReplaceAll(c, "-", "")) {
				t.Error("a recovery code is stored in the clear")
			}
		}
	}
	enrolCode := codeAt(t, s, secret)
	if res := b.post(t, "/admin", "/admin/logout", url.Values{}); res.Status != 303 {
		t.Fatalf("logout: %d", res.Status)
	}

	// The password alone gives a session for the code step only.
	res := b.signIn(t, "ana@example.org", testPassword)
	if res.Status != 303 || !strings.HasPrefix(location(res), "/admin/login/code") {
		t.Fatalf("password of an enrolled account: %d to %q, want the code step", res.Status, location(res))
	}
	if res := b.get(t, "/admin/campaigns"); res.Status != 303 || !strings.HasPrefix(location(res), "/admin/login") {
		t.Errorf("a console page before the code: %d to %q, want the login page", res.Status, location(res))
	}
	if res := b.sendCode(t, enrolCode); res.Status != 401 {
		t.Errorf("the code used at enrolment, again: %d, want 401", res.Status)
	}
	tick(s)
	code := codeAt(t, s, secret)
	if res := b.sendCode(t, code); res.Status != 303 {
		t.Fatalf("a fresh code: %d\n%s", res.Status, res.Body)
	}
	if page := b.get(t, "/admin/campaigns"); page.Status != 200 {
		t.Errorf("after the code: %d, want the console", page.Status)
	}

	// Replayed within its window from another browser: refused.
	thief := s.browser()
	if res := thief.signIn(t, "ana@example.org", testPassword); res.Status != 303 {
		t.Fatalf("password: %d", res.Status)
	}
	if res := thief.sendCode(t, code); res.Status != 401 {
		t.Errorf("a replayed code: %d, want 401", res.Status)
	}

	// A recovery code stands in once, typed any way.
	r := s.browser()
	r.signIn(t, "ana@example.org", testPassword)
	if res := r.sendCode(t, " "+strings.ToLower(recovery[3])+" "); res.Status != 303 {
		t.Fatalf("a recovery code: %d", res.Status)
	}
	r2 := s.browser()
	r2.signIn(t, "ana@example.org", testPassword)
	if res := r2.sendCode(t, recovery[3]); res.Status != 401 {
		t.Errorf("a used recovery code: %d, want 401", res.Status)
	}
	if res := r2.sendCode(t, recovery[4]); res.Status != 303 {
		t.Errorf("another recovery code: %d", res.Status)
	}

	// Codes are limited like passwords.
	g := s.browser()
	g.signIn(t, "ana@example.org", testPassword)
	limited := false
	for i := range 10 {
		res := g.sendCode(t, fmt.Sprintf("%06d", i))
		if res.Status == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("10 wrong codes in a row were all checked")
	}

	// Turning it off takes the password and a code.
	tick(s)
	for _, tt := range []struct{ name, password, code string }{
		{"wrong password", "not my password at all", codeAt(t, s, secret)},
		{"wrong code", testPassword, "123456"},
	} {
		if res := b.post(t, "/admin/account", "/admin/account/2fa/disable", url.Values{"password": {tt.password}, "code": {tt.code}}); res.Status != 422 {
			t.Errorf("disable with %s: %d, want 422", tt.name, res.Status)
		}
	}
	tick(s)
	if res := b.post(t, "/admin/account", "/admin/account/2fa/disable", url.Values{"password": {testPassword}, "code": {codeAt(t, s, secret)}}); res.Status != 303 {
		t.Fatalf("disable: %d", res.Status)
	}
	if res := s.browser().signIn(t, "ana@example.org", testPassword); res.Status != 303 || location(res) != "/admin" {
		t.Errorf("after disabling: %d to %q, want straight into the console", res.Status, location(res))
	}

	audit := s.loginAs(t, account.RoleAdmin).get(t, "/admin/audit")
	for _, want := range []string{"turned two-factor authentication on", "used a recovery code", "turned two-factor authentication off",
		"right password, wrong second-factor code"} {
		if !strings.Contains(audit.Body, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

func TestTwoFactorRequired(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	admin := s.browser()
	s.addUser(t, "root@example.org", account.RoleAdmin)
	if res := admin.signIn(t, "root@example.org", testPassword); res.Status != 303 {
		t.Fatal(res.Status)
	}
	if page := admin.get(t, "/admin/users"); !strings.Contains(page.Body, "Require two-factor authentication") {
		t.Fatal("the users page has no two-factor setting")
	}
	if res := admin.post(t, "/admin/users", "/admin/users/2fa", url.Values{"required": {"yes"}}); res.Status != 303 {
		t.Fatalf("require: %d", res.Status)
	}

	s.addUser(t, "ana@example.org", account.RoleOrganizer)
	s.addUser(t, "mod@example.org", account.RoleModerator)
	org := s.browser()
	if res := org.signIn(t, "ana@example.org", testPassword); res.Status != 303 {
		t.Fatal(res.Status)
	}
	for _, path := range []string{"/admin", "/admin/campaigns", "/admin/account"} {
		if res := org.get(t, path); res.Status != 303 || location(res) != "/admin/account/2fa" {
			t.Errorf("organizer without a second factor at %s: %d to %q, want enrolment", path, res.Status, location(res))
		}
	}
	if res := org.post(t, "/admin/account/2fa", "/admin/account/password", url.Values{"current": {testPassword}, "password": {"x"}}); res.Status != 303 || location(res) != "/admin/account/2fa" {
		t.Errorf("a form post before enrolment: %d to %q, want enrolment", res.Status, location(res))
	}
	page := org.get(t, "/admin/account/2fa")
	if page.Status != 200 || !strings.Contains(page.Body, "requires two-factor authentication") || strings.Contains(page.Body, `href="/admin/campaigns"`) {
		t.Errorf("enrolment page: %d, without the reason or with the console's navigation", page.Status)
	}
	// The admin who set it is held to it too.
	if res := admin.get(t, "/admin/users"); res.Status != 303 || location(res) != "/admin/account/2fa" {
		t.Errorf("admin without a second factor: %d to %q", res.Status, location(res))
	}
	// Moderators are not asked.
	mod := s.browser()
	mod.signIn(t, "mod@example.org", testPassword)
	if res := mod.get(t, "/admin"); res.Status != 200 {
		t.Errorf("moderator: %d, want the console", res.Status)
	}
	enrol(t, org)
	if res := org.get(t, "/admin/campaigns"); res.Status != 200 {
		t.Errorf("organizer after enrolment: %d, want the console", res.Status)
	}
	// Signing out stays possible.
	if res := admin.post(t, "/admin/account/2fa", "/admin/logout", url.Values{}); res.Status != 303 || !strings.HasPrefix(location(res), "/admin/login") {
		t.Errorf("sign out before enrolment: %d to %q", res.Status, location(res))
	}
	if res := admin.signIn(t, "root@example.org", testPassword); res.Status != 303 {
		t.Fatal(res.Status)
	}
	enrol(t, admin)
	if res := admin.post(t, "/admin/users", "/admin/users/2fa", url.Values{}); res.Status != 303 {
		t.Fatalf("no longer require: %d", res.Status)
	}
	audit := admin.get(t, "/admin/audit")
	if !strings.Contains(audit.Body, "changed the two-factor setting") || !strings.Contains(audit.Body, "required for admins and organizers") {
		t.Error("the audit log does not show the setting")
	}
	// An admin can turn off the second factor of someone who lost it.
	if res := admin.post(t, "/admin/users", "/admin/users/2fa/reset", url.Values{"email": {"ana@example.org"}}); res.Status != 303 {
		t.Fatalf("reset: %d", res.Status)
	}
	if res := org.get(t, "/admin"); res.Status != 303 {
		t.Errorf("the reset user's session survived: %d", res.Status)
	}
	if res := s.browser().signIn(t, "ana@example.org", testPassword); res.Status != 303 || location(res) != "/admin" {
		t.Errorf("after the reset: %d to %q, want the password alone to do", res.Status, location(res))
	}
}

// Thirty wrong passwords from elsewhere lock out only the untrusted
// clients: the owner's browser, which signed in before, gets in at once.
func TestGuessingDoesNotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addUser(t, "ana@example.org", account.RoleOrganizer)
	owner := s.browser()
	res := owner.signIn(t, "ana@example.org", testPassword)
	if res.Status != 303 {
		t.Fatalf("first sign-in: %d", res.Status)
	}
	var device *http.Cookie
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "solidarity_device" {
			device = c
		}
	}
	if device == nil || !device.HttpOnly || device.Path != "/admin" || device.MaxAge < 30*24*3600 || device.Secure {
		t.Fatalf("device cookie %+v: want HttpOnly, Path=/admin, long-lived, not Secure over http", device)
	}
	owner.post(t, "/admin", "/admin/logout", url.Values{})

	attacker := s.browser()
	statuses := map[int]int{}
	for i := range 30 {
		statuses[attacker.signIn(t, "ana@example.org", fmt.Sprintf("guess number %d", i)).Status]++
	}
	if statuses[401] != account.MaxFailsPerAccount || statuses[429] != 30-account.MaxFailsPerAccount {
		t.Errorf("30 guesses: %v, want %d checked and the rest refused", statuses, account.MaxFailsPerAccount)
	}
	if res := attacker.signIn(t, "ana@example.org", testPassword); res.Status != 429 {
		t.Errorf("the right password from an untrusted client during the lockout: %d, want 429", res.Status)
	}
	forged := s.browser()
	forged.cookies["solidarity_device"] = strings.Join(strings.Split(owner.cookies["solidarity_device"], ".")[:2], ".") + ".AAAAAAAAAAAAAAAAAAAAAA"
	if res := forged.signIn(t, "ana@example.org", testPassword); res.Status != 429 {
		t.Errorf("a forged device cookie: %d, want 429", res.Status)
	}
	if res := owner.signIn(t, "ana@example.org", testPassword); res.Status != 303 {
		t.Fatalf("the owner's trusted browser: %d, want in at once", res.Status)
	}
	if page := owner.get(t, "/admin"); page.Status != 200 {
		t.Errorf("owner's console: %d", page.Status)
	}

	// A device cookie of another account is no trust for this one.
	s.addUser(t, "ola@example.org", account.RoleModerator)
	for range account.MaxFailsPerAccount {
		s.browser().signIn(t, "ola@example.org", "a wrong password here")
	}
	if res := owner.signIn(t, "ola@example.org", testPassword); res.Status != 429 {
		t.Errorf("ana's device cookie for ola's locked account: %d, want 429", res.Status)
	}

	// A trusted device that fails too often becomes untrusted itself.
	for i := range account.MaxFailsPerDevice {
		if res := owner.signIn(t, "ana@example.org", fmt.Sprintf("owner typo %d", i)); res.Status != 401 {
			t.Fatalf("owner's failure %d: %d, want 401", i+1, res.Status)
		}
	}
	if res := owner.signIn(t, "ana@example.org", testPassword); res.Status != 429 {
		t.Errorf("a device cookie after %d failures: %d, want 429 (untrusted, and untrusted clients are locked)", account.MaxFailsPerDevice, res.Status)
	}
	s.Clock.Set(s.Clock.Now().Add(account.LoginWindow + time.Second))
	if res := owner.signIn(t, "ana@example.org", testPassword); res.Status != 303 {
		t.Errorf("after the window: %d", res.Status)
	}
}

// Failures from one address against many accounts do not block anyone
// else behind that address (a Tor exit, an office): there is no limit per
// address.
func TestNoLimitPerAddress(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	for i := range 6 {
		email := fmt.Sprintf("user%d@example.org", i)
		s.addUser(t, email, account.RoleModerator)
		for j := range account.MaxFailsPerAccount {
			if res := s.browser().signIn(t, email, fmt.Sprintf("wrong %d", j)); res.Status != 401 {
				t.Fatalf("%s failure %d: %d", email, j+1, res.Status)
			}
		}
	}
	s.addUser(t, "colleague@example.org", account.RoleModerator)
	if res := s.browser().signIn(t, "colleague@example.org", testPassword); res.Status != 303 {
		t.Errorf("after 30 failures from the same address on other accounts: %d, want 303", res.Status)
	}
}

func TestDeviceCookieSecureUnderHTTPS(t *testing.T) {
	t.Parallel()
	s := newSiteWith(t, dbs.Database(t), func(c *web.Config) { c.BaseURL = "https://letters.example.org" })
	s.addUser(t, "ana@example.org", account.RoleOrganizer)
	b := s.browser()
	b.origin = "https://letters.example.org"
	res := b.signIn(t, "ana@example.org", testPassword)
	if res.Status != 303 {
		t.Fatalf("sign in: %d", res.Status)
	}
	found := false
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "solidarity_device" || c.Name == "solidarity_session" {
			found = found || c.Name == "solidarity_device"
			if !c.Secure {
				t.Errorf("%s is not Secure under https", c.Name)
			}
		}
	}
	if !found {
		t.Error("no device cookie")
	}
}
