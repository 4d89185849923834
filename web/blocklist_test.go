package web_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
)

// An admin blocks email domains on the console (an organizer may not);
// entries that are not domains are refused line by line; a supporter at a
// blocked domain or its subdomain is refused in their language, with
// what they typed kept, and nothing is stored.
func TestBlockListRefusesSigners(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	admin := s.loginAs(t, account.RoleAdmin)
	if res := s.loginAs(t, account.RoleOrganizer).get(t, "/admin/blocklist"); res.Status != 403 {
		t.Errorf("an organizer's block list page: status %d, want 403", res.Status)
	}
	page := admin.get(t, "/admin/blocklist")
	if page.Status != 200 {
		t.Fatalf("block list page: status %d", page.Status)
	}
	checkPage(t, page)
	res := admin.post(t, "/admin/blocklist", url.Values{"domains": {"spam.example\r\nanna@mail.example"}})
	body := html.UnescapeString(res.Body)
	if res.Status != 422 || !strings.Contains(body, "Line 2: “anna@mail.example” is not a domain name") || !strings.Contains(body, "anna@mail.example") {
		t.Fatalf("an address in the list: status %d\n%s", res.Status, body)
	}
	if d, _ := s.Service.BlockList().Domains(context.Background()); len(d) != 0 {
		t.Errorf("stored %v after a refused list", d)
	}
	res = admin.post(t, "/admin/blocklist", url.Values{"domains": {"SPAM.example\r\n@bots.example"}})
	if res.Status != 303 {
		t.Fatalf("save: status %d\n%s", res.Status, res.Body)
	}
	if page := admin.get(t, res.Header.Get("Location")); !strings.Contains(page.Body, "bots.example\nspam.example") || !strings.Contains(page.Body, "2 domains are blocked") {
		t.Errorf("saved list page:\n%s", page.Body)
	}
	if e := s.auditEntries(t, audit.BlockListChanged); len(e) != 1 || e[0].Detail != "added 2, removed 0, now 2" {
		t.Errorf("audit entries %+v", e)
	}
	before := s.Service.Count("c-ales")
	tests := []struct {
		email, lang, want string
	}{
		{"bot@spam.example", "en", "Addresses at this email domain are not accepted on this site"},
		{"bot@x.bots.example", "pl", "Adresy w tej domenie"},
	}
	for _, tt := range tests {
		res := s.post(t, "/c/ales/sign?lang="+tt.lang, signForm(s.freshToken("c-ales"), func(v url.Values) { v.Set("email", tt.email) }))
		body := html.UnescapeString(res.Body)
		if res.Status != 422 || !strings.Contains(body, tt.want) || !strings.Contains(body, tt.email) {
			t.Errorf("%s in %s: status %d, want 422 with %q and the address kept", tt.email, tt.lang, res.Status, tt.want)
		}
	}
	if res := s.post(t, "/c/ales/sign", signForm(s.freshToken("c-ales"), func(v url.Values) { v.Set("email", "anna@notspam.example") })); res.Status != 303 {
		t.Errorf("another domain: status %d", res.Status)
	}
	if got := s.Service.Count("c-ales"); got != before+1 {
		t.Errorf("count %d, want %d", got, before+1)
	}
}

// The campaign form turns on counting aliases as one person, for new
// signatures of that campaign only.
func TestMergeAliasesSetting(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "maria", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	form := org.get(t, "/admin/campaigns/"+c.ID)
	if !strings.Contains(form.Body, `name="merge_aliases"`) || strings.Contains(form.Body, `name="merge_aliases" type="checkbox" value="yes" checked`) {
		t.Fatal("the campaign form has no merge setting, or it is on by default")
	}
	res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) { v.Set("merge_aliases", "yes") }))
	if res.Status != 303 {
		t.Fatalf("save: status %d\n%s", res.Status, res.Body)
	}
	stored, err := s.Service.Campaign(context.Background(), c.ID)
	if err != nil || !stored.MergeAliases {
		t.Fatalf("stored merge setting %v, %v", stored != nil && stored.MergeAliases, err)
	}
	s.reload(t)
	for _, slug := range []string{"ales", "maria"} {
		for _, email := range []string{"anna.k+x@gmail.com", "annak@googlemail.com"} {
			if res := s.post(t, "/c/"+slug+"/sign", signForm(s.freshToken("c-"+slug), func(v url.Values) { v.Set("email", email) })); res.Status != 303 {
				t.Fatalf("%s as %s: status %d", slug, email, res.Status)
			}
		}
	}
	if got := s.Service.Count("c-ales"); got != 1 {
		t.Errorf("merged campaign counts %d, want 1", got)
	}
	if got := s.Service.Count("c-maria"); got != 2 {
		t.Errorf("other campaign counts %d, want 2", got)
	}
}
