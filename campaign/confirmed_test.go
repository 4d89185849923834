package campaign_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/campaign"
)

// confirmRecorder keeps the confirmation messages Sign sends.
type confirmRecorder struct {
	mu   sync.Mutex
	sent []campaign.ConfirmationMail
}

func (r *confirmRecorder) SendConfirmation(_ context.Context, m campaign.ConfirmationMail) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

// confirm follows the link of the last message to addr.
func (r *confirmRecorder) confirm(t *testing.T, svc *campaign.Service, addr string) {
	t.Helper()
	if _, err := svc.SendConfirmations(t.Context()); err != nil {
		t.Fatalf("send confirmation messages: %v", err)
	}
	r.mu.Lock()
	var link string
	for _, m := range r.sent {
		if m.To == addr {
			link = m.ConfirmURL
		}
	}
	r.mu.Unlock()
	id, secret, ok := campaign.SplitConfirmCode(link[strings.LastIndex(link, "/")+1:])
	if !ok {
		t.Fatalf("no confirmation link for %s (got %q)", addr, link)
	}
	if _, _, err := svc.ConfirmPending(t.Context(), id, secret); err != nil {
		t.Fatalf("confirm %s: %v", addr, err)
	}
}

// consentEnv is a service with a campaign that asks supporters to confirm
// their address and one that does not.
type consentEnv struct {
	svc              *campaign.Service
	partners         *campaign.Partners
	sent             *confirmRecorder
	asks, doesNotAsk *campaign.Campaign
}

