package app_test

import (
	"context"
	"fmt"
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
// time a signature, in ms.
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
