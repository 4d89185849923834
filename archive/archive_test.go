package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/archive"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// fixture is a recipient with one campaign of n signatures, each with an
// approved greeting, on a fresh embedded database.
type fixture struct {
	svc       *archive.Service
	c         *campaign.Campaign
	store     *campaign.Store
	greetings *letters.Store
	msgs      *i18n.Catalog
	delivery  *delivery.Service
	en        *i18n.Localizer
}

var names = []string{"Anna Nowak", "Алесь Петрусевіч", "Łukasz Wiśniewski", "Νίκος Ρήγας", "ნინო ბერიძე"}

func newFixture(tb testing.TB, n int) *fixture {
	tb.Helper()
	ctx := context.Background()
	db := dbs.Database(tb)
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	keys := testdb.Keys(tb)
	store := campaign.NewStore(db, keys)
	greetings := letters.NewStore(db, keys)
	for _, err := range []error{store.EnsureIndexes(ctx), greetings.EnsureIndexes(ctx), store.EnsureDecoys(ctx), greetings.EnsureDecoys(ctx)} {
		if err != nil {
			tb.Fatal(err)
		}
	}
	svc := campaign.NewService(store, letters.NewService(greetings, store, clk.Now), []byte("0123456789abcdef0123456789abcdef"), clk.Now)
	msgs, err := i18n.Load()
	if err != nil {
		tb.Fatal(err)
	}
	log := audit.NewLog(db, keys, clk.Now)
	jobs := bundle.NewJobs(db, keys, bundle.NewBuilder(svc, greetings, msgs), log, clk.Now, slog.New(slog.DiscardHandler))
	dl := delivery.NewService(delivery.NewStore(db), jobs, clk.Now)
	ps := posts.NewService(posts.NewStore(db, keys), svc, log, clk.Now)
	r := campaign.Recipient{ID: "r-ales", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
	if err := store.CreateRecipient(ctx, &r); err != nil {
		tb.Fatal(err)
	}
	closes, err := campaign.Deadline("2027-07-12", "Europe/Minsk")
	if err != nil {
		tb.Fatal(err)
	}
	c := &campaign.Campaign{ID: "c-ales", Slug: "ales", Title: "Letters to Ales", Letter: "Dear Ales,", OrganizerName: "Test NGO",
		RecipientID: r.ID, OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: closes, TimeZone: "Europe/Minsk",
		Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := store.CreateCampaign(ctx, c); err != nil {
		tb.Fatal(err)
	}
	start := clk.Now().Add(-time.Duration(n) * time.Second)
	displays := []campaign.NameDisplay{campaign.NameFull, campaign.NameFirstInitial, campaign.NameCountry}
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		var sigs []campaign.Signature
		var gs []letters.Greeting
		for i := lo; i < min(lo+batch, n); i++ {
			sig := campaign.Signature{ID: fmt.Sprintf("sig-%06d", i), SignedAt: start.Add(time.Duration(i) * time.Second),
				Source: campaign.SourceWeb, HasGreeting: true,
				Person: campaign.Person{Name: names[i%len(names)], City: "Vilnius", Country: "LT", Display: displays[i%len(displays)]}}
			sigs = append(sigs, sig)
			gs = append(gs, letters.Greeting{ID: sig.ID, CampaignID: c.ID, Status: letters.StatusApproved, CreatedAt: sig.SignedAt,
				Checked: true, Text: fmt.Sprintf("Hold on, Ales! We think of you every day. Greeting number %d.", i)})
		}
		if added, err := svc.AddSignatures(ctx, c.ID, sigs); err != nil || added != len(sigs) {
			tb.Fatalf("AddSignatures = %d, %v", added, err)
		}
		if err := greetings.Insert(ctx, gs); err != nil {
			tb.Fatal(err)
		}
	}
	if err := svc.LoadCampaigns(ctx); err != nil {
		tb.Fatal(err)
	}
	return &fixture{svc: archive.NewService(svc, jobs, dl, ps, clk.Now), c: c, store: store, greetings: greetings,
		msgs: msgs, delivery: dl, en: msgs.Localizer(i18n.Default())}
}

// Every approved greeting is in the archive once, signed as chosen, and
// the manifest counts them.
func TestArchiveHoldsEveryGreetingOnce(t *testing.T) {
	f := newFixture(t, 300)
	var buf bytes.Buffer
	m, err := f.svc.Write(context.Background(), "r-ales", f.en, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Campaigns) != 1 || m.Campaigns[0].Greetings != 300 || m.Campaigns[0].GreetingsRule != archive.RuleGreetingsApproved {
		t.Fatalf("campaigns %+v", m.Campaigns)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("campaigns/ales/greetings.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	recs, err := csv.NewReader(rc).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	signed := map[string]int{}
	for _, rec := range recs[1:] {
		seen[rec[5]]++
		signed[rec[1]]++
	}
	if len(recs) != 301 || len(seen) != 300 {
		t.Errorf("%d rows, %d distinct greetings; want 300 once each", len(recs)-1, len(seen))
	}
	for name, want := range map[string]int{"Anna Nowak": 20, "Алесь П.": 20, "a supporter from Lithuania": 100} {
		if signed[name] != want {
			t.Errorf("%d greetings signed %q, want %d (all signed: %v)", signed[name], name, want, signed)
		}
	}
	if _, err := f.svc.Write(context.Background(), "r-nobody", f.en, io.Discard); err == nil {
		t.Error("an unknown recipient's archive is written")
	}
}

// countingWriter counts what is written and keeps none of it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkArchive20k writes the archive of a recipient whose campaign has
// 20,000 signatures with approved greetings (ARCHIVE_BENCH_GREETINGS
// changes the number) to a writer that keeps nothing. It reports the peak
// of the Go heap in use while writing (runtime.ReadMemStats every 5 ms,
// after a GC before the write) beside the heap before it and the ZIP's
// size. The "floor" reads the same signatures and greetings and does
// nothing else: what any archive of them costs on this database.
//
//	go test -run '^$' -bench Archive20k -benchtime 3x ./archive/
func BenchmarkArchive20k(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("ARCHIVE_BENCH_GREETINGS")); err == nil && v > 0 {
		n = v
	}
	f := newFixture(b, n)
	ctx := context.Background()
	b.Run("floor", func(b *testing.B) {
		for range b.N {
			rows, gs := 0, 0
			if err := f.store.EachSignature(ctx, f.c.ID, func(*campaign.Signature) error { rows++; return nil }); err != nil {
				b.Fatal(err)
			}
			if err := f.greetings.EachApproved(ctx, f.c.ID, func(*letters.Greeting) error { gs++; return nil }); err != nil {
				b.Fatal(err)
			}
			if rows != n || gs != n {
				b.Fatalf("read %d signatures and %d greetings, want %d", rows, gs, n)
			}
		}
	})
	b.Run("archive", func(b *testing.B) {
		var peak, base atomic.Uint64
		var size int64
		for range b.N {
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base.Store(ms.HeapInuse)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				t := time.NewTicker(5 * time.Millisecond)
				defer t.Stop()
				for {
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			})
			b.StartTimer()
			w := &countingWriter{}
			m, err := f.svc.Write(ctx, "r-ales", f.en, w)
			b.StopTimer()
			close(stop)
			wg.Wait()
			if err != nil {
				b.Fatal(err)
			}
			if m.Campaigns[0].Greetings != n {
				b.Fatalf("%d greetings in the archive, want %d", m.Campaigns[0].Greetings, n)
			}
			size = w.n
			b.StartTimer()
		}
		b.ReportMetric(float64(n), "greetings")
		b.ReportMetric(float64(size)/(1<<20), "zip-MiB")
		b.ReportMetric(float64(base.Load())/(1<<20), "heap-before-MiB")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	})
}
