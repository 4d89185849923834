package campaign_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// BenchmarkIndex measures the console's index on the embedded test
// database: the start-up build (seconds, and the heap it holds, from
// runtime.MemStats after a collection before and after), then a page of
// the list (first, deep, a search that finds nothing and so tests every
// row) and the statistics. SOLIDARITY_INDEX_BENCH_N sets the number of
// signatures (100,000 by default); they have real 64-digit IDs, names and
// cities in several scripts, a partner on one in ten.
//
//	SOLIDARITY_INDEX_BENCH_N=1000000 go test -run '^$' -bench BenchmarkIndex -benchtime 20x ./campaign/
func BenchmarkIndex(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SOLIDARITY_INDEX_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(b, &now, nopGreetings{})
	c := testCampaign("indexbench", now.AddDate(0, 0, -30), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	first := []string{"Anna", "Алесь", "Οδυσσέας", "Jürgen", "Ona", "Ольга", "Małgorzata", "Юрась", "Émilie", "Sven"}
	last := []string{"Kowalska", "Бяляцкі", "Παπαδόπουλος", "Groß", "Žukauskienė", "Шевченко", "Wiśniewska", "Lindqvist", "Dubois"}
	cities := []string{"Białystok", "Berlin", "Мінск", "Łódź", "Vilnius", "Київ", "Paris", "Göteborg", ""}
	countries := []string{"PL", "DE", "BY", "LT", "UA", "FR", "SE"}
	start := now.AddDate(0, 0, -29)
	seeded := time.Now()
	batch := make([]campaign.Signature, 0, 1000)
	for i := range n {
		sig := campaign.Signature{
			ID:       campaign.SignatureID([]byte("k"), c.ID, fmt.Sprintf("s%d@example.org", i)),
			SignedAt: start.Add(time.Duration(i) * 29 * 24 * time.Hour / time.Duration(n)),
			Source:   campaign.SourceWeb, Updates: i%3 == 0, HasGreeting: i%10 == 0,
			Person: campaign.Person{Name: first[i%len(first)] + " " + last[(i/7)%len(last)], City: cities[(i/3)%len(cities)],
				Country: countries[(i/11)%len(countries)]},
		}
		if i%10 == 5 {
			sig.Referrer = "ref-" + strconv.Itoa(i%7)
		}
		batch = append(batch, sig)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := svc.AddSignatures(ctx, c.ID, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("stored %d signatures in %s", n, time.Since(seeded).Round(time.Second))
	if err := svc.LoadCounts(ctx); err != nil {
		b.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	built := time.Now()
	if err := svc.BuildIndex(ctx); err != nil {
		b.Fatal(err)
	}
	took := time.Since(built)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	b.Logf("built the index of %d signatures in %s; it holds %.0f MB (%.0f bytes a signature)", n, took.Round(time.Millisecond), heap/1e6, heap/float64(n))

	mid, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Until: start.Add(15 * 24 * time.Hour)}, Limit: 1})
	if err != nil || len(mid.Signatures) != 1 {
		b.Fatalf("middle: %v", err)
	}
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"first", func() error { _, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{}); return err }},
		{"deep", func() error {
			_, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{After: mid.Next})
			return err
		}},
		{"search-none", func() error {
			p, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "nobody"}})
			if err == nil && len(p.Signatures) > 0 {
				err = fmt.Errorf("found %d", len(p.Signatures))
			}
			return err
		}},
		{"search-none-common-letters", func() error {
			// Letters most names have: the byte mask lets most rows through.
			p, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "kaan"}})
			if err == nil && len(p.Signatures) > 0 {
				err = fmt.Errorf("found %d", len(p.Signatures))
			}
			return err
		}},
		{"search-some", func() error {
			_, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: "ОЛЬГА ШЕВ"}})
			return err
		}},
		{"country-paper-none", func() error {
			_, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Country: "LT", Source: campaign.SourcePaper}})
			return err
		}},
		{"stats", func() error { _, err := svc.Stats(ctx, c); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
