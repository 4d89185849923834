package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// newDrive stores a drive open at now to n reachable recipients, plus the
// extra ones, and returns it with the reachable recipients' IDs.
func newDrive(t *testing.T, svc *campaign.Service, now time.Time, slug string, n int, extra ...campaign.Recipient) (*campaign.Campaign, []string) {
	t.Helper()
	ctx := context.Background()
	c := testCampaign(slug, now.Add(-time.Hour), now.Add(30*24*time.Hour))
	c.Kind = campaign.KindDrive
	var ids []string
	for i := range n {
		r := campaign.Recipient{Name: fmt.Sprintf("%s person %d", slug, i), Country: "BY", Address: []string{"SIZO-1", "Minsk"}, Languages: []string{"be", "ru"}}
		if _, err := svc.SaveRecipient(ctx, &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	c.RecipientIDs = slices.Clone(ids)
	for i := range extra {
		if _, err := svc.SaveRecipient(ctx, &extra[i]); err != nil {
			t.Fatal(err)
		}
		c.RecipientIDs = append(c.RecipientIDs, extra[i].ID)
	}
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadCampaigns(ctx); err != nil {
		t.Fatal(err)
	}
	return c, ids
}

func card(email, to string) campaign.SignInput {
	return campaign.SignInput{Name: "Anna", Email: email, Country: "SE", Consent: true, Greeting: "Stay strong", RecipientID: to}
}

// One supporter writes one card to each recipient of a drive; a second card
// to the same recipient is a repeat and counts nothing.
func TestDriveCardsOnePerRecipient(t *testing.T) {
	now := time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	c, ids := newDrive(t, svc, now, "cards", 3)
	tests := []struct {
		name    string
		email   string
		to      string
		wantDup bool
		want    []int64 // cards per recipient after
	}{
		{"first card", "anna@example.org", ids[0], false, []int64{1, 0, 0}},
		{"same supporter, another recipient", "anna@example.org", ids[1], false, []int64{1, 1, 0}},
		{"same supporter, same recipient", "anna@example.org", ids[0], true, []int64{1, 1, 0}},
		{"same address in other case", "ANNA@example.org", ids[1], true, []int64{1, 1, 0}},
		{"another supporter, same recipient", "boris@example.org", ids[0], false, []int64{2, 1, 0}},
		{"third recipient", "anna@example.org", ids[2], false, []int64{2, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Sign(ctx, c, card(tt.email, tt.to))
			if got := errors.Is(err, campaign.ErrDuplicate); got != tt.wantDup || (err != nil && !got) {
				t.Fatalf("Sign = %v, want duplicate %v", err, tt.wantDup)
			}
			counts := svc.CardCounts(c.ID)
			for i, id := range ids {
				if counts[id] != tt.want[i] {
					t.Errorf("cards to recipient %d = %d, want %d", i, counts[id], tt.want[i])
				}
			}
			var sum int64
			for _, v := range tt.want {
				sum += v
			}
			if got := svc.Count(c.ID); got != sum {
				t.Errorf("Count = %d, want %d", got, sum)
			}
			if got := svc.Countries(c.ID); len(got) != 1 || got["SE"] != sum {
				t.Errorf("Countries = %v, want only SE %d", got, sum)
			}
		})
	}
}

// A card names a recipient the drive writes to and whom cards reach; a
// drive's card needs its text.
func TestDriveCardRecipientRules(t *testing.T) {
	now := time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	released := campaign.Recipient{Name: "Released", Country: "BY", Address: []string{"Colony 3"},
		Changes: []campaign.StatusChange{{ID: "x", Situation: campaign.SituationReleased, Day: "2027-11-01"}}}
	c, ids := newDrive(t, svc, now, "rules", 1, released)
	released.ID = c.RecipientIDs[1]
	outside := campaign.Recipient{Name: "Elsewhere", Country: "BY", Address: []string{"Colony 1"}}
	if _, err := svc.SaveRecipient(ctx, &outside); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		in    campaign.SignInput
		field string
		want  campaign.Problem
	}{
		{"no recipient", card("a@example.org", ""), "recipient", campaign.ProblemRequired},
		{"not in the drive", card("a@example.org", outside.ID), "recipient", campaign.ProblemChoice},
		{"unknown", card("a@example.org", "nobody"), "recipient", campaign.ProblemChoice},
		{"released", card("a@example.org", released.ID), "recipient", campaign.ProblemUnreachable},
		{"no text", func() campaign.SignInput { in := card("a@example.org", ids[0]); in.Greeting = " "; return in }(), "greeting", campaign.ProblemRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Sign(ctx, c, tt.in)
			var v *campaign.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Sign = %v, want a validation error", err)
			}
			if f, ok := v.Field(tt.field); !ok || f.Problem != tt.want {
				t.Errorf("problems %v, want %s %s", v.Fields, tt.field, tt.want)
			}
		})
	}
	if got := svc.Count(c.ID); got != 0 {
		t.Errorf("Count = %d after refused cards, want 0", got)
	}
}

