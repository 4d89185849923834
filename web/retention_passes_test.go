package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// postLetters records in c's delivery log that its letters were posted
// on day (YYYY-MM-DD).
func postLetters(t *testing.T, s *site, c *campaign.Campaign, day string) {
	t.Helper()
	if _, err := s.Core.Delivery.Add(context.Background(), c, &delivery.Event{Kind: delivery.KindPosted, Day: day,
		Method: delivery.MethodRegistered, Envelopes: 1}, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
}

// retain runs the retention job at at and returns what it trimmed.
func retain(t *testing.T, s *site, at time.Time) []campaign.Trimmed {
	t.Helper()
	got, err := s.Core.Retention.RunOnce(context.Background(), at)
	if err != nil {
		t.Fatalf("retention at %s: %v", at, err)
	}
	return got
}

// A campaign trimmed once and then extended by its organizer collects
// new addresses: they are trimmed too, once it is due again.
func TestRetentionTrimsAgainAfterTheClosingDateMoved(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	c, box := confirmingCampaign(t, s, "moved") // addresses are kept only once confirmed
	s.sign(t, "moved", func(v url.Values) { v.Set("email", "anna@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	postLetters(t, s, c, "2027-07-20")
	if got := retain(t, s, time.Date(2027, 8, 20, 0, 0, 0, 0, time.UTC)); len(got) != 1 || got[0].Addresses != 1 {
		t.Fatalf("first retention: %+v, want Anna's address", got)
	}

	// The organizer reopens it until October; Bea signs in late August.
	s.Clock.Set(time.Date(2027, 8, 25, 10, 0, 0, 0, time.UTC))
	edited := *c
	edited.ClosesAt = time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.Service.UpdateCampaign(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	s.sign(t, "moved", func(v url.Values) { v.Set("email", "bea@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	// While it is open, Bea's address is needed: her signature was in
	// no posted letter.
	retain(t, s, time.Date(2027, 8, 26, 0, 0, 0, 0, time.UTC))
	if !has(rawSignature(t, s, c, "bea@example.org"), "person", "email") {
		t.Fatal("retention trimmed a signature of the open campaign that no posted letter carried")
	}

	closed := time.Date(2027, 10, 2, 0, 0, 0, 0, time.UTC)
	s.Clock.Set(closed)
	plan, err := s.Core.Retention.Plan(ctx, closed)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || plan[0].Campaign.ID != c.ID || plan[0].Addresses != 1 {
		t.Errorf("plan after the new closing: %+v, want the campaign with Bea's address", plan)
	}
	if got := retain(t, s, closed); len(got) != 1 || got[0].Addresses != 1 || got[0].Signatures != 1 {
		t.Errorf("retention after the new closing: %+v, want Bea's signature and address", got)
	}
	if has(rawSignature(t, s, c, "bea@example.org"), "person", "email") {
		t.Error("the address given after the campaign was reopened is kept after it closed again")
	}
	if again := retain(t, s, closed.Add(time.Hour)); len(again) != 0 {
		t.Errorf("the next run trimmed it again: %+v", again)
	}
}

// An open campaign whose letters were posted forgets, 30 days later,
// what the signatures those letters carried held beyond the print;
// later signatures keep theirs, and each address still signs once.
func TestRetentionOfAnOpenCampaignAfterItsLettersArePosted(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	c := s.addCampaign(t, "long", func(c *campaign.Campaign) {
		c.ClosesAt = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
		c.ConfirmEmail = true // addresses are kept only once confirmed
	})
	s.sign(t, "long", func(v url.Values) { v.Set("email", "anna@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	postLetters(t, s, c, "2027-07-20")
	s.sign(t, "long", func(v url.Values) { v.Set("email", "bea@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)

	if got := retain(t, s, time.Date(2027, 8, 18, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("before 30 days: %+v", got)
	}
	got := retain(t, s, time.Date(2027, 8, 20, 0, 0, 0, 0, time.UTC))
	if len(got) != 1 || got[0].Signatures != 1 || got[0].Addresses != 1 || got[0].Greetings != 0 {
		t.Errorf("30 days after posting: %+v, want Anna's signature only, and no greeting (it may still be approved)", got)
	}
	if has(rawSignature(t, s, c, "anna@example.org"), "person", "email") {
		t.Error("the open campaign keeps the address of a signature its posted letters carried")
	}
	if !has(rawSignature(t, s, c, "bea@example.org"), "person", "email") {
		t.Error("retention trimmed a signature made after the letters were posted")
	}
	s.Clock.Set(time.Date(2027, 8, 21, 10, 0, 0, 0, time.UTC))
	s.sign(t, "long", func(v url.Values) { v.Set("email", "anna@example.org") })
	if n := s.Service.Count(c.ID); n != 2 {
		t.Errorf("count %d after Anna signed again, want 2: one signature per address", n)
	}
}

// The console's preview is a dry run of the job: it counts, kind by
// kind, exactly what the run then removes, and removes nothing.
func TestRetentionPreviewIsADryRun(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	c, box := confirmingCampaign(t, s, "dry") // addresses are kept only once confirmed
	s.sign(t, "dry", func(v url.Values) { v.Set("email", "anna@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	s.sign(t, "dry", func(v url.Values) {
		v.Set("email", "bob@example.org")
		v.Set("name", "Bob Quiet")
		v.Set("display", "country")
	})
	box.confirmLast(t, s)
	s.sign(t, "dry", func(v url.Values) {
		v.Set("email", "cara@example.org")
		v.Set("name", "Cara Maria Lind")
		v.Set("display", "first_initial")
	})
	box.confirmLast(t, s)
	at := time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC)
	s.Clock.Set(at)
	postLetters(t, s, c, "2027-07-20")
	due := at.Add(31 * 24 * time.Hour)

	plan, err := s.Core.Retention.Plan(ctx, due)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 {
		t.Fatalf("plan: %+v", plan)
	}
	want := plan[0].Removed
	for name, n := range map[string]int{"signatures": want.Signatures, "addresses": want.Addresses, "domains": want.Domains,
		"keys": want.Keys, "updates": want.Updates, "names": want.Names, "initials": want.Initials, "greetings": want.Greetings} {
		if n == 0 {
			t.Errorf("the preview counts no %s: %+v", name, want)
		}
	}
	if again, err := s.Core.Retention.Plan(ctx, due); err != nil || len(again) != 1 || again[0].Removed != want {
		t.Errorf("a second preview: %+v, %v; want the same as the first, %+v: the preview removed something", again, err, want)
	}

	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/retention").Body
	for _, label := range []string{"Stored addresses", "Email domains", "Domain and referrer keys", "Wishes for updates",
		"Names of supporters printed by country", "Names cut to first name and initial", "Greetings never approved"} {
		if !strings.Contains(page, label) {
			t.Errorf("/admin/retention does not show %q", label)
		}
	}

	got := retain(t, s, due)
	if len(got) != 1 || got[0].Removed != want {
		t.Errorf("the run removed %+v, the preview said %+v", got, want)
	}
}

// A supporter printed as "Cara L." keeps no more than that after
// retention, and a bundle built later prints the same.
func TestRetentionCutsAFirstInitialName(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	c := s.addCampaign(t, "initial", nil)
	s.sign(t, "initial", func(v url.Values) {
		v.Set("email", "cara@example.org")
		v.Set("name", "Cara Maria Lind")
		v.Set("display", "first_initial")
	})
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	postLetters(t, s, c, "2027-07-20")
	if got := retain(t, s, time.Date(2027, 8, 20, 0, 0, 0, 0, time.UTC)); len(got) != 1 || got[0].Initials != 1 {
		t.Fatalf("retention: %+v, want one name cut", got)
	}
	id := campaign.SignatureID(emailKey, c.ID, campaign.DuplicateKey("cara@example.org", c.MergeAliases))
	sig, err := s.Service.Store().Signature(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Person.Name != "Cara L." || sig.Person.Display != campaign.NameFirstInitial {
		t.Errorf("after retention the signature keeps name %q (%s), want %q as printed", sig.Person.Name, sig.Person.Display, "Cara L.")
	}
	org := s.loginAs(t, account.RoleOrganizer)
	job := buildDeliveryBundle(t, s, org, c, url.Values{})
	text, ok := zipText(t, org.get(t, "/admin/campaigns/"+c.ID+"/bundle/"+job).Body)
	if !ok {
		t.Skip("pdftotext is missing")
	}
	if !strings.Contains(text, "Cara L.") || strings.Contains(text, "Lind") {
		t.Errorf("the bundle built after retention does not print %q alone:\n%s", "Cara L.", text)
	}
}

// What the privacy page says of a signature after retention: it is still
// filed under the keyed fingerprint of the address, and the supporter's
// erasure link still removes it.
func TestErasureLinkWorksAfterRetention(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "later", nil)
	code := signForCode(t, s, "later", "dan@example.org", "Dan Late")
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	postLetters(t, s, c, "2027-07-20")
	if got := retain(t, s, time.Date(2027, 8, 20, 0, 0, 0, 0, time.UTC)); len(got) != 1 {
		t.Fatalf("retention: %+v", got)
	}
	if page := s.get(t, "/privacy"); !strings.Contains(page.Body, "keyed fingerprint of your email address") {
		t.Error("the privacy page does not say that a trimmed signature stays under the address's fingerprint")
	}
	if res := s.post(t, "/erase", url.Values{"code": {code}}); res.Status != 303 {
		t.Fatalf("erase after retention: status %d", res.Status)
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count %d after the supporter erased their trimmed signature, want 0", n)
	}
}

// A held name a moderator let through prints after retention as before,
// even when the supporter's greeting was never approved and retention
// deletes it.
func TestRetentionKeepsTheDecisionOnAHeldName(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "heldname", nil)
	s.sign(t, "heldname", func(v url.Values) {
		v.Set("email", "zofia@example.org")
		v.Set("name", "ZOFIA KOWALSKA")
		v.Set("display", "first_initial")
	})
	id := campaign.SignatureID(emailKey, c.ID, campaign.DuplicateKey("zofia@example.org", c.MergeAliases))
	mod := s.loginAs(t, account.RoleModerator)
	if res := mod.post(t, "/admin/moderation/names/"+id+"/approve", nil); res.Status != 303 {
		t.Fatalf("approve the held name: %d", res.Status)
	}
	if text := printedText(t, s, c); !strings.Contains(text, "ZOFIA K.") {
		t.Fatalf("the approved name is not printed before retention:\n%s", text)
	}
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	postLetters(t, s, c, "2027-07-20")
	if got := retain(t, s, time.Date(2027, 8, 20, 0, 0, 0, 0, time.UTC)); len(got) != 1 || got[0].Greetings != 1 || got[0].Initials != 1 {
		t.Fatalf("retention: %+v, want the unapproved greeting deleted and the name cut", got)
	}
	if text := printedText(t, s, c); !strings.Contains(text, "ZOFIA K.") {
		t.Errorf("a bundle built after retention no longer prints the approved name:\n%s", text)
	}
}
