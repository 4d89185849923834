package web_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/bundle"
)

// After an erasure replaced the posted bundle, the delivery form offers
// both: the letter as first printed (the one the recipient read, marked
// replaced by the other) and the rebuilt one (marked as replacing it); a
// reply's numbers resolve against the bundle chosen, and the edit form of
// a reply to the replaced bundle keeps it chosen.
func TestReplyCanNameAReplacedOrRebuiltBundle(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, first, ids := closedWithBundle(t, s, "replaced", nil)
	ctx := context.Background()
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/signatures/"+ids[0]+"/erase", nil); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	if ran, err := s.Bundles.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("rebuild: %v, %v", ran, err)
	}
	old, err := s.Bundles.Job(ctx, first)
	if err != nil || old.Status != bundle.StatusReplaced || old.ReplacedBy == "" {
		t.Fatalf("the first bundle after the erasure: %+v, %v", old, err)
	}
	next, err := s.Bundles.Job(ctx, old.ReplacedBy)
	if err != nil || next.Status != bundle.StatusDone {
		t.Fatalf("the rebuilt bundle: %+v, %v", next, err)
	}

	base := "/admin/campaigns/" + c.ID + "/delivery"
	page := org.get(t, base).Body
	options := map[string]string{}
	for _, m := range regexp.MustCompile(`<option value="([0-9a-f]{24})"[^>]*>([^<]*)</option>`).FindAllStringSubmatch(page, -1) {
		options[m[1]] = m[2]
	}
	for _, tc := range []struct {
		job, want string
	}{
		{first, "replaced by " + next.SHA256[:12]},
		{next.ID, "replaces " + old.SHA256[:12]},
	} {
		if got, ok := options[tc.job]; !ok || !strings.Contains(got, tc.want) {
			t.Errorf("the bundle choice of %s: %q (offered: %v), want it saying %q", tc.job, got, ok, tc.want)
		}
	}
	if !strings.Contains(page, "choose the bundle that was posted") {
		t.Error("the form does not say which bundle a reply's numbers belong to")
	}

	// The same numbers are other supporters in the two bundles.
	for _, tc := range []struct {
		job, numbers string
		want         []string
	}{
		{first, "2, 3", ids[1:3]},
		{next.ID, "2", ids[2:3]},
	} {
		before, err := s.Core.Delivery.Events(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-12"}, "bundle": {tc.job}, "numbers": {tc.numbers}})
		after, err := s.Core.Delivery.Events(ctx, c.ID)
		if err != nil || len(after) != len(before)+1 {
			t.Fatalf("%d events, %v", len(after), err)
		}
		e := after[len(after)-1]
		if e.Bundle != tc.job || !slices.Equal(e.SignatureIDs, tc.want) {
			t.Errorf("a reply to %s numbered %s credits %v in bundle %s, want %v", tc.job, tc.numbers, e.SignatureIDs, e.Bundle, tc.want)
		}
	}
	res := org.post(t, base, url.Values{"kind": {"reply"}, "day": {"2027-09-12"}, "bundle": {next.ID}, "numbers": {"3"}})
	if res.Status != 422 || !strings.Contains(res.Body, "from 1 to 2") {
		t.Errorf("number 3 of the rebuilt bundle, which has two: %d", res.Status)
	}

	events, err := s.Core.Delivery.Events(ctx, c.ID)
	if err != nil || len(events) == 0 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	edit := org.get(t, base+"/"+events[0].ID).Body
	if !strings.Contains(edit, `<option value="`+first+`" selected>`) {
		t.Error("the edit form of a reply to the replaced bundle does not keep it chosen")
	}
}
