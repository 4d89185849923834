package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// BenchmarkPendingCleanup compares, on a collection of pending signatures
// spread over PendingKeep (BENCH_PENDING of them, default 20,000, in one
// campaign), the cleanup's delete of one ten-minute slot with a delete by
// a filter on the time alone, as a cleanup without slots would do; and
// the console's count of one campaign's pending signatures from the
// counts by slot with a count of the pending signatures themselves
// (an index search by campaign, which decodes each). None of them
// deletes anything, so that every iteration measures the same collection:
// the slot's cut-off is before its signatures, the time filter's before
// all of them.
//
//	BENCH_PENDING=50000 go test -run '^$' -bench PendingCleanup -benchtime 5x ./campaign/
func BenchmarkPendingCleanup(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("BENCH_PENDING")); err == nil && v > 0 {
		n = v
	}
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := serviceOn(b, dbs.Database(b), nopGreetings{}, now)
	ctx := context.Background()
	if err := svc.Store().EnsurePending(ctx); err != nil {
		b.Fatal(err)
	}
	start := now.Add(-campaign.PendingKeep).Add(time.Second) // none expired yet
	step := campaign.PendingKeep / time.Duration(n)
	batch := make([]campaign.Pending, 0, 1000)
	for i := range n {
		in := benchSignature("pending", i)
		id := campaign.PendingID(testEmailKey, "id-bench", in.Email)
		batch = append(batch, campaign.Pending{
			ID: id, CampaignID: "id-bench", CreatedAt: start.Add(time.Duration(i) * step).Truncate(time.Millisecond),
			SentAt: start, Secrets: []string{id}, Lang: "pl", Email: in.Email,
			Sig: campaign.Signature{ID: campaign.SignatureID(testEmailKey, "id-bench", in.Email), Source: campaign.SourceWeb,
				Greeting: "Trzymaj się!", Person: campaign.Person{Name: in.Name, City: in.City, Country: in.Country}},
		})
		if len(batch) == cap(batch) || i == n-1 {
			if err := svc.Store().InsertPendingForTest(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	slot := start.Add(campaign.PendingKeep / 2)
	for _, tc := range []struct {
		name string
		run  func() (int64, error)
	}{
		{"slot", func() (int64, error) { return svc.Store().DeletePendingSlotForTest(ctx, slot, slot.Add(-time.Hour)) }},
		{"time-filter", func() (int64, error) { return svc.Store().DeleteExpiredPendingForTest(ctx, start.Add(-time.Hour)) }},
		{"count", func() (int64, error) {
			got, err := svc.Store().CountPending(ctx, "id-bench", now)
			if err == nil && got != int64(n) {
				err = fmt.Errorf("counted %d, want %d", got, n)
			}
			return 0, err
		}},
		{"count-documents", func() (int64, error) {
			got, err := svc.Store().CountPendingDocumentsForTest(ctx, "id-bench")
			if err == nil && got != int64(n) {
				err = fmt.Errorf("counted %d, want %d", got, n)
			}
			return 0, err
		}},
	} {
		b.Run(fmt.Sprintf("%s/%d", tc.name, n), func(b *testing.B) {
			for b.Loop() {
				if deleted, err := tc.run(); err != nil || deleted != 0 {
					b.Fatalf("deleted %d, %v", deleted, err)
				}
			}
		})
	}
}

// nopConfirmations sends nothing.
type nopConfirmations struct{}

func (nopConfirmations) SendConfirmation(context.Context, campaign.ConfirmationMail) error {
	return nil
}

// BenchmarkSignPending compares signing with 16 supporters at once on a
// campaign that counts at once (group commit) and on one that asks for
// confirmation (a pending signature each: a read, an insert, a read and
// two updates, not batched), with new addresses and with repeats of
// pending ones. Compare the sigs/s of one run:
//
//	go test -run '^$' -bench BenchmarkSignPending -benchtime 2000x ./campaign/
func BenchmarkSignPending(b *testing.B) {
	for _, mode := range []struct {
		name            string
		confirm, repeat bool
	}{{"at-once", false, false}, {"pending-new", true, false}, {"pending-repeat", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			svc, c := benchService(b)
			// As the app on the embedded database, its only client.
			svc.Store().SetCounterLock(&sync.Mutex{})
			svc.SetConfirmations(nopConfirmations{})
			c.ConfirmEmail = mode.confirm
			ctx := context.Background()
			if mode.repeat {
				b.StopTimer()
				for i := range b.N {
					if err := svc.Sign(ctx, c, benchSignature(mode.name, i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			took := parallel(b, b.N, func(i int) error {
				err := svc.Sign(ctx, c, benchSignature(mode.name, i))
				if mode.repeat && errors.Is(err, campaign.ErrDuplicate) {
					err = nil
				}
				return err
			})
			b.ReportMetric(float64(b.N)/took.Seconds(), "sigs/s")
		})
	}
}
