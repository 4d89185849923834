package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// The address a supporter let a partner contact them at is a stored
// address like any other: retention removes it with the rest, and the
// partner's key lists it no more.
func TestRetentionRemovesPartnerConsents(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	c := s.addCampaign(t, "rpc", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://a.example"}
		c.ConfirmEmail = true // a partner gets confirmed addresses only
	})
	key := s.addPartner(t, "alpha", "https://a.example")
	const origin = "https://a.example"
	tok := s.embedToken(t, "/embed/rpc?origin="+origin)
	if res := s.post(t, "/embed/rpc/sign?origin="+url.QueryEscape(origin), signForm(tok, func(v url.Values) {
		v.Set("origin", origin)
		v.Set("partner_contact", "yes")
	})); res.Status != http.StatusSeeOther {
		t.Fatalf("sign: status %d", res.Status)
	}
	box.confirmLast(t, s)
	contacts := func() int {
		t.Helper()
		out, status := s.partnerContacts(t, key, "")
		if status != http.StatusOK {
			t.Fatalf("contacts: status %d", status)
		}
		return len(out.Contacts)
	}
	if n := contacts(); n != 1 {
		t.Fatalf("the partner lists %d contacts before retention, want 1", n)
	}
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	if _, err := s.Core.Delivery.Add(ctx, c, &delivery.Event{Kind: delivery.KindPosted, Day: "2027-07-20",
		Method: delivery.MethodRegistered, Envelopes: 1}, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Core.Retention.RunOnce(ctx, time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Addresses != 1 {
		t.Errorf("retention trimmed %+v, want the one partner address", got)
	}
	if n := contacts(); n != 0 {
		t.Errorf("after retention the partner still lists %d contacts", n)
	}
	if has(rawSignature(t, s, c, "anna@example.org"), "partner_consent") {
		t.Error("the signature keeps its partner consent after retention")
	}
}
