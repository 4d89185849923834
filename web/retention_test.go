package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/letters"
)

// rawSignature is the stored document of the signature email gave c.
func rawSignature(t *testing.T, s *site, c *campaign.Campaign, email string) bson.M {
	t.Helper()
	id := campaign.SignatureID(emailKey, c.ID, campaign.DuplicateKey(email, c.MergeAliases))
	var doc bson.M
	if err := s.DB.Collection("signatures").FindOne(context.Background(), bson.M{"_id": id}).Decode(&doc); err != nil {
		t.Fatalf("signature of %s: %v", email, err)
	}
	return doc
}

func has(doc bson.M, path ...string) bool {
	for i, p := range path {
		v, ok := doc[p]
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		switch d := v.(type) {
		case bson.M:
			doc = d
		case bson.D:
			doc = bson.M{}
			for _, e := range d {
				doc[e.Key] = e.Value
			}
		default:
			return false
		}
	}
	return false
}

func TestRetentionRemovesExactlyWhatItShould(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	// Addresses are kept for updates only where they are confirmed.
	posted, box := confirmingCampaign(t, s, "posted")
	unposted, _ := confirmingCampaign(t, s, "unposted")
	s.Service.SetConfirmations(box)
	s.sign(t, "posted", func(v url.Values) { v.Set("email", "anna@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	s.sign(t, "posted", func(v url.Values) {
		v.Set("email", "bob@example.org")
		v.Set("name", "Bob Quiet")
		v.Set("display", "country")
	})
	box.confirmLast(t, s)
	s.sign(t, "posted", func(v url.Values) { v.Set("email", "carl@example.org"); v.Set("name", "Carl Open") })
	box.confirmLast(t, s)
	s.sign(t, "unposted", func(v url.Values) { v.Set("email", "dora@example.org"); v.Set("updates", "yes") })
	box.confirmLast(t, s)
	s.sign(t, "unposted", func(v url.Values) { v.Set("email", "eve@example.org"); v.Set("name", "Eve Gone") })
	erased := box.confirmForCode(t, s)
	if res := s.post(t, "/erase", url.Values{"code": {erased}}); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	if !has(rawSignature(t, s, posted, "anna@example.org"), "person", "email") {
		t.Fatal("Anna's address is not stored: nothing to test")
	}

	carlID := campaign.SignatureID(emailKey, posted.ID, campaign.DuplicateKey("carl@example.org", posted.MergeAliases))
	annaID := campaign.SignatureID(emailKey, posted.ID, campaign.DuplicateKey("anna@example.org", posted.MergeAliases))
	if _, err := s.Greetings.Decide(ctx, carlID, letters.StatusApproved, "", s.Clock.Now(), false); err != nil {
		t.Fatal(err)
	}

	// Letters of the first campaign are posted on 20 July; the second's
	// never are.
	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	if _, err := s.Core.Delivery.Add(ctx, posted, &delivery.Event{Kind: delivery.KindPosted, Day: "2027-07-20",
		Method: delivery.MethodRegistered, Envelopes: 1}, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
	r := s.Core.Retention
	minsk, _ := time.LoadLocation("Europe/Minsk")
	wantDue := time.Date(2027, 7, 20, 0, 0, 0, 0, minsk).Add(30 * 24 * time.Hour)
	plan, err := r.Plan(ctx, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || plan[0].Campaign.ID != posted.ID || !plan[0].Due.Equal(wantDue) || plan[0].Addresses != 1 ||
		plan[1].Posted || !plan[1].Due.Equal(unposted.ClosesAt.Add(90*24*time.Hour)) || plan[1].Addresses != 1 {
		t.Errorf("plan: %+v", plan)
	}

	// The console shows both, with when and how many addresses.
	org := s.loginAs(t, "organizer")
	page := org.get(t, "/admin/retention")
	for _, want := range []string{wantDue.UTC().Format("2006-01-02 15:04"), "letters posted", "closing, nothing posted", "30 days after", "90 days after"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("/admin/retention lacks %q", want)
		}
	}
	run := func(at time.Time) []campaign.Trimmed {
		t.Helper()
		got, err := r.RunOnce(ctx, at)
		if err != nil {
			t.Fatalf("retention at %s: %v", at, err)
		}
		return got
	}
	if got := run(wantDue.Add(-time.Hour)); len(got) != 0 {
		t.Errorf("before the deadline, retention trimmed %+v", got)
	}
	if !has(rawSignature(t, s, posted, "anna@example.org"), "person", "email") {
		t.Fatal("the address is gone before the deadline")
	}
	got := run(wantDue)
	if len(got) != 1 || got[0].Campaign.ID != posted.ID || got[0].Addresses != 1 || got[0].Signatures != 3 || got[0].Greetings != 2 {
		t.Fatalf("at the deadline: %+v, want the posted campaign's 3 signatures, 1 address, 2 greetings never approved", got)
	}
	if _, err := s.Greetings.Greeting(ctx, annaID); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("a greeting never approved after retention: %v, want ErrNotFound", err)
	}
	if has(rawSignature(t, s, posted, "anna@example.org"), "greeting") {
		t.Error("the signature keeps the text of a greeting never approved")
	}
	if _, err := s.Greetings.Greeting(ctx, carlID); err != nil {
		t.Errorf("the approved (printed) greeting after retention: %v", err)
	}
	if again := run(wantDue); len(again) != 0 {
		t.Errorf("a second node's run of the same hour trimmed %+v", again)
	}
	if again := run(wantDue.Add(time.Hour)); len(again) != 0 {
		t.Errorf("the next run trimmed a campaign done already: %+v", again)
	}

	anna := rawSignature(t, s, posted, "anna@example.org")
	for _, gone := range [][]string{{"person", "email"}, {"person", "domain"}, {"domain_key"}, {"net"}, {"ref_key"}, {"marks"}} {
		if has(anna, gone...) {
			t.Errorf("after retention the signature still holds %v", gone)
		}
	}
	if anna["updates"] != false {
		t.Errorf("updates %v after retention, want false", anna["updates"])
	}
	for _, kept := range [][]string{{"person", "name"}, {"person", "city"}, {"person", "country"}, {"signed_at"}, {"campaign_id"}} {
		if !has(anna, kept...) {
			t.Errorf("retention removed %v, which the letter printed", kept)
		}
	}
	if bob := rawSignature(t, s, posted, "bob@example.org"); has(bob, "person", "name") || has(bob, "person", "city") || !has(bob, "person", "country") {
		t.Errorf("a supporter printed as from their country keeps %v", bob["person"])
	}
	if carl := rawSignature(t, s, posted, "carl@example.org"); !has(carl, "person", "name") {
		t.Error("retention removed a printed name")
	}
	if got := s.Service.Count(posted.ID); got != 3 {
		t.Errorf("count %d after retention, want 3", got)
	}
	if !has(rawSignature(t, s, unposted, "dora@example.org"), "person", "email") {
		t.Error("retention trimmed the campaign whose letters were not posted before its own deadline")
	}

	// Nothing was posted for the second: 90 days after it closed.
	late := unposted.ClosesAt.Add(90 * 24 * time.Hour)
	if got := run(late.Add(-time.Hour)); len(got) != 0 {
		t.Errorf("before the unposted deadline: %+v", got)
	}
	if got := run(late); len(got) != 1 || got[0].Campaign.ID != unposted.ID || got[0].Addresses != 1 || got[0].Signatures != 1 {
		t.Errorf("at the unposted deadline: %+v, want 1 signature (the erased one is gone)", got)
	}
	if has(rawSignature(t, s, unposted, "dora@example.org"), "person", "email") {
		t.Error("the unposted campaign's address is kept after its deadline")
	}
	// The console still reads the trimmed signatures, and has nothing
	// left to plan.
	if page := org.get(t, "/admin/retention"); !strings.Contains(page.Body, "No campaign is waiting for retention") {
		t.Error("/admin/retention still plans trimmed campaigns")
	}
	if res := org.get(t, "/admin/campaigns/"+posted.ID+"/signatures.csv"); res.Status != 200 {
		t.Errorf("export after retention: %d", res.Status)
	}
}
