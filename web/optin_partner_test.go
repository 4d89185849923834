package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/web"
)

// On a campaign that asks for confirmation, what the supporter chose on a
// partner's widget waits with the pending signature: the partner sees the
// address only once it is confirmed, and the signature keeps the language
// it was made in, for its updates.
func TestOptInKeepsPartnerConsentAndLanguage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	c := s.addCampaign(t, "pco", func(c *campaign.Campaign) {
		c.ConfirmEmail = true
		c.EmbedOrigins = []string{"https://a.example"}
	})
	key := s.addPartner(t, "alpha", "https://a.example")
	const origin = "https://a.example"
	tok := s.embedToken(t, "/embed/pco?origin="+origin+"&lang=de")
	res := s.post(t, "/embed/pco/sign?origin="+url.QueryEscape(origin)+"&lang=de", signForm(tok, func(v url.Values) {
		v.Set("origin", origin)
		v.Set("partner_contact", "yes")
	}))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign: status %d", res.Status)
	}
	contacts := func() []web.APIContact {
		t.Helper()
		out, status := s.partnerContacts(t, key, "")
		if status != http.StatusOK {
			t.Fatalf("contacts: status %d", status)
		}
		return out.Contacts
	}
	if got := contacts(); len(got) != 0 {
		t.Errorf("before the confirmation the partner sees %v", got)
	}
	sent := box.all(t)
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	if res := pressConfirm(t, s, confirmPath(t, sent[0])); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", res.Status)
	}
	got := contacts()
	if len(got) != 1 || got[0].Email != "anna@example.org" || got[0].ConsentText == "" || got[0].ConsentedAt.IsZero() {
		t.Errorf("after the confirmation the partner sees %+v, want anna's consent with its text and time", got)
	}
	sig, err := s.Service.CampaignSignature(t.Context(), c.ID, campaign.SignatureID(emailKey, c.ID, "anna@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if sig.Lang != "de" {
		t.Errorf("the confirmed signature's language = %q, want de", sig.Lang)
	}
}
