// Package demo fills an empty database with a campaign to try solidarity
// with: letters to Ales Bialiatski, a few hundred signatures from many
// countries, and one campaign that has already closed. Its postal address
// is marked as a demo address so that nobody posts real mail to it.
//
// It belongs to the serve command, which seeds it when SOLIDARITY_DEMO is
// on, and not below the domain packages: it writes domain data through
// their stores and services, as a command does.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/solidarity-letters/solidarity/site"
)

// Slugs of the demo campaigns.
const (
	OpenSlug   = "ales-bialiatski-july"
	ClosedSlug = "ales-bialiatski-new-year"
)

// Seeder writes the demo data.
type Seeder struct {
	Campaigns *campaign.Service
	Greetings *letters.Store
	// Site receives the demo organisation profile.
	Site *site.Store
	// Delivery receives the closed campaign's delivery log.
	Delivery *delivery.Service
	// EmailKey keys the signature IDs, as for real signatures.
	EmailKey []byte
	// Posts receives the demo letters and news; nil seeds none.
	Posts *posts.Service
	Now   func() time.Time
}

// SeedIfEmpty writes the demo data when no campaign is stored yet, and
// reports whether it did.
func (s *Seeder) SeedIfEmpty(ctx context.Context) (bool, error) {
	has, err := s.Campaigns.Store().HasCampaigns(ctx)
	if err != nil || has {
		return false, err
	}
	return true, s.Seed(ctx)
}

