package web_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/web"
)

// visitor is someone who is not signed in, in the role matrix.
const visitor account.Role = ""

// roleName names a role in messages.
func roleName(r account.Role) string {
	if r == visitor {
		return "visitor"
	}
	return string(r)
}

// TestConsoleRoleMatrix walks every console route of the route table as a
// visitor and as each role and checks that exactly the roles its line
// allows get through.
func TestConsoleRoleMatrix(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	if res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil)); res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	sig := storedSignatures(t, s)[0].ID
	params := strings.NewReplacer("/campaigns/:id", "/campaigns/"+c.ID, ":sig", sig, "/recipients/:id", "/recipients/"+c.RecipientID,
		"/moderation/names/:id", "/moderation/names/"+sig, "/moderation/:id", "/moderation/"+sig, "/translations/:id", "/translations/"+sig,
		":job", "000000000000000000000000", "/partners/:ref", "/partners/nobody")

	var routes []web.RouteRule
	for _, r := range s.App.RouteTable() {
		if strings.HasPrefix(r.Path, "/admin") {
			routes = append(routes, r)
		}
	}
	if len(routes) < 50 {
		t.Fatalf("%d console routes in the table, want all of them", len(routes))
	}
	// Sign out last: it ends the session the other requests use.
	slices.SortStableFunc(routes, func(a, b web.RouteRule) int {
		return compareBool(strings.HasSuffix(a.Path, "/logout"), strings.HasSuffix(b.Path, "/logout"))
	})

	users := map[account.Role]*user{}
	for _, r := range account.Roles() {
		users[r] = s.loginAs(t, r)
	}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		if key == "POST /admin/login" {
			continue // needs the login form's own token; TestLogin covers it
		}
		target := params.Replace(r.Path)
		for _, role := range append([]account.Role{visitor}, account.Roles()...) {
			allowed := r.Allows(role)
			var res response
			switch {
			case role == visitor && r.Method == "GET":
				res = s.get(t, target)
			case role == visitor:
				res = s.post(t, target, url.Values{})
			case r.Method == "GET":
				res = users[role].get(t, target)
			default:
				res = users[role].post(t, target, url.Values{})
			}
			toLogin := res.Status == 303 && strings.HasPrefix(res.Header.Get("Location"), "/admin/login")
			switch {
			case res.Status >= 500:
				t.Errorf("%s (%s) as %s: %d server error", key, r.Access, roleName(role), res.Status)
			case allowed && (res.Status == 403 || (toLogin && !strings.HasSuffix(key, "/logout"))):
				t.Errorf("%s (%s) as %s: %d (to %q), want access", key, r.Access, roleName(role), res.Status, res.Header.Get("Location"))
			case !allowed && role == visitor && !toLogin:
				t.Errorf("%s (%s) as visitor: %d, want a redirect to the login page", key, r.Access, res.Status)
			case !allowed && role != visitor && res.Status != 403:
				t.Errorf("%s (%s) as %s: %d, want 403", key, r.Access, roleName(role), res.Status)
			case !allowed && role != visitor && r.Method == "GET" &&
				(!strings.Contains(res.Body, "Your account cannot open this page") || !strings.Contains(res.Body, `href="/admin"`)):
				// Not the cross-site form's 403: the page says why, and
				// leads back to the console.
				t.Errorf("%s (%s) as %s: the 403 page does not say that the role may not open it", key, r.Access, roleName(role))
			}
		}
	}
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// TestRouteTableIsRegistered checks that the table is what the app serves:
// every line is a registered route, and no route is registered besides it.
func TestRouteTableIsRegistered(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	var table []string
	for _, r := range s.App.RouteTable() {
		table = append(table, r.Method+" "+r.Path)
	}
	registered := s.App.Routes()
	for _, r := range table {
		if !slices.Contains(registered, r) {
			t.Errorf("%s is in the table but not registered", r)
		}
	}
	for _, r := range registered {
		method, _, _ := strings.Cut(r, " ")
		if method != "USE" && !slices.Contains(table, r) {
			t.Errorf("%s is registered but not in the table", r)
		}
	}
}

var navHrefRE = regexp.MustCompile(`<li><a href="([^"]+)"`)

// TestNavFollowsRoutes checks that every link of the console's navigation
// is shown to exactly the roles its route allows.
func TestNavFollowsRoutes(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	allows := map[string]web.RouteRule{}
	for _, r := range s.App.RouteTable() {
		if r.Method == "GET" {
			allows[r.Path] = r
		}
	}
	links := web.NavLinks()
	for _, role := range account.Roles() {
		page := s.loginAs(t, role).get(t, "/admin/account")
		if page.Status != 200 {
			t.Fatalf("account page as %s: %d", role, page.Status)
		}
		nav, _, _ := strings.Cut(page.Body, "</nav>")
		var shown []string
		for _, m := range navHrefRE.FindAllStringSubmatch(nav, -1) {
			shown = append(shown, m[1])
		}
		for _, href := range links {
			r, ok := allows[href]
			if !ok {
				t.Errorf("nav link %s has no GET route", href)
				continue
			}
			if got, want := slices.Contains(shown, href), r.Allows(role); got != want {
				t.Errorf("nav link %s (%s) shown to %s: %v, want %v", href, r.Access, role, got, want)
			}
		}
		for _, href := range shown {
			if !slices.Contains(links, href) {
				t.Errorf("%s sees nav link %s, which is not in the navigation", role, href)
			}
		}
	}
}
