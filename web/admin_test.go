package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin")
	if page.Status != 200 || !strings.Contains(page.Body, "Send a message to Ales Bialiatski") || !strings.Contains(page.Body, "organizer@example.org") {
		t.Fatalf("dashboard: %d\n%s", page.Status, page.Body)
	}
	if got := page.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("console Cache-Control = %q, want no-store", got)
	}

	// Unknown account and wrong password: the same answer.
	_, unknown := s.login(t, "nobody@example.org", testPassword)
	_, wrong := s.login(t, "organizer@example.org", "not the password at all")
	if unknown != 401 || wrong != 401 {
		t.Errorf("unknown account %d, wrong password %d; want 401 for both", unknown, wrong)
	}

	// Logout ends the session everywhere: the old cookie no longer works.
	if res := org.post(t, "/admin/logout", nil); res.Status != 303 {
		t.Fatalf("logout: %d", res.Status)
	}
	if res := org.get(t, "/admin"); res.Status != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
		t.Errorf("after logout /admin = %d %s, want a redirect to the login page", res.Status, res.Header.Get("Location"))
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.loginAs(t, account.RoleModerator)
	for i := range account.MaxFailsPerAccount {
		if _, st := s.login(t, "moderator@example.org", "wrong password number "+string(rune('a'+i))); st != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, st)
		}
	}
	if _, st := s.login(t, "moderator@example.org", testPassword); st != 429 {
		t.Errorf("right password after %d failures: status %d, want 429", account.MaxFailsPerAccount, st)
	}
	s.Clock.Set(s.Clock.Now().Add(account.LoginWindow + time.Second))
	if _, st := s.login(t, "moderator@example.org", testPassword); st != 303 {
		t.Errorf("after the window: status %d, want 303", st)
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	u := s.loginAs(t, account.RoleOrganizer)
	// Used every hour, the session lives until its absolute limit.
	for range 11 {
		s.Clock.Set(s.Clock.Now().Add(time.Hour))
		if res := u.get(t, "/admin"); res.Status != 200 {
			t.Fatalf("active session refused at %v: %d", s.Clock.Now(), res.Status)
		}
	}
	s.Clock.Set(s.Clock.Now().Add(time.Hour + time.Minute))
	if res := u.get(t, "/admin"); res.Status != 303 {
		t.Errorf("session past its absolute expiry: %d, want a redirect to login", res.Status)
	}
	// Left alone, a session ends after the idle timeout.
	v := s.loginAs(t, account.RoleOrganizer)
	s.Clock.Set(s.Clock.Now().Add(account.IdleTimeout + time.Minute))
	if res := v.get(t, "/admin"); res.Status != 303 {
		t.Errorf("idle session: %d, want a redirect to login", res.Status)
	}
}

func TestConsoleFormsNeedTheSessionToken(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	u := s.loginAs(t, account.RoleOrganizer)
	for _, tok := range []string{"", "AAAAAGsGphUGXA0kpb2Yth97CMnewe-w"} {
		if res := u.post(t, "/admin/logout", url.Values{"token": {tok}}); res.Status != 403 {
			t.Errorf("logout with token %q: %d, want 403", tok, res.Status)
		}
	}
	if res := u.get(t, "/admin"); res.Status != 200 {
		t.Error("a refused form ended the session")
	}
}