// Offer skips recipients whom cards do not reach, and those the supporter
// asked to pass.
func TestOfferSkips(t *testing.T) {
	now := time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	gone := func(name string, s campaign.Situation) campaign.Recipient {
		return campaign.Recipient{Name: name, Country: "BY", Address: []string{"Colony 1"},
			Changes: []campaign.StatusChange{{ID: "c1", Situation: s, Day: "2027-10-01"}}}
	}
	c, ids := newDrive(t, svc, now, "skips", 2,
		gone("Released", campaign.SituationReleased),
		gone("Incommunicado", campaign.SituationIncommunicado),
		gone("Deceased", campaign.SituationDeceased),
		campaign.Recipient{Name: "No address", Country: "BY"},
		// Released, then back in prison: reachable at the new address.
		campaign.Recipient{Name: "Back", Country: "BY", Address: []string{"Colony 1"}, Changes: []campaign.StatusChange{
			{ID: "c1", Situation: campaign.SituationReleased, Day: "2027-09-01"},
			{ID: "c2", Situation: campaign.SituationTransferred, Day: "2027-10-01", Address: []string{"SIZO-8"}}}},
		// Transferred after today: the address now is the first one.
		campaign.Recipient{Name: "Later", Country: "BY", Changes: []campaign.StatusChange{
			{ID: "c1", Situation: campaign.SituationTransferred, Day: "2028-01-01", Address: []string{"Colony 2"}}}},
		// Unlisted: written to by the link that names them, never offered.
		campaign.Recipient{Name: "Unlisted", Country: "BY", Address: []string{"Colony 1"}, Unlisted: true},
	)
	set := svc.Campaigns()
	byName := map[string]string{}
	for _, id := range c.RecipientIDs {
		r, _ := set.Recipient(id)
		byName[r.Name] = id
	}
	tests := []struct {
		name   string
		skip   []string
		want   []string // the recipients it may offer
		nobody bool
	}{
		{"reachable only", nil, []string{ids[0], ids[1], byName["Back"]}, false},
		{"skip two", []string{ids[0], byName["Back"]}, []string{ids[1]}, false},
		{"skip all", []string{ids[0], ids[1], byName["Back"]}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 40 {
				r, err := svc.Offer(c, tt.skip)
				if tt.nobody {
					if !errors.Is(err, campaign.ErrNobodyToOffer) {
						t.Fatalf("Offer = %v, want ErrNobodyToOffer", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				seen[r.ID] = true
			}
			for id := range seen {
				if !slices.Contains(tt.want, id) {
					r, _ := set.Recipient(id)
					t.Errorf("offered %q", r.Name)
				}
			}
			if len(seen) != len(tt.want) {
				t.Errorf("offered %d recipients in 40 offers, want each of %d", len(seen), len(tt.want))
			}
		})
	}
}

// 200 supporters who arrive at once, are offered someone and write to them
// spread over the recipients with at most one card between the most and
// the least written to; with counts there already, the offers fill the
// gaps first.
func TestOfferFairUnderConcurrency(t *testing.T) {
	now := time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		recipients int
		before     map[int]int // cards written by name before, by recipient index
		supporters int
	}{
		{"200 over 7", 7, nil, 200},
		{"200 over 30 with some written by name", 30, map[int]int{0: 9, 1: 3, 5: 1}, 200},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t, now)
			ctx := context.Background()
			c, ids := newDrive(t, svc, now, fmt.Sprintf("fair%d", i), tt.recipients)
			before := 0
			for r, n := range tt.before {
				for k := range n {
					if err := svc.Sign(ctx, c, card(fmt.Sprintf("named%d-%d@example.org", r, k), ids[r])); err != nil {
						t.Fatal(err)
					}
					before++
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, tt.supporters)
			for k := range tt.supporters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := svc.Offer(c, nil)
					if err != nil {
						errs <- err
						return
					}
					in := card(fmt.Sprintf("s%d@example.org", k), r.ID)
					in.Offered = true
					errs <- svc.Sign(ctx, c, in)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			counts := svc.CardCounts(c.ID)
			var sum, most, least int64 = 0, 0, -1
			for _, id := range ids {
				n := counts[id]
				sum += n
				most = max(most, n)
				if least < 0 || n < least {
					least = n
				}
			}
			if sum != int64(tt.supporters+before) {
				t.Errorf("%d cards counted, want %d", sum, tt.supporters+before)
			}
			// Cards by name before may leave some higher than the rest
			// can reach; the rest are within one of each other.
			var rest []int64
			for k, id := range ids {
				if _, named := tt.before[k]; !named || int64(tt.before[k]) < least {
					rest = append(rest, counts[id])
				}
			}
			lo, hi := slices.Min(rest), slices.Max(rest)
			if hi-lo > 1 {
				t.Errorf("spread %d (%d..%d), want at most 1: %v", hi-lo, lo, hi, counts)
			}
			if tt.before == nil && most-least > 1 {
				t.Errorf("spread %d, want at most 1", most-least)
			}
		})
	}
}

