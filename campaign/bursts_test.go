package campaign_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// A burst from one network with marks, beside ordinary signatures: the
// marks are stored, the bursts group them, and invalidating the burst
// takes it off the count, the export and the other readers until it is
// restored; the recount agrees at every step.
func TestBurstInvalidateAndRestore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("burst", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	other := testCampaign("other", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	for _, c := range []*campaign.Campaign{c, other} {
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	sign := func(c *campaign.Campaign, email, network string, marks ...campaign.Mark) {
		t.Helper()
		in := campaign.SignInput{Name: "N " + email, Email: email, Country: "SE", Consent: true, Network: network, Marks: marks, Referrer: "ref1"}
		if err := svc.Sign(ctx, c, in); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		sign(c, fmt.Sprintf("bot%d@spam.example", i), "aaaaaaaaffff", campaign.MarkNetworkBusy, campaign.MarkFast)
		sign(other, fmt.Sprintf("bot%d@spam.example", i), "aaaaaaaaffff") // another campaign, same network
	}
	now = now.Add(2 * time.Minute)
	sign(c, "anna@mail.example", "bbbbbbbb")
	sign(c, "olga@mail.example", "bbbbbbbb")
	q := campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstNetwork, From: now.Add(-time.Hour), Until: now.Add(time.Minute)}
	bursts, err := svc.Bursts(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(bursts) != 2 || bursts[0].Key != "aaaaaaaa" || bursts[0].Total != 5 || bursts[0].Marked != 5 ||
		bursts[0].Reasons[campaign.MarkFast] != 5 || bursts[1].Total != 2 || bursts[1].Marked != 0 {
		t.Fatalf("bursts by network = %+v", bursts)
	}
	byDomain, err := svc.Bursts(ctx, campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstDomain, From: q.From, Until: q.Until})
	if err != nil || len(byDomain) != 2 || byDomain[0].Domain != "spam.example" || byDomain[1].Domain != "mail.example" {
		t.Fatalf("bursts by domain = %+v, %v", byDomain, err)
	}
	byMinute, err := svc.Bursts(ctx, campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstMinute, From: q.From, Until: q.Until})
	if err != nil || len(byMinute) != 2 || byMinute[0].Total != 5 || !byMinute[0].Minute.Equal(now.Add(-2*time.Minute)) {
		t.Fatalf("bursts by minute = %+v, %v", byMinute, err)
	}
	byPartner, err := svc.Bursts(ctx, campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstPartner, From: q.From, Until: q.Until})
	if err != nil || len(byPartner) != 1 || byPartner[0].Partner != "ref1" || byPartner[0].Total != 7 {
		t.Fatalf("bursts by partner = %+v, %v", byPartner, err)
	}

	exported := func() int64 {
		t.Helper()
		var b bytes.Buffer
		n, err := svc.ExportCSV(ctx, &b, c.ID, campaign.ExportOptions{Header: exportHeader})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "bot") != (n >= 7) {
			t.Errorf("export of %d rows holds the burst: %v", n, strings.Contains(b.String(), "bot"))
		}
		return n
	}
	check := func(step string, want int64) {
		t.Helper()
		if got := svc.Count(c.ID); got != want {
			t.Errorf("%s: count = %d, want %d", step, got, want)
		}
		if got := svc.Count(other.ID); got != 5 {
			t.Errorf("%s: other campaign's count = %d, want 5", step, got)
		}
		if got := exported(); got != want {
			t.Errorf("%s: exported %d, want %d", step, got, want)
		}
		// The console's list and statistics, from the index in memory.
		page, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := int64(len(page.Signatures)); got != want {
			t.Errorf("%s: the console lists %d signatures, want %d", step, got, want)
		}
		st, err := svc.Stats(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if st.Web != want {
			t.Errorf("%s: statistics count %d web signatures, want %d", step, st.Web, want)
		}
		// The counters are written, and a recount right after the change
		// and one later leave them right.
		if err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		for _, later := range []time.Duration{time.Minute, 5 * time.Minute} {
			now = now.Add(later)
			if _, err := svc.Recount(ctx); err != nil {
				t.Fatal(err)
			}
			if err := svc.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if got := svc.Count(c.ID); got != want {
				t.Errorf("%s: count after a recount %v later = %d, want %d", step, later, got, want)
			}
		}
	}
	check("before", 7)
	if _, err := svc.SetBurstValid(ctx, q, "", false); !errors.Is(err, campaign.ErrBurstKey) {
		t.Errorf("invalidate the unknown group = %v, want ErrBurstKey", err)
	}
	n, err := svc.SetBurstValid(ctx, q, "aaaaaaaa", false)
	if err != nil || n != 5 {
		t.Fatalf("invalidate = %d, %v; want 5", n, err)
	}
	check("invalidated", 2)
	// A signature from the network after the invalidation counts.
	sign(c, "late@spam.example", "aaaaaaaaffff")
	check("a later one", 3)
	if n, err := svc.SetBurstValid(ctx, q, "aaaaaaaa", false); err != nil || n != 0 {
		t.Errorf("invalidate again = %d, %v; want 0", n, err)
	}
	b, err := svc.Burst(ctx, q, "aaaaaaaa")
	if err != nil || b.Invalid != 5 || b.Valid() != 0 || b.Restorable != 5 {
		t.Errorf("burst after invalidation = %+v, %v", b, err)
	}
	n, err = svc.SetBurstValid(ctx, q, "aaaaaaaa", true)
	if err != nil || n != 5 {
		t.Fatalf("restore = %d, %v; want 5", n, err)
	}
	check("restored", 8)
}