// Seed writes the demo recipient, both campaigns and their signatures,
// and the demo letters and news.
func (s *Seeder) Seed(ctx context.Context) error {
	now := s.Now().UTC()
	store := s.Campaigns.Store()
	r := recipient(now)
	if err := store.CreateRecipient(ctx, &r); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	minsk, err := time.LoadLocation("Europe/Minsk")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	open := openCampaign(r.ID, now, minsk)
	closed := closedCampaign(r.ID, now, minsk)
	// A fixed seed: every demo database holds the same supporters.
	rng := rand.New(rand.NewPCG(12, 7))
	for _, c := range []struct {
		campaign *campaign.Campaign
		n        int
	}{{&open, 312}, {&closed, 148}} {
		if err := store.CreateCampaign(ctx, c.campaign); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := s.sign(ctx, rng, c.campaign, c.n, now); err != nil {
			return err
		}
	}
	if err := s.deliveryLog(ctx, &closed); err != nil {
		return err
	}
	if s.Posts != nil {
		if err := s.seedPosts(ctx, r.ID, closed.ID); err != nil {
			return err
		}
	}
	// A profile an admin saved already stays.
	if _, err := s.Site.Save(ctx, Profile(), 0); err != nil && !errors.Is(err, site.ErrConflict) {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// Profile is the demo organisation: marked as demo data in its name, its
// address and its Demo flag, with addresses that reach nobody.
func Profile() site.Profile {
	return site.Profile{
		Name: "Letters for Freedom",
		Address: []string{
			"DEMO ADDRESS: for trying the software only, do not post letters here",
			"Letters for Freedom",
			"PO Box 0000",
			"00-000 Demo Town",
		},
		Email:          "contact@example.org",
		Signal:         "letters_demo.01",
		PGPFingerprint: "0000000000000000000000000000000000000000",
		Demo:           true,
	}
}

// sign adds n generated signatures, a fifth of them with a greeting.
func (s *Seeder) sign(ctx context.Context, rng *rand.Rand, c *campaign.Campaign, n int, now time.Time) error {
	end := c.ClosesAt
	if now.Before(end) {
		end = now
	}
	span := end.Sub(c.OpensAt)
	sigs := make([]campaign.Signature, 0, n)
	var gs []letters.Greeting
	for i := range n {
		p := person(rng)
		at := c.OpensAt.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)
		id := campaign.SignatureID(s.EmailKey, c.ID, fmt.Sprintf("demo-%d@example.org", i))
		sigs = append(sigs, campaign.Signature{ID: id, SignedAt: at, Source: campaign.SourceWeb, Person: p})
		if rng.IntN(5) == 0 {
			sigs[len(sigs)-1].HasGreeting = true
			status := letters.StatusPending
			if at.Before(now.Add(-72 * time.Hour)) {
				status = letters.StatusApproved
			}
			gs = append(gs, letters.Greeting{
				ID: id, CampaignID: c.ID, Text: greeting(rng, p.Country),
				Status: status, CreatedAt: at,
			})
		}
	}
	if _, err := s.Campaigns.AddSignatures(ctx, c.ID, sigs); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := s.Greetings.Insert(ctx, gs); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

func recipient(now time.Time) campaign.Recipient {
	return campaign.Recipient{
		ID:   "demo-ales-bialiatski",
		Slug: "ales-bialiatski",
		Name: "Ales Bialiatski",
		// The facts of the seed's first arrest: detained on 4 August 2011,
		// sentenced that November.
		DetainedSince: "2011-08-04",
		Sentence:      "4½ years in a high-security penal colony and confiscation of property",
		Description: "Ales Bialiatski chairs Viasna, the Belarusian human rights centre, and is a vice-president of the " +
			"International Federation for Human Rights (FIDH). He has been in prison since 4 August 2011. In November " +
			"that year a court sentenced him to four and a half years and the confiscation of his property for alleged " +
			"tax evasion, a sentence that is plainly about his human rights work.\n\n" +
			"From prison he answers the letters and cards he receives, and has written that the support of friends " +
			"and strangers alike helps him through.",
		Address: []string{
			"DEMO ADDRESS: for trying the software only, do not post letters here",
			"Ales Bialiatski",
			"Penal colony (demo)",
			"Babruisk",
			"Belarus",
		},
		Country:       "BY",
		Languages:     []string{"be", "ru"},
		CensorWords:   []string{"Лукашенко", "Lukashenko", "режим"},
		LanguageRules: "Letters reach him only in Belarusian or Russian: the prison censor holds back anything else, so greetings in other languages are translated before printing.",
		CreatedAt:     now,
	}
}

// nextDay is the start of the next dd month in loc that is after now.
func nextDay(now time.Time, m time.Month, d int, loc *time.Location) time.Time {
	y := now.In(loc).Year()
	for {
		t := campaign.StartOfDay(y, m, d, loc)
		if t.After(now) {
			return t
		}
		y++
	}
}

func openCampaign(recipientID string, now time.Time, loc *time.Location) campaign.Campaign {
	closes := nextDay(now, time.July, 12, loc)
	return campaign.Campaign{
		ID:    "demo-bialiatski-july",
		Slug:  OpenSlug,
		Title: "Send a message to Ales Bialiatski before 12 July",
		Summary: "A message from the world outside means a lot to someone in prison. Add your name to this letter of " +
			"support for Ales Bialiatski, and a few words of your own if you like, to show him that people care and to " +
			"help him keep his spirits high.\n\nThe organizers print every name and greeting and send the letter by " +
			"regular mail at the end of July. This is a demo campaign.",
		Letter: "Dear Ales,\n\n" +
			"We are writing to you from many countries to tell you that you are not forgotten. Your work for human " +
			"rights in Belarus, and the calm courage with which you have carried it on, matter to us.\n\n" +
			"We know that your sentence is about that work, and not about taxes, and we will keep saying so until you " +
			"are free.\n\n" +
			"We hope this letter brings a little of the world outside into your days. Take care of your health, keep " +
			"writing, and know that many people are waiting to see you at home with Natallia and Adam.\n\n" +
			"With respect and solidarity,",
		Translations:  openTranslations(),
		OrganizerName: "The Solidarity demo team",
		RecipientID:   recipientID,
		Goal:          1000,
		OpensAt:       now.AddDate(0, 0, -21).Truncate(time.Millisecond),
		ClosesAt:      closes,
		TimeZone:      loc.String(),
		Greetings:     campaign.Greetings{Enabled: true, MaxLength: campaign.DefaultGreetingMax, ShowPublic: true},
		// As new campaigns do: a newcomer who signs finds the message that
		// asks to confirm in the outbox.
		ConfirmEmail: true,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
}

// closedDaysAgo is how long ago the closed campaign closed: its dates
// move with today, as the open one's do, so that it is always a campaign
// that closed recently and whose letter has a story since.
const closedDaysAgo = 45

func closedCampaign(recipientID string, now time.Time, loc *time.Location) campaign.Campaign {
	ago := now.In(loc).AddDate(0, 0, -closedDaysAgo)
	closes := campaign.StartOfDay(ago.Year(), ago.Month(), ago.Day(), loc)
	return campaign.Campaign{
		ID:    "demo-bialiatski-new-year",
		Slug:  ClosedSlug,
		Title: "New Year greetings for Ales Bialiatski",
		Summary: "Cards for the New Year and Christmas, for Ales and for all political prisoners. Below is what " +
			"happened to the letter after signing closed. This is a demo campaign.",
		Letter: "Dear Ales,\n\n" +
			"For the New Year we wish you good health, optimism and happiness, faith in a better future, and the hope " +
			"that soon the sun will peep in at your window.\n\n" +
			"May the dream of all political prisoners come true in the new year: to be free and at home.\n\n" +
			"Happy New Year and merry Christmas,",
		Translations:  closedTranslations(),
		OrganizerName: "The Solidarity demo team",
		RecipientID:   recipientID,
		Goal:          200,
		OpensAt:       closes.AddDate(0, 0, -20),
		ClosesAt:      closes,
		TimeZone:      loc.String(),
		Greetings:     campaign.Greetings{Enabled: true, MaxLength: campaign.DefaultGreetingMax},
		CreatedAt:     now,
		UpdatedAt:     now,
	}
}

// deliveryLog records what happened to the closed campaign's letter,
// counted in days from its close.
func (s *Seeder) deliveryLog(ctx context.Context, c *campaign.Campaign) error {
	if s.Delivery == nil {
		return nil
	}
	day := func(after int) string {
		return c.ClosesAt.In(c.Location()).AddDate(0, 0, after).Format(time.DateOnly)
	}
	for _, e := range []delivery.Event{
		{Kind: delivery.KindPosted, Day: day(3), Public: true, Method: delivery.MethodRegistered, Envelopes: 3,
			Tracking: "RR000000000BY (demo)", InternalNote: "Posted at the main post office; the receipts are in the campaign folder."},
		{Kind: delivery.KindDelivered, Day: day(14), Public: true},
		{Kind: delivery.KindConfirmed, Day: day(22), Public: true,
			PublicNote: "In a letter to a friend he wrote that the envelopes came on the same day, thick with names, and that he read every greeting."},
		{Kind: delivery.KindReply, Day: day(30), Public: true, Post: replyPost,
			PublicNote: "Ales sent back colour postcards, drawn by a fellow prisoner, to the people who wrote to him."},
	} {
		if _, err := s.Delivery.Save(ctx, c, &e, "demo"); err != nil {
			return fmt.Errorf("demo delivery log: %w", err)
		}
	}
	return nil
}