// Erasing a card, invalidating a burst of cards and restoring it, and
// recounting, each keep the counts per recipient right.
func TestDriveCardCountsFollowErasureBurstsAndRecount(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c, ids := newDrive(t, svc, now, "follow", 2)
	sign := func(email, to, network string) string {
		t.Helper()
		in := card(email, to)
		in.Network = network
		r, err := svc.SignReceipt(ctx, c, in)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	for i := range 3 {
		sign(fmt.Sprintf("bot%d@spam.example", i), ids[1], "aaaaaaaaffff")
	}
	now = now.Add(2 * time.Minute)
	erased := sign("anna@example.org", ids[0], "bbbbbbbb")
	sign("anna@example.org", ids[1], "bbbbbbbb")
	q := campaign.BurstQuery{CampaignID: c.ID, Kind: campaign.BurstNetwork, From: now.Add(-time.Hour), Until: now.Add(time.Minute)}
	tests := []struct {
		name string
		do   func() error
		want []int64
	}{
		{"signed", func() error { return nil }, []int64{1, 4}},
		{"a card erased", func() error { return svc.EraseSignature(ctx, c.ID, erased) }, []int64{0, 4}},
		{"a burst invalidated", func() error { _, err := svc.SetBurstValid(ctx, q, "aaaaaaaa", false); return err }, []int64{0, 1}},
		{"and restored", func() error { _, err := svc.SetBurstValid(ctx, q, "aaaaaaaa", true); return err }, []int64{0, 4}},
		{"counted from the signatures", func() error {
			now = now.Add(time.Hour)
			if _, err := svc.RecountAll(ctx); err != nil {
				return err
			}
			return svc.Refresh(ctx)
		}, []int64{0, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err != nil {
				t.Fatal(err)
			}
			counts := svc.CardCounts(c.ID)
			for i, id := range ids {
				if counts[id] != tt.want[i] {
					t.Errorf("cards to recipient %d = %d, want %d", i, counts[id], tt.want[i])
				}
			}
			if got := svc.Waiting(c); got != slices.Index(tt.want, 0)+1 && !(got == 0 && !slices.Contains(tt.want, 0)) {
				t.Errorf("Waiting = %d for %v", got, tt.want)
			}
		})
	}
}
