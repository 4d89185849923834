package bundle

// The cost of sealing, measured on the operations that read or write many
// supporters: signing, a page of the console's list, the CSV export and a
//  The same file runs against the code before sealing (it uses only
// APIs both share), so that the two can be compared in one run:
//
//	go test ./bundle -run '^$' -bench SealCost -benchtime 3x -timeout 60m
//
// SOLIDARITY_BENCH_SIGNATURES sets the number of signatures (100,000 by
// default); one in ten has an approved greeting, names are in Latin,
// Cyrillic, Greek, Armenian and Georgian.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
)

var benchNow = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

type costFixture struct {
	signing *campaign.Service
	jobs    *Jobs
	c       *campaign.Campaign
	search  string // a term only the oldest signature matches
}

var (
	costOnce sync.Once
	cost     *costFixture
	costErr  error
)

var scripts = [][2]string{
	{"Anna Kowalska", "Kraków"}, {"Алесь Бяляцкі", "Мінск"}, {"Νίκος Παπαδόπουλος", "Αθήνα"},
	{"Արամ Պետրոսյան", "Երևան"}, {"ნინო ბერიძე", "თბილისი"},
}

func costSetup(b *testing.B) *costFixture {
	costOnce.Do(func() { cost, costErr = buildCost(b) })
	if costErr != nil {
		b.Fatal(costErr)
	}
	return cost
}

func buildCost(b *testing.B) (*costFixture, error) {
	ctx := context.Background()
	n := 100_000
	if v := os.Getenv("SOLIDARITY_BENCH_SIGNATURES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return nil, err
		}
	}
	db := dbs.Database(b)
	keys := testdb.Keys(b)
	store := campaign.NewStore(db, keys)
	greetings := letters.NewStore(db, keys)
	if err := store.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if err := greetings.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if err := store.EnsureDecoys(ctx); err != nil {
		return nil, err
	}
	if err := greetings.EnsureDecoys(ctx); err != nil {
		return nil, err
	}
	now := func() time.Time { return benchNow }
	moderation := letters.NewService(greetings, store, now)
	signing := campaign.NewService(store, moderation, []byte("0123456789abcdef0123456789abcdef"), now)
	r := campaign.Recipient{ID: "r", Name: "Ales Bialiatski", Country: "BY", Address: []string{"Demo address"}, Languages: []string{"be", "ru", "en"}}
	if err := store.CreateRecipient(ctx, &r); err != nil {
		return nil, err
	}
	c := &campaign.Campaign{ID: "bench", Slug: "bench", Title: "Bench", RecipientID: "r", OpensAt: benchNow.Add(-30 * 24 * time.Hour),
		ClosesAt: benchNow.Add(30 * 24 * time.Hour), TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := store.CreateCampaign(ctx, c); err != nil {
		return nil, err
	}
	start := time.Now()
	const batch = 1000
	for i := 0; i < n; i += batch {
		var sigs []campaign.Signature
		var gs []letters.Greeting
		for j := i; j < min(i+batch, n); j++ {
			p := scripts[j%len(scripts)]
			sig := campaign.Signature{ID: fmt.Sprintf("%064d", j), CampaignID: c.ID, SignedAt: c.OpensAt.Add(time.Duration(j) * time.Second),
				Source: campaign.SourceWeb, Person: campaign.Person{Name: fmt.Sprintf("%s %d", p[0], j), City: p[1], Country: "BY"}}
			if j%10 == 0 {
				sig.HasGreeting = true
				gs = append(gs, letters.Greeting{ID: sig.ID, CampaignID: c.ID, Text: "Трымайцеся! Мы з вамі, " + p[0], Status: letters.StatusApproved,
					CreatedAt: sig.SignedAt, Checked: true, Language: "be"})
			}
			sigs = append(sigs, sig)
		}
		if _, err := store.InsertSignatures(ctx, sigs); err != nil {
			return nil, err
		}
		if err := greetings.InsertListed(ctx, gs); err != nil {
			return nil, err
		}
	}
	b.Logf("stored %d signatures in %v", n, time.Since(start).Round(time.Millisecond))
	if err := signing.LoadCounts(ctx); err != nil {
		return nil, err
	}
	log := audit.NewLog(db, keys, now)
	jobs := NewJobs(db, keys, NewBuilder(signing, greetings, testMessages(b)), log, now, slog.New(slog.DiscardHandler))
	return &costFixture{signing: signing, jobs: jobs, c: c, search: fmt.Sprintf("%s %d", scripts[0][0], 0)}, nil
}

func BenchmarkSealCost(b *testing.B) {
	f := costSetup(b)
	ctx := context.Background()
	b.Run("sign", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			in := campaign.SignInput{Name: "Алесь Бяляцкі", Email: fmt.Sprintf("bench-%d-%d@example.org", b.N, i), City: "Мінск",
				Country: "BY", Consent: true}
			if i%10 == 0 {
				in.Greeting = "Трымайцеся, сябры!"
			}
			if err := f.signing.Sign(ctx, f.c, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list_page", func(b *testing.B) {
		for b.Loop() {
			p, err := f.signing.ListSignatures(ctx, f.c.ID, campaign.ListRequest{})
			if err != nil || len(p.Signatures) != campaign.PageSize {
				b.Fatalf("ListSignatures = %d rows, %v", len(p.Signatures), err)
			}
		}
	})
	b.Run("search_page", func(b *testing.B) {
		for b.Loop() {
			p, err := f.signing.ListSignatures(ctx, f.c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Search: f.search}})
			if err != nil || len(p.Signatures) != 1 {
				b.Fatalf("search = %d rows, %v", len(p.Signatures), err)
			}
		}
	})
	b.Run("export_csv", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.signing.ExportCSV(ctx, io.Discard, f.c.ID, campaign.ExportOptions{Header: make([]string, campaign.ExportColumns), Emails: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bundle", func(b *testing.B) {
		for b.Loop() {
			job, err := f.jobs.Enqueue(ctx, f.c, Options{MaxSheets: 50}, "bench")
			if err != nil {
				b.Fatal(err)
			}
			if ran, err := f.jobs.RunOnce(ctx); !ran || err != nil {
				b.Fatalf("RunOnce = %v, %v", ran, err)
			}
			if job, err = f.jobs.Job(ctx, job.ID); err != nil || job.Status != StatusDone {
				b.Fatalf("job = %+v, %v", job, err)
			}
			r, err := f.jobs.Open(ctx, job)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, r); err != nil {
				b.Fatal(err)
			}
			r.Close()
			if int64(buf.Len()) != job.Size {
				b.Fatalf("downloaded %d bytes, job says %d", buf.Len(), job.Size)
			}
		}
	})
}