func newConsentEnv(t *testing.T) *consentEnv {
	t.Helper()
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := t.Context()
	if err := svc.Store().EnsurePending(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Store().EnsurePendingDecoys(ctx); err != nil {
		t.Fatal(err)
	}
	env := &consentEnv{svc: svc, sent: &confirmRecorder{}, partners: campaign.NewPartners(svc.Store().SignaturesForTest().Database(), svc)}
	svc.SetConfirmations(env.sent)
	env.asks = testCampaign("asks", now.Add(-time.Hour), now.Add(30*24*time.Hour))
	env.asks.ConfirmEmail = true
	env.doesNotAsk = testCampaign("does-not-ask", now.Add(-time.Hour), now.Add(30*24*time.Hour))
	for _, c := range []*campaign.Campaign{env.asks, env.doesNotAsk} {
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// sign signs c as name@example.org, asking for updates and letting the
// partner with ref contact them.
func (env *consentEnv) sign(t *testing.T, c *campaign.Campaign, name, ref string) {
	t.Helper()
	err := env.svc.Sign(t.Context(), c, campaign.SignInput{
		Name: name, Email: name + "@example.org", Country: "PL", Consent: true, Updates: true,
		Source: campaign.SourceEmbed, LinkBase: "https://letters.example.org",
		PartnerConsent: &campaign.PartnerConsent{Partner: ref, Text: "Let " + ref + " write to me"},
	})
	if err != nil {
		t.Fatalf("sign %s as %s: %v", c.Slug, name, err)
	}
}

// subscribers returns the addresses the updates of c go to.
func (env *consentEnv) subscribers(t *testing.T, c *campaign.Campaign) []string {
	t.Helper()
	var got []string
	err := env.svc.Store().EachSubscriber(t.Context(), c.ID, func(s campaign.Subscriber) error {
		got = append(got, s.Email)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// contacts returns the addresses the partner with ref may write to.
func (env *consentEnv) contacts(t *testing.T, ref string) []string {
	t.Helper()
	page, _, err := env.partners.Contacts(t.Context(), ref, "", campaign.ContactsPageMax)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range page {
		got = append(got, c.Email)
	}
	slices.Sort(got)
	return got
}

func TestOnlyConfirmedAddressesGetUpdatesOrGoToPartners(t *testing.T) {
	env := newConsentEnv(t)
	ctx := t.Context()
	env.sign(t, env.doesNotAsk, "stranger", "ngo")
	env.sign(t, env.asks, "anna", "ngo")
	env.sign(t, env.asks, "boris", "other")
	// A signature stored before addresses were marked confirmed, on the
	// campaign that does not ask: its address must not be used.
	old := campaign.Signature{
		ID: "old", CampaignID: env.doesNotAsk.ID, SignedAt: env.svc.Now(), Source: campaign.SourceWeb, Updates: true,
		Person:         campaign.Person{Name: "Old", Country: "PL", Email: "old@example.org"},
		PartnerConsent: &campaign.PartnerConsent{Partner: "ngo", Email: "old@example.org", At: env.svc.Now(), Text: "Let ngo write to me"},
	}
	doc, err := env.svc.Store().SealForTest(&old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.Store().SignaturesForTest().InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}
	t.Run("before confirming", func(t *testing.T) {
		check(t, "subscribers of the campaign that does not ask", env.subscribers(t, env.doesNotAsk), nil)
		check(t, "subscribers of the campaign that asks", env.subscribers(t, env.asks), nil)
		check(t, "contacts of ngo", env.contacts(t, "ngo"), nil)
		sig, err := env.svc.Store().Signature(ctx, campaign.SignatureID([]byte("0123456789abcdef0123456789abcdef"), env.doesNotAsk.ID, "stranger@example.org"))
		if err != nil {
			t.Fatalf("the signature on the campaign that does not ask: %v", err)
		}
		if sig.Updates || sig.Person.Email != "" || sig.PartnerConsent != nil {
			t.Errorf("the campaign that does not ask kept updates %v, address %q, consent %+v", sig.Updates, sig.Person.Email, sig.PartnerConsent)
		}
	})
	env.sent.confirm(t, env.svc, "anna@example.org")
	t.Run("after anna confirmed", func(t *testing.T) {
		check(t, "subscribers of the campaign that asks", env.subscribers(t, env.asks), []string{"anna@example.org"})
		check(t, "contacts of ngo", env.contacts(t, "ngo"), []string{"anna@example.org"})
		check(t, "contacts of other", env.contacts(t, "other"), nil)
	})
	env.sent.confirm(t, env.svc, "boris@example.org")
	t.Run("after boris confirmed", func(t *testing.T) {
		check(t, "subscribers of the campaign that asks", env.subscribers(t, env.asks), []string{"anna@example.org", "boris@example.org"})
		check(t, "contacts of ngo", env.contacts(t, "ngo"), []string{"anna@example.org"})
		check(t, "contacts of other", env.contacts(t, "other"), []string{"boris@example.org"})
		check(t, "subscribers of the campaign that does not ask", env.subscribers(t, env.doesNotAsk), nil)
	})
}

func TestPendingConsentIsSealed(t *testing.T) {
	env := newConsentEnv(t)
	env.sign(t, env.asks, "anna", "ngo-secret-ref")
	raw := pendingDocs(t, env.svc)
	if len(raw) != 1 {
		t.Fatalf("%d pending signatures, want 1", len(raw))
	}
	for _, plain := range []string{"ngo-secret-ref", "Let ngo-secret-ref write to me", "anna@example.org"} {
		if bytes.Contains(raw[0], []byte(plain)) {
			t.Errorf("the pending document holds %q in the clear", plain)
		}
	}
	// What was sealed is given with the confirmed signature.
	env.sent.confirm(t, env.svc, "anna@example.org")
	got := env.contacts(t, "ngo-secret-ref")
	if !slices.Equal(got, []string{"anna@example.org"}) {
		t.Errorf("contacts after confirming: got %q, want anna's", got)
	}
}

func TestMigrationSealsPendingConsentsAndMarksConfirmed(t *testing.T) {
	env := newConsentEnv(t)
	ctx := t.Context()
	store := env.svc.Store()
	env.sign(t, env.asks, "anna", "ngo")
	// Make the pending signature as an earlier version stored it: the
	// partner consent in the clear.
	pending := store.SignaturesForTest().Database().Collection("pending_signatures")
	if _, err := pending.UpdateMany(ctx, bson.M{}, bson.M{"$set": bson.M{"partner": "ngo", "partner_text": "Let ngo write to me"}}); err != nil {
		t.Fatal(err)
	}
	// And a signature that confirmed before the mark was kept, on the
	// campaign that asks, and one that never could, on the other.
	for _, sig := range []campaign.Signature{
		{ID: "confirmed-before", CampaignID: env.asks.ID, Person: campaign.Person{Email: "cora@example.org"}},
		{ID: "never-confirmed", CampaignID: env.doesNotAsk.ID, Person: campaign.Person{Email: "dan@example.org"}},
	} {
		sig.SignedAt, sig.Source, sig.Updates, sig.Person.Name, sig.Person.Country = env.svc.Now(), campaign.SourceWeb, true, "X", "PL"
		doc, err := store.SealForTest(&sig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.SignaturesForTest().InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // safe to repeat
		if err := store.SealPendingConsents(ctx); err != nil {
			t.Fatal(err)
		}
		if err := store.MarkConfirmed(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if raw := pendingDocs(t, env.svc); len(raw) != 1 || bytes.Contains(raw[0], []byte("Let ngo")) {
		t.Errorf("after the migration the pending consent is still in the clear")
	}
	if got := env.subscribers(t, env.asks); !slices.Equal(got, []string{"cora@example.org"}) {
		t.Errorf("subscribers of the campaign that asks: got %q, want cora's", got)
	}
	if got := env.subscribers(t, env.doesNotAsk); got != nil {
		t.Errorf("subscribers of the campaign that does not ask: got %q, want none", got)
	}
	env.sent.confirm(t, env.svc, "anna@example.org")
	if got := env.contacts(t, "ngo"); !slices.Equal(got, []string{"anna@example.org"}) {
		t.Errorf("contacts of ngo after anna confirmed: got %q, want anna's", got)
	}
}

// pendingDocs returns the raw pending signatures.
func pendingDocs(t *testing.T, svc *campaign.Service) []bson.Raw {
	t.Helper()
	cur, err := svc.Store().SignaturesForTest().Database().Collection("pending_signatures").Find(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	for cur.Next(t.Context()) {
		out = append(out, slices.Clone(cur.Current))
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
