package campaign_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// BenchmarkEachSubscriber measures reading a campaign's subscribers for
// an update on the embedded test database: n signatures (20,000 by
// default, SOLIDARITY_SUBSCRIBERS_BENCH_N) of which one in three asked
// for updates, in a collection that holds as many of another campaign.
// It reports subscribers read a second, rests included (the scan rests
// as long as each page took, pace.go).
//
//	SOLIDARITY_SUBSCRIBERS_BENCH_N=100000 go test -run '^$' -bench BenchmarkEachSubscriber -benchtime 3x ./campaign/
func BenchmarkEachSubscriber(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("SOLIDARITY_SUBSCRIBERS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(b, &now, nopGreetings{})
	var camps []*campaign.Campaign
	for _, slug := range []string{"subs", "other"} {
		c := testCampaign(slug, now.AddDate(0, 0, -30), now.AddDate(0, 0, 5))
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		camps = append(camps, c)
	}
	for _, c := range camps {
		batch := make([]campaign.Signature, 0, 1000)
		for i := range n {
			email := fmt.Sprintf("s%d@example.org", i)
			sig := campaign.Signature{
				ID: campaign.SignatureID([]byte("k"), c.ID, email), SignedAt: now.Add(-time.Duration(i) * time.Second),
				Source: campaign.SourceWeb, Updates: i%3 == 0, Lang: "pl",
				Person: campaign.Person{Name: "Anna Kowalska", Country: "PL"},
			}
			if sig.Updates {
				sig.Person.Email, sig.Confirmed = email, true
			}
			if batch = append(batch, sig); len(batch) == cap(batch) || i == n-1 {
				if _, err := svc.AddSignatures(ctx, c.ID, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	want := (n + 2) / 3
	b.ResetTimer()
	for b.Loop() {
		got := 0
		err := svc.Store().EachSubscriber(ctx, camps[0].ID, func(campaign.Subscriber) error { got++; return nil })
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("read %d subscribers, want %d", got, want)
		}
	}
	b.ReportMetric(float64(want*b.N)/b.Elapsed().Seconds(), "subscribers/s")
}
