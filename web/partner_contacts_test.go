package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/web"
)

// On the widget that a partner embeds, a separate unticked box lets the
// supporter also be contacted by that partner; the address, the time and
// the box's text reach that partner only, through its API key, page by
// page, audited; a supporter who did not tick it, or signed elsewhere, is
// not listed; erasing the signature erases the consent.
func TestPartnerContacts(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := t.Context()
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	camp := s.addCampaign(t, "pc", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://a.example", "https://b.example"}
		c.ConfirmEmail = true
	})
	// A campaign that does not have addresses confirmed offers no box.
	s.addCampaign(t, "pc-open", func(c *campaign.Campaign) { c.EmbedOrigins = []string{"https://a.example"} })
	keyA := s.addPartner(t, "alpha", "https://a.example")
	keyB := s.addPartner(t, "beta", "https://b.example")
	const label = "Also let NGO alpha, who show this form on their site, contact me at this address."

	if page := s.get(t, "/embed/pc?origin=https://a.example", "Referer", "https://a.example/x.html"); !strings.Contains(page.Body, `name="partner_contact"`) ||
		!strings.Contains(page.Body, label) || strings.Contains(page.Body, `name="partner_contact" type="checkbox" value="yes" checked`) {
		t.Errorf("the partner's widget lacks the unticked box %q", label)
	}
	if page := s.get(t, "/c/pc"); strings.Contains(page.Body, "partner_contact") {
		t.Error("the campaign's own page offers a partner's box")
	}
	if page := s.get(t, "/embed/pc-open?origin=https://a.example", "Referer", "https://a.example/x.html"); page.Status != http.StatusOK || strings.Contains(page.Body, "partner_contact") {
		t.Errorf("the widget of a campaign that does not confirm addresses: status %d, offers a partner's box %v", page.Status, strings.Contains(page.Body, "partner_contact"))
	}

	embedSignTo := func(slug, origin, email string, tick bool) {
		t.Helper()
		tok := s.embedToken(t, "/embed/"+slug+"?origin="+origin)
		res := s.post(t, "/embed/"+slug+"/sign?origin="+url.QueryEscape(origin), signForm(tok, func(v url.Values) {
			v.Set("origin", origin)
			v.Set("email", email)
			if tick {
				v.Set("partner_contact", "yes")
			}
		}))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("sign as %s: status %d", email, res.Status)
		}
	}
	// Each confirms the address, but fay, and gus signs a campaign that
	// does not confirm addresses: neither is listed.
	embedSign := func(origin, email string, tick bool) {
		t.Helper()
		embedSignTo("pc", origin, email, tick)
		box.confirmLast(t, s)
	}
	embedSign("https://a.example", "anna@example.org", true)
	embedSign("https://a.example", "boris@example.org", false)
	embedSign("https://b.example", "carl@example.org", true)
	embedSign("https://a.example", "dora@example.org", true)
	s.sign(t, "pc", func(v url.Values) { v.Set("email", "eve@example.org"); v.Set("partner_contact", "yes") })
	box.confirmLast(t, s)
	embedSignTo("pc", "https://a.example", "fay@example.org", true)
	embedSignTo("pc-open", "https://a.example", "gus@example.org", true)

	list := func(key, query string) (web.APIContacts, int) {
		t.Helper()
		return s.partnerContacts(t, key, query)
	}
	emails := func(cs []web.APIContact) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Email)
		}
		slices.Sort(out)
		return out
	}

	if _, status := list("", ""); status != http.StatusUnauthorized {
		t.Errorf("without a key: status %d, want 401", status)
	}
	a, _ := list(keyA, "")
	if got := emails(a.Contacts); !slices.Equal(got, []string{"anna@example.org", "dora@example.org"}) {
		t.Errorf("partner a's key lists %v, want anna and dora", got)
	}
	for _, c := range a.Contacts {
		if c.ConsentText != label || c.Campaign != "pc" || c.ConsentedAt.IsZero() {
			t.Errorf("contact %s: text %q, campaign %q, at %v", c.Email, c.ConsentText, c.Campaign, c.ConsentedAt)
		}
	}
	if b, _ := list(keyB, ""); !slices.Equal(emails(b.Contacts), []string{"carl@example.org"}) {
		t.Errorf("partner b's key lists %v, want carl only", emails(b.Contacts))
	}

	first, _ := list(keyA, "?limit=1")
	second, _ := list(keyA, "?limit=1&after="+url.QueryEscape(first.Next))
	if len(first.Contacts) != 1 || first.Next == "" || len(second.Contacts) != 1 || second.Next != "" ||
		first.Contacts[0].Email == second.Contacts[0].Email {
		t.Errorf("pages of one: %+v then %+v", first, second)
	}

	anna := campaign.SignatureID(emailKey, camp.ID, "anna@example.org")
	if err := s.Service.EraseSignature(ctx, camp.ID, anna); err != nil {
		t.Fatal(err)
	}
	if a, _ := list(keyA, ""); !slices.Equal(emails(a.Contacts), []string{"dora@example.org"}) {
		t.Errorf("after anna's signature was erased, partner a's key lists %v", emails(a.Contacts))
	}

	entries, _, err := s.Core.Audit.Page(ctx, audit.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var reads int
	for _, e := range entries {
		if e.Action == audit.PartnerContactsRead {
			reads++
			if strings.Contains(e.Detail, "@") || strings.Contains(e.Target, "@") {
				t.Errorf("the audit log names an address: %+v", e)
			}
		}
	}
	if reads != 5 {
		t.Errorf("%d reads of contacts audited, want 5", reads)
	}
}

// partnerContacts reads a page of the contacts the partner with key (none
// when "") may write to, and the answer's status.
func (s *site) partnerContacts(t *testing.T, key, query string) (web.APIContacts, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/api/v1/partner/contacts"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res := s.do(t, req)
	var out web.APIContacts
	if res.Status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, res.Status
}
