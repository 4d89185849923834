package campaign_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// BenchmarkBursts100k measures the bursts page's grouping and a bulk
// invalidation and restoration of a 10k burst, on a campaign of 100k
// signatures of the last day: the console's deadline is 20 s.
func BenchmarkBursts100k(b *testing.B) {
	const total, burst = 100_000, 10_000
	ctx := context.Background()
	now := time.Date(2027, 6, 2, 0, 0, 0, 0, time.UTC)
	svc := newServiceWith(b, &now, nopGreetings{})
	c := testCampaign("bursts", now.AddDate(0, 0, -2), now.AddDate(0, 1, 0))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	start := now.Add(-23 * time.Hour)
	t00 := time.Now()
	sigs := make([]campaign.Signature, 0, 1000)
	for i := range total {
		net := fmt.Sprintf("%08x", i%500)
		var marks []campaign.Mark
		if i < burst {
			net, marks = "bbbbbbbb", []campaign.Mark{campaign.MarkNetworkBusy}
		}
		sigs = append(sigs, campaign.Signature{ID: fmt.Sprintf("s%07d", i), SignedAt: start.Add(time.Duration(i) * 800 * time.Millisecond),
			Source: campaign.SourceWeb, Network: net, Marks: marks, Person: campaign.Person{Name: "N", Country: "PL"}})
		if len(sigs) == cap(sigs) || i == total-1 {
			if _, err := svc.AddSignatures(ctx, c.ID, sigs); err != nil {
				b.Fatal(err)
			}
			sigs = sigs[:0]
		}
	}
	b.Logf("seeded %d in %v", total, time.Since(t00))
	q := campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstNetwork, From: now.Add(-24 * time.Hour), Until: now.Add(time.Minute)}
	b.Run("group by network", func(b *testing.B) {
		for range b.N {
			got, err := svc.Bursts(ctx, q)
			if err != nil || len(got) == 0 || got[0].Total != burst {
				b.Fatalf("bursts: %v, %v", len(got), err)
			}
		}
	})
	b.Run("invalidate and restore 10k", func(b *testing.B) {
		for range b.N {
			t0 := time.Now()
			if n, err := svc.SetBurstValid(ctx, q, "bbbbbbbb", false); err != nil || n != burst {
				b.Fatalf("invalidate: %d, %v", n, err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "s/invalidate")
			t1 := time.Now()
			if n, err := svc.SetBurstValid(ctx, q, "bbbbbbbb", true); err != nil || n != burst {
				b.Fatalf("restore: %d, %v", n, err)
			}
			b.ReportMetric(time.Since(t1).Seconds(), "s/restore")
		}
	})
}
