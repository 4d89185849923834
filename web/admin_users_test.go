package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
)

func TestUsersPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	admin := s.loginAs(t, account.RoleAdmin)
	mod := s.loginAs(t, account.RoleModerator)

	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"bad email", url.Values{"email": {"ola@"}, "role": {"moderator"}, "password": {testPassword}}, "email", "Enter an email address"},
		{"taken email", url.Values{"email": {"Moderator@example.org"}, "role": {"moderator"}, "password": {testPassword}}, "email", "already an account"},
		{"bad role", url.Values{"email": {"ola@example.org"}, "role": {"boss"}, "password": {testPassword}}, "role", "Choose a role"},
		{"short password", url.Values{"email": {"ola@example.org"}, "role": {"moderator"}, "password": {"short"}}, "password", "Use 12 to 256 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.post(t, "/admin/users", tt.form)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			i := strings.Index(res.Body, `id="e-`+tt.field+`"`)
			if i < 0 || !strings.Contains(res.Body[i:], tt.want) {
				t.Errorf("no error %q next to %s", tt.want, tt.field)
			}
			if tt.field != "email" && !strings.Contains(res.Body, `value="`+tt.form.Get("email")+`"`) {
				t.Error("the typed email was not kept")
			}
			// The summary above the form names the problem and links to its field.
			if !regexp.MustCompile(`class="error-summary"[\s\S]*<a href="#f-` + tt.field + `">[^<]*` + regexp.QuoteMeta(tt.want)).MatchString(res.Body) {
				t.Errorf("the error summary does not link %q to #f-%s", tt.want, tt.field)
			}
		})
	}

	res := admin.post(t, "/admin/users", url.Values{"email": {"ola@example.org"}, "role": {"translator"}, "password": {testPassword}})
	if res.Status != 303 {
		t.Fatalf("add user: %d", res.Status)
	}
	// The password was chosen by the admin: its holder is asked on every
	// page to choose their own.
	banner := func(who, cookie string) {
		t.Helper()
		if page := s.get(t, "/admin/account", "Cookie", "solidarity_session="+cookie); !strings.Contains(page.Body, `class="password-banner"`) {
			t.Errorf("%s is not asked to choose a password: %d", who, page.Status)
		}
	}
	cookie, st := s.login(t, "ola@example.org", testPassword)
	if st != 303 {
		t.Errorf("the new user cannot sign in: %d", st)
	}
	banner("a new user", cookie)

	// Disabling ends the moderator's session at once.
	if res := admin.post(t, "/admin/users/disable", url.Values{"email": {"moderator@example.org"}}); res.Status != 303 {
		t.Fatalf("disable: %d", res.Status)
	}
	if res := mod.get(t, "/admin"); res.Status != 303 {
		t.Errorf("disabled user's session still works: %d", res.Status)
	}
	if _, st := s.login(t, "moderator@example.org", testPassword); st != 401 {
		t.Errorf("disabled user signs in: %d, want 401", st)
	}
	if res := admin.post(t, "/admin/users/enable", url.Values{"email": {"moderator@example.org"}}); res.Status != 303 {
		t.Fatalf("enable: %d", res.Status)
	}
	if res := admin.post(t, "/admin/users/password", url.Values{"email": {"moderator@example.org"}, "password": {"a brand new password"}}); res.Status != 303 {
		t.Fatalf("set password: %d", res.Status)
	}
	cookie, st = s.login(t, "moderator@example.org", "a brand new password")
	if st != 303 {
		t.Errorf("new password does not work: %d", st)
	}
	banner("a user whose password an admin reset", cookie)
	if res := admin.post(t, "/admin/users/disable", url.Values{"email": {"admin@example.org"}}); res.Status != 422 {
		t.Errorf("an admin disabled their own account: %d", res.Status)
	}

	audit := admin.get(t, "/admin/audit")
	for _, want := range []string{"added a user", "ola@example.org", "changed a user", "disabled", "signed in", "failed to sign in"} {
		if !strings.Contains(audit.Body, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
