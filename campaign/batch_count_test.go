package campaign_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A counter document's buckets from minutes no coming recount needs are
// dropped by the next batch's counter write, so that the document, which
// every batch rewrites on the embedded database, stays a few minutes
// long; the counts stay exact, and a recount afterwards agrees with them.
func TestOldBucketsAreFolded(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 1, 12, 0, 30, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("fold", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	n := 0
	sign := func(k int) {
		t.Helper()
		for range k {
			n++
			in := campaign.SignInput{Name: "F", Email: fmt.Sprintf("fold%d@example.org", n), Country: []string{"PL", "SE"}[n%2], Consent: true}
			if err := svc.Sign(ctx, c, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	buckets := func() []string {
		t.Helper()
		var doc struct {
			Buckets map[string]any `bson:"buckets"`
		}
		if err := svc.Store().SignaturesForTest().Database().Collection("counters").FindOne(ctx, bson.M{"_id": c.ID}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(doc.Buckets))
	}
	minute := func(at time.Time) string { return fmt.Sprintf("m%d", at.Unix()/60) }
	refresh := func() {
		t.Helper()
		if err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		advance time.Duration
		sign    int
		want    []string // the buckets after
	}{
		{0, 3, []string{minute(now)}},
		// Within twice the recount margin: a recount may need it.
		{2 * campaign.RecountMargin, 2, []string{minute(now), minute(now.Add(2 * campaign.RecountMargin))}},
		// Beyond: the first is dropped, the second kept.
		{campaign.RecountMargin + time.Minute, 1, []string{minute(now.Add(2 * campaign.RecountMargin)), minute(now.Add(3*campaign.RecountMargin + time.Minute))}},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		refresh()
		sign(st.sign)
		if got := buckets(); !slices.Equal(got, st.want) {
			t.Errorf("step %d: buckets %v, want %v", i, got, st.want)
		}
		refresh()
		if got := svc.Count(c.ID); got != int64(n) {
			t.Errorf("step %d: count %d, want %d", i, got, n)
		}
	}
	if _, err := svc.Recount(ctx); err != nil {
		t.Fatal(err)
	}
	refresh()
	if got, countries := svc.Count(c.ID), svc.Countries(c.ID); got != int64(n) || countries["PL"]+countries["SE"] != int64(n) {
		t.Errorf("after a recount: count %d %v, want %d", got, countries, n)
	}
}
