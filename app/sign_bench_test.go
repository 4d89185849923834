package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// noConfirmations sends no confirmation: it isolates the cost of writing
// the pending signature from that of composing and queueing its message.
type noConfirmations struct{}

func (noConfirmations) SendConfirmation(context.Context, campaign.ConfirmationMail) error { return nil }

// BenchmarkSignNewAddress signs new addresses one after another, the
// three cases interleaved so that the machine's noise hits them alike: on
// a campaign that does not confirm ("plain"), on one that confirms with
// the mail queue composing and queueing the message as in production
// ("confirm-mail"), and on one that confirms without sending, the
// pending write alone ("confirm-no-mail"). It reports each case's mean
// time a signature, in ms. The confirmation worker does not run: since
// the request no longer composes or queues the message, the two
// confirming cases do the same work.
//
//	go test -run '^$' -bench SignNewAddress -benchtime 500x -count 3 ./app/
func BenchmarkSignNewAddress(b *testing.B) {
	ctx := context.Background()
	type setup struct {
		name  string
		app   *app.App
		camp  *campaign.Campaign
		spent time.Duration
	}
	var cases []*setup
	for _, tc := range []struct {
		name          string
		confirm, mail bool
	}{
		{"plain", false, false},
		{"confirm-mail", true, true},
		{"confirm-no-mail", true, false},
	} {
		clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
		k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(b)}
		opts := app.Options{Now: clk.Now}
		if !tc.mail {
			opts.Confirmations = noConfirmations{}
		}
		a, err := app.New(dbs.Wrap(dbs.Database(b)), k, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Prepare(ctx); err != nil {
			b.Fatal(err)
		}
		r := campaign.Recipient{ID: "r-bench", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
		if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
			b.Fatal(err)
		}
		c := &campaign.Campaign{
			ID: "bench", Slug: "bench", Title: "Send a message to Ales Bialiatski", Summary: "A message from outside.",
			Letter: "Dear Ales,", OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 1000, ConfirmEmail: tc.confirm,
			OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC), TimeZone: "UTC",
		}
		if err := a.Campaigns.CreateCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		cases = append(cases, &setup{name: tc.name, app: a, camp: c})
	}
	b.ResetTimer()
	for i := range b.N {
		for _, s := range cases {
			start := time.Now()
			err := s.app.Signing.Sign(ctx, s.camp, campaign.SignInput{Name: fmt.Sprintf("Supporter %d", i), Email: fmt.Sprintf("s%d@example.org", i),
				Country: "PL", Consent: true, Lang: "be", LinkBase: "https://letters.example"})
			s.spent += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, s := range cases {
		b.ReportMetric(float64(s.spent.Microseconds())/1000/float64(b.N), "ms/sign-"+s.name)
	}
}

// BenchmarkSignAnswerTimes times the answer to a signing on a campaign
// that confirms addresses, with the mail queue as in production, for the
// four kinds of address an observer could tell apart by the time: a new
// one, one that signed and confirmed, one that waits for confirmation and
// had its message within the hour (no message is due), and one that had
// it more than an hour ago (a message is due again). Each round signs one
// of each, in a random order, so that the machine's noise and any
// background work after one of them (the confirmation worker, which runs)
// fall on all alike. It reports each
// kind's median and 90th percentile in ms, and each kind's median and 90th
// percentile over the new address's.
//
//	go test -run '^$' -bench SignAnswerTimes -benchtime 300x ./app/
func BenchmarkSignAnswerTimes(b *testing.B) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(b)}
	a, err := app.New(dbs.Wrap(dbs.Database(b)), k, app.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	r := campaign.Recipient{ID: "r-bench", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
	if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
		b.Fatal(err)
	}
	c := &campaign.Campaign{
		ID: "answers", Slug: "answers", Title: "Send a message to Ales Bialiatski", Summary: "A message from outside.",
		Letter: "Dear Ales,", OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 1000,
		OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC), TimeZone: "UTC",
	}
	if err := a.Campaigns.CreateCampaign(ctx, c); err != nil {
		b.Fatal(err)
	}
	sign := func(kind string, i int) error {
		return a.Signing.Sign(ctx, c, campaign.SignInput{Name: fmt.Sprintf("Supporter %d", i), Email: fmt.Sprintf("%s%d@example.org", kind, i),
			Country: "PL", Consent: true, Lang: "be", LinkBase: "https://letters.example"})
	}
	kinds := []string{"new", "confirmed", "pending-in-hour", "pending-after-hour"}
	// The confirmed addresses signed while the campaign did not ask for
	// confirmation: their signatures are stored, as a confirmed one's.
	for i := range b.N {
		if err := sign("confirmed", i); err != nil {
			b.Fatal(err)
		}
	}
	c.ConfirmEmail = true
	for i := range b.N {
		if err := sign("pending-after-hour", i); err != nil {
			b.Fatal(err)
		}
	}
	clk.Add(campaign.ResendAfter + time.Minute)
	for i := range b.N {
		if err := sign("pending-in-hour", i); err != nil {
			b.Fatal(err)
		}
	}
	// The messages of the setup are queued; then the worker runs as in
	// production, woken by the signings, while they are timed.
	if _, err := a.Signing.SendConfirmations(ctx); err != nil {
		b.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	worker := make(chan struct{})
	go func() { a.Signing.RunConfirmations(wctx, slog.New(slog.DiscardHandler)); close(worker) }()
	defer func() { stop(); <-worker }()
	took := make([][]time.Duration, len(kinds))
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := range b.N {
		for _, k := range rng.Perm(len(kinds)) {
			start := time.Now()
			err := sign(kinds[k], i)
			took[k] = append(took[k], time.Since(start))
			// Sign tells a repeat (ErrDuplicate) from a new signature;
			// the pages and the API answer both alike.
			if want := k != 0; errors.Is(err, campaign.ErrDuplicate) != want || (err != nil && !want) {
				b.Fatalf("sign as %s: %v", kinds[k], err)
			}
		}
	}
	b.StopTimer()
	quantile := func(d []time.Duration, q float64) float64 {
		s := slices.Sorted(slices.Values(d))
		return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
	}
	newP50, newP90 := quantile(took[0], 0.5), quantile(took[0], 0.9)
	for k, kind := range kinds {
		p50, p90 := quantile(took[k], 0.5), quantile(took[k], 0.9)
		b.ReportMetric(p50, "ms-p50-"+kind)
		b.ReportMetric(p90, "ms-p90-"+kind)
		if k > 0 {
			b.ReportMetric(p50/newP50, "p50/new-"+kind)
			b.ReportMetric(p90/newP90, "p90/new-"+kind)
		}
		b.Logf("%-19s n=%d  p50 %6.2f ms  p90 %6.2f ms  p50/new %.3f  p90/new %.3f", kind, len(took[k]), p50, p90, p50/newP50, p90/newP90)
	}
}
