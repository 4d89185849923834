package web_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
)

// consoleAccess says which roles may use each console route besides admin,
// which may use all. Every console route must be listed here.
var consoleAccess = map[string][]account.Role{
	"GET /admin/login":   {"visitor", account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/login":  {"visitor", account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"GET /admin":         {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/logout": {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},

	"GET /admin/campaigns":                            {account.RoleOrganizer},
	"GET /admin/campaigns/new":                        {account.RoleOrganizer},
	"POST /admin/campaigns/new":                       {account.RoleOrganizer},
	"GET /admin/campaigns/:id":                        {account.RoleOrganizer},
	"POST /admin/campaigns/:id":                       {account.RoleOrganizer},
	"GET /admin/campaigns/:id/preview":                {account.RoleOrganizer},
	"GET /admin/campaigns/:id/embed":                  {account.RoleOrganizer},
	"POST /admin/campaigns/:id/schedule":              {account.RoleOrganizer},
	"GET /admin/campaigns/:id/close":                  {account.RoleOrganizer},
	"POST /admin/campaigns/:id/close":                 {account.RoleOrganizer},
	"POST /admin/campaigns/:id/archive":               {account.RoleOrganizer},
	"POST /admin/campaigns/:id/unarchive":             {account.RoleOrganizer},
	"GET /admin/recipients":                           {account.RoleOrganizer},
	"GET /admin/recipients/new":                       {account.RoleOrganizer},
	"POST /admin/recipients/new":                      {account.RoleOrganizer},
	"GET /admin/recipients/:id":                       {account.RoleOrganizer},
	"POST /admin/recipients/:id":                      {account.RoleOrganizer},
	"GET /admin/campaigns/:id/signatures":             {account.RoleOrganizer},
	"GET /admin/campaigns/:id/signatures.csv":         {account.RoleOrganizer},
	"GET /admin/campaigns/:id/signatures/:sig/erase":  {account.RoleOrganizer},
	"POST /admin/campaigns/:id/signatures/:sig/erase": {account.RoleOrganizer},
	"GET /admin/campaigns/:id/stats":                  {account.RoleOrganizer},
	"GET /admin/campaigns/:id/paper":                  {account.RoleOrganizer},
	"POST /admin/campaigns/:id/paper/tally":           {account.RoleOrganizer},
	"POST /admin/campaigns/:id/paper/rows":            {account.RoleOrganizer},

	"GET /admin/campaigns/:id/bundle":             {account.RoleOrganizer},
	"POST /admin/campaigns/:id/bundle":            {account.RoleOrganizer},
	"GET /admin/campaigns/:id/bundle/:job":        {account.RoleOrganizer},
	"POST /admin/campaigns/:id/bundle/:job/retry": {account.RoleOrganizer},

	"GET /admin/moderation":                    {account.RoleModerator},
	"POST /admin/moderation/approve":           {account.RoleModerator},
	"POST /admin/moderation/:id/approve":       {account.RoleModerator},
	"POST /admin/moderation/:id/reject":        {account.RoleModerator},
	"POST /admin/moderation/:id/language":      {account.RoleModerator},
	"GET /admin/moderation/names":              {account.RoleModerator},
	"POST /admin/moderation/names/:id/approve": {account.RoleModerator},
	"POST /admin/moderation/names/:id/reject":  {account.RoleModerator},
	"GET /admin/translations":                  {account.RoleTranslator, account.RoleModerator},
	"POST /admin/translations/:id":             {account.RoleTranslator},
	"POST /admin/translations/:id/approve":     {account.RoleModerator},
	"POST /admin/translations/:id/reject":      {account.RoleModerator},

	"GET /admin/users":           nil,
	"POST /admin/users":          nil,
	"POST /admin/users/disable":  nil,
	"POST /admin/users/enable":   nil,
	"POST /admin/users/password": nil,
	"GET /admin/audit":           nil,
	"GET /admin/organisation":    nil,
	"POST /admin/organisation":   nil,

	// Own account and second factor (admin_account.go). The code step
	// sends visitors without a pending sign-in to the login page.
	"GET /admin/login/code":           {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/login/code":          {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"GET /admin/account":              {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/account/password":    {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"GET /admin/account/2fa":          {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/account/2fa":         {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/account/2fa/disable": {account.RoleTranslator, account.RoleModerator, account.RoleOrganizer},
	"POST /admin/users/2fa":           nil,
	"POST /admin/users/2fa/reset":     nil,

	"GET /admin/partners":                   {account.RoleOrganizer},
	"POST /admin/partners":                  {account.RoleOrganizer},
	"GET /admin/partners/:ref":              {account.RoleOrganizer},
	"POST /admin/partners/:ref/keys":        {account.RoleOrganizer},
	"POST /admin/partners/:ref/keys/revoke": {account.RoleOrganizer},
	"POST /admin/partners/:ref/link":        {account.RoleOrganizer},
	"POST /admin/partners/:ref/link/revoke": {account.RoleOrganizer},
}

// TestConsoleRoleMatrix walks every console route as a visitor and as each
// role and checks that only the roles allowed get through.
func TestConsoleRoleMatrix(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	if res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), nil)); res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	sig := storedSignatures(t, s)[0].ID
	params := strings.NewReplacer("/campaigns/:id", "/campaigns/"+c.ID, ":sig", sig, "/recipients/:id", "/recipients/"+c.RecipientID,
		"/moderation/names/:id", "/moderation/names/"+sig, "/moderation/:id", "/moderation/"+sig, "/translations/:id", "/translations/"+sig, ":job", "000000000000000000000000")

	var routes []string
	for _, r := range s.App.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/admin") {
			continue
		}
		path = strings.TrimSuffix(path, "/")
		key := method + " " + path
		if _, ok := consoleAccess[key]; !ok {
			t.Errorf("route %s is not in the access table", key)
			continue
		}
		routes = append(routes, key)
	}
	// Sign out last: it ends the session the other requests use.
	slices.SortFunc(routes, func(a, b string) int {
		return strings.Compare(strings.Replace(a, "/logout", "~", 1), strings.Replace(b, "/logout", "~", 1))
	})

	users := map[account.Role]*user{}
	for _, r := range account.Roles() {
		users[r] = s.loginAs(t, r)
	}
	for _, key := range routes {
		if key == "POST /admin/login" {
			continue // needs the login form's own token; TestLogin covers it
		}
		method, path, _ := strings.Cut(key, " ")
		target := params.Replace(path)
		for _, role := range append([]account.Role{"visitor"}, account.Roles()...) {
			allowed := role == account.RoleAdmin || slices.Contains(consoleAccess[key], role)
			var res response
			switch {
			case role == "visitor" && method == "GET":
				res = s.get(t, target)
			case role == "visitor":
				res = s.post(t, target, url.Values{})
			case method == "GET":
				res = users[role].get(t, target)
			default:
				res = users[role].post(t, target, url.Values{})
			}
			toLogin := res.Status == 303 && strings.HasPrefix(res.Header.Get("Location"), "/admin/login")
			switch {
			case res.Status >= 500:
				t.Errorf("%s as %s: %d server error", key, role, res.Status)
			case allowed && (res.Status == 403 || (toLogin && !strings.HasSuffix(key, "/logout"))):
				t.Errorf("%s as %s: %d (to %q), want access", key, role, res.Status, res.Header.Get("Location"))
			case !allowed && role == "visitor" && !toLogin:
				t.Errorf("%s as visitor: %d, want a redirect to the login page", key, res.Status)
			case !allowed && role != "visitor" && res.Status != 403:
				t.Errorf("%s as %s: %d, want 403", key, role, res.Status)
			}
		}
	}
}
