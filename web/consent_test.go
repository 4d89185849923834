package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
)

// confirmingCampaign adds a campaign that asks supporters to confirm
// their address, and sets the mailbox its messages go to.
func confirmingCampaign(t *testing.T, s *site, slug string) (*campaign.Campaign, *mailbox) {
	t.Helper()
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	return s.addCampaign(t, slug, func(c *campaign.Campaign) { c.ConfirmEmail = true }), box
}

// confirmLast presses the button of the newest message's link.
func (m *mailbox) confirmLast(t *testing.T, s *site) {
	t.Helper()
	sent := m.all(t)
	if len(sent) == 0 {
		t.Fatal("no confirmation message was sent")
	}
	if res := pressConfirm(t, s, confirmPath(t, sent[len(sent)-1])); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: status %d\n%s", res.Status, res.Body)
	}
}

// A campaign that does not have addresses confirmed offers no updates and
// keeps none asked for by a crafted form: anyone can type a stranger's
// address. One that does offers them, and keeps the address once its
// owner confirmed it.
func TestUpdatesOnlyForConfirmedAddresses(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	open := s.addCampaign(t, "open", nil)
	asks, box := confirmingCampaign(t, s, "asks")
	for _, tc := range []struct {
		c       *campaign.Campaign
		offered bool
	}{{open, false}, {asks, true}} {
		page := s.get(t, "/c/"+tc.c.Slug)
		if got := strings.Contains(page.Body, `<label for="f-updates">`) && strings.Contains(page.Body, `id="f-updates"`); got != tc.offered {
			t.Errorf("%s: the form offers updates %v, want %v", tc.c.Slug, got, tc.offered)
		}
		s.sign(t, tc.c.Slug, func(v url.Values) { v.Set("email", "stranger@example.org"); v.Set("updates", "yes") })
	}
	stored := func(c *campaign.Campaign) *campaign.Signature {
		t.Helper()
		sig, err := s.Core.Campaigns.Signature(t.Context(), campaign.SignatureID(emailKey, c.ID, "stranger@example.org"))
		if err != nil {
			t.Fatalf("the signature of %s: %v", c.Slug, err)
		}
		return sig
	}
	if sig := stored(open); sig.Updates || sig.Person.Email != "" {
		t.Errorf("open: the signature keeps updates %v and address %q, want neither", sig.Updates, sig.Person.Email)
	}
	box.confirmLast(t, s)
	if sig := stored(asks); !sig.Updates || !sig.Confirmed || sig.Person.Email != "stranger@example.org" {
		t.Errorf("asks, once confirmed: updates %v, confirmed %v, address %q", sig.Updates, sig.Confirmed, sig.Person.Email)
	}
}

// confirmForCode presses the button of the newest message's link and
// returns the erasure code the page after it shows, as signForCode does
// for a campaign that does not confirm addresses.
func (m *mailbox) confirmForCode(t *testing.T, s *site) string {
	t.Helper()
	sent := m.all(t)
	if len(sent) == 0 {
		t.Fatal("no confirmation message was sent")
	}
	res := pressConfirm(t, s, confirmPath(t, sent[len(sent)-1]))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: status %d\n%s", res.Status, res.Body)
	}
	var cookies []string
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Value != "" {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
	}
	page := s.get(t, res.Header.Get("Location"), "Cookie", strings.Join(cookies, "; "))
	code := eraseLinkRE.FindStringSubmatch(page.Body)
	if code == nil {
		t.Fatalf("no erasure link on the page after confirming (status %d)", page.Status)
	}
	return code[1]
}
