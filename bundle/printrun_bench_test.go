package bundle

// The cost of a drive's full print run: a drive of 500 recipients and
// 20,000 approved cards (names in Latin, Cyrillic, Greek, Armenian and
// Georgian; one card in ten with a long greeting), every recipient's
// bundle into one archive. It reports the time of a run and the peak heap
// in use, sampled every 20 ms while it runs:
//
//	go test ./bundle -run '^$' -bench PrintRun -benchtime 1x -timeout 60m
//
// SOLIDARITY_BENCH_RECIPIENTS and SOLIDARITY_BENCH_CARDS change the size.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
)

func benchSize(name string, n int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return n
}

// longGreeting is a card's greeting as long as a generous supporter
// writes.
var longGreeting = strings.Repeat("Дарагі сябар, мы памятаем пра цябе кожны дзень і чакаем на волі. ", 6)

func BenchmarkPrintRun(b *testing.B) {
	ctx := context.Background()
	recipients := benchSize("SOLIDARITY_BENCH_RECIPIENTS", 500)
	cards := benchSize("SOLIDARITY_BENCH_CARDS", 20_000)
	db := dbs.Database(b)
	keys := testdb.Keys(b)
	store := campaign.NewStore(db, keys)
	greetings := letters.NewStore(db, keys)
	for _, ensure := range []func(context.Context) error{store.EnsureIndexes, greetings.EnsureIndexes, store.EnsureDecoys, greetings.EnsureDecoys} {
		if err := ensure(ctx); err != nil {
			b.Fatal(err)
		}
	}
	now := func() time.Time { return benchNow }
	svc := campaign.NewService(store, letters.NewService(greetings, store, now), []byte("0123456789abcdef0123456789abcdef"), now)
	c := &campaign.Campaign{ID: "drive", Slug: "drive", Title: "Cards", Letter: "Dear friend,\n\nThese cards are for you.", OrganizerName: "Bench NGO",
		Kind: campaign.KindDrive, OpensAt: benchNow.Add(-30 * 24 * time.Hour), ClosesAt: benchNow.Add(30 * 24 * time.Hour),
		TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 1000}}
	for i := range recipients {
		p := scripts[i%len(scripts)]
		r := campaign.Recipient{ID: fmt.Sprintf("r%04d", i), Name: fmt.Sprintf("%s %d", p[0], i), Country: "BY",
			Address: []string{fmt.Sprintf("Colony %d", i), p[1]}, Languages: []string{"be", "ru", "en"}}
		if err := store.CreateRecipient(ctx, &r); err != nil {
			b.Fatal(err)
		}
		c.RecipientIDs = append(c.RecipientIDs, r.ID)
	}
	if err := store.CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	const batch = 1000
	for i := 0; i < cards; i += batch {
		var sigs []campaign.Signature
		var gs []letters.Greeting
		for j := i; j < min(i+batch, cards); j++ {
			p := scripts[(j/7)%len(scripts)]
			sig := campaign.Signature{ID: fmt.Sprintf("%064d", j), CampaignID: c.ID, RecipientID: c.RecipientIDs[j%recipients],
				SignedAt: c.OpensAt.Add(time.Duration(j) * time.Second), Source: campaign.SourceWeb, HasGreeting: true,
				Person: campaign.Person{Name: fmt.Sprintf("%s %d", p[0], j), City: p[1], Country: "LT"}}
			text := "Трымайцеся! Мы з вамі. " + p[0]
			if j%10 == 0 {
				text = longGreeting
			}
			gs = append(gs, letters.Greeting{ID: sig.ID, CampaignID: c.ID, Text: text, Status: letters.StatusApproved,
				CreatedAt: sig.SignedAt, Checked: true, Language: "be"})
			sigs = append(sigs, sig)
		}
		if _, err := store.InsertSignatures(ctx, sigs); err != nil {
			b.Fatal(err)
		}
		if err := greetings.Insert(ctx, gs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d recipients and %d cards in %v", recipients, cards, time.Since(start).Round(time.Millisecond))
	runs := NewPrintRuns(db, keys, NewBuilder(svc, greetings, testMessages(b)), audit.NewLog(db, keys, now), now, slog.New(slog.DiscardHandler))
	b.ResetTimer()
	for range b.N {
		run, err := runs.Enqueue(ctx, c, Options{}, "bench@example.org")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		peak := sampleHeap()
		began := time.Now()
		if _, err := runs.RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(began)
		inuse := peak()
		if run, err = runs.Run(ctx, run.ID); err != nil || run.Status != StatusDone {
			b.Fatalf("run: %v, %v (%s)", run.Status, err, run.Error)
		}
		rc, err := runs.Open(ctx, run)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("print run: %v, peak heap in use %.1f MB, %d bundles, %d cards, %d pages, archive %.1f MB",
			took.Round(time.Millisecond), float64(inuse)/1e6, run.Bundles, run.Cards, run.Pages, float64(n)/1e6)
		b.ReportMetric(took.Seconds(), "s/run")
		b.ReportMetric(float64(inuse)/1e6, "MB-peak-heap")
	}
}

// sampleHeap samples HeapInuse every 20 ms until the returned function is
// called, which returns the peak.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
	)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
