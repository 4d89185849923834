package campaign_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/campaign"
)

// benchStored is how many signatures the campaign holds before each
// measure, and benchWorkers how many supporters sign at once.
const (
	benchStored  = 5000
	benchWorkers = 16
)

// benchSignature is the n-th signature of a run: a realistic document,
// with a unique address.
func benchSignature(run string, n int) campaign.SignInput {
	return campaign.SignInput{
		Name: fmt.Sprintf("Анна Kowalska-Jonaitė %d", n), Email: fmt.Sprintf("bench-%s-%d@example.org", run, n),
		City: "Białystok", Country: "PL", Consent: true,
	}
}

// benchService returns a service on a fresh database whose campaign holds
// benchStored signatures.
func benchService(b *testing.B) (*campaign.Service, *campaign.Campaign) {
	b.Helper()
	return benchServiceWith(b, benchStored)
}

// benchServiceWith returns a service on a fresh database whose campaign
// holds stored signatures.
func benchServiceWith(b *testing.B, stored int) (*campaign.Service, *campaign.Campaign) {
	b.Helper()
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := serviceOn(b, dbs.Database(b), nopGreetings{}, now)
	c := testCampaign("bench", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	ctx := context.Background()
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	sigs := make([]campaign.Signature, 0, 1000)
	for i := range stored {
		in := benchSignature("stored", i)
		sigs = append(sigs, campaign.Signature{ID: campaign.SignatureID(testEmailKey, c.ID, in.Email), SignedAt: now,
			Source: campaign.SourceWeb, Person: campaign.Person{Name: in.Name, City: in.City, Country: in.Country}})
		if len(sigs) == cap(sigs) || i == stored-1 {
			if _, err := svc.AddSignatures(ctx, c.ID, sigs); err != nil {
				b.Fatal(err)
			}
			sigs = sigs[:0]
		}
	}
	return svc, c
}

// parallel runs fn(i) for i in [0, n) on benchWorkers goroutines and
// returns how long they took.
func parallel(b *testing.B, n int, fn func(i int) error) time.Duration {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchWorkers)
	b.ResetTimer()
	start := time.Now()
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return elapsed
}

// BenchmarkSign measures signing on the embedded database with 5k
// signatures stored and 16 supporters at once: batched (group commit),
// one by one, and the raw unordered InsertMany of the same documents,
// which is the ceiling. Compare the sigs/s of one run:
//
//	go test -run '^$' -bench BenchmarkSign -benchtime 5000x ./campaign/
func BenchmarkSign(b *testing.B) {
	for _, mode := range []struct {
		name string
		max  int
	}{{"batched", 0}, {"one-by-one", 1}} {
		b.Run(mode.name, func(b *testing.B) {
			svc, c := benchService(b)
			if mode.max > 0 {
				svc.SetBatchMax(mode.max)
			}
			ctx := context.Background()
			took := parallel(b, b.N, func(i int) error { return svc.Sign(ctx, c, benchSignature(mode.name, i)) })
			b.ReportMetric(float64(b.N)/took.Seconds(), "sigs/s")
		})
	}
	for _, size := range []int{100, 256} {
		b.Run(fmt.Sprintf("raw-insertmany-%d", size), func(b *testing.B) {
			svc, c := benchService(b)
			now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
			docs := make([]any, b.N)
			for i := range docs {
				in := benchSignature("raw", i)
				sig := campaign.Signature{ID: campaign.SignatureID(testEmailKey, c.ID, in.Email), CampaignID: c.ID, SignedAt: now,
					Source: campaign.SourceWeb, Person: campaign.Person{Name: in.Name, City: in.City, Country: in.Country}}
				d, err := svc.Store().SealForTest(&sig)
				if err != nil {
					b.Fatal(err)
				}
				docs[i] = d
			}
			coll := svc.Store().SignaturesForTest()
			ctx := context.Background()
			batches := (b.N + size - 1) / size
			took := parallel(b, batches, func(i int) error {
				_, err := coll.InsertMany(ctx, docs[i*size:min((i+1)*size, b.N)], options.InsertMany().SetOrdered(false))
				return err
			})
			b.ReportMetric(float64(b.N)/took.Seconds(), "sigs/s")
		})
	}
}

// BenchmarkSignAsStoredGrows measures batched signing, as BenchmarkSign
// does, with 5k signatures stored and with SOLIDARITY_BENCH_STORED (50k
// unless set; loading 200k takes minutes). Compare the sigs/s of one run:
//
//	SOLIDARITY_BENCH_STORED=200000 go test -run '^$' -bench BenchmarkSignAsStoredGrows -benchtime 5000x -timeout 30m ./campaign/
func BenchmarkSignAsStoredGrows(b *testing.B) {
	large := 50000
	if v := os.Getenv("SOLIDARITY_BENCH_STORED"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("SOLIDARITY_BENCH_STORED: %v", err)
		}
		large = n
	}
	for _, stored := range []int{benchStored, large} {
		b.Run(fmt.Sprintf("stored-%d", stored), func(b *testing.B) {
			svc, c := benchServiceWith(b, stored)
			ctx := context.Background()
			b.ResetTimer()
			took := parallel(b, b.N, func(i int) error { return svc.Sign(ctx, c, benchSignature("grows", i)) })
			b.ReportMetric(float64(b.N)/took.Seconds(), "sigs/s")
		})
	}
}
