package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// loadBatch is how many signatures one bulk insert of the loader holds.
const loadBatch = 1000

// setUp writes the recipient and the bench's campaigns, all open, with
// greetings shown on their pages.
func setUp(ctx context.Context, svc *service, slugs []string) error {
	store := svc.app.Signing.Store()
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := campaign.Recipient{ID: "bench-recipient", Name: "Ales Bialiatski", Description: "A recipient of the bench's campaigns.",
		Address: []string{"Penal colony (bench)", "Babruisk", "Belarus"}, Country: "BY", Languages: []string{"be", "ru"}, CreatedAt: now}
	if err := store.CreateRecipient(ctx, &r); err != nil {
		return fmt.Errorf("bench recipient: %w", err)
	}
	for i, slug := range slugs {
		c := campaign.Campaign{
			ID: campaignID(slug), Slug: slug, Title: fmt.Sprintf("Letters to Ales, bench campaign %d", i+1),
			Summary:  "A campaign of the bench: realistic names and greetings, generated.",
			Letter:   "Dear Ales,\n\nWe are writing to you from many countries to tell you that you are not forgotten.\n\nWith solidarity,",
			Language: "en", OrganizerName: "The bench", RecipientID: r.ID, Goal: 1_000_000,
			OpensAt: now.AddDate(0, 0, -7), ClosesAt: now.AddDate(0, 3, 0), TimeZone: "Europe/Minsk",
			Greetings: campaign.Greetings{Enabled: true, MaxLength: campaign.DefaultGreetingMax, ShowPublic: true},
			CreatedAt: now, UpdatedAt: now,
		}
		if err := store.CreateCampaign(ctx, &c); err != nil {
			return fmt.Errorf("bench campaign %s: %w", slug, err)
		}
	}
	return nil
}

// fill adds generated signatures to the campaign through the bulk path
// the demo uses until it holds n, one in ten with an approved greeting.
// It calls progress after every 100,000.
func fill(ctx context.Context, svc *service, slug string, n int, progress func(have int)) error {
	id := campaignID(slug)
	rules, err := svc.app.Moderation.Rules(ctx, id)
	if err != nil {
		return err
	}
	// The signatures come one every step, the last of them now.
	const step = 10 * time.Millisecond
	have := int(svc.app.Signing.Count(id))
	at := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Duration(n-have) * step)
	for ; have < n; have = int(svc.app.Signing.Count(id)) {
		// The series is the count, so every batch has addresses of its own.
		from, to := have, have+min(loadBatch, n-have)
		sigs, gs := batch(svc.keys.Email, id, "bulk-"+strconv.Itoa(from), from, to, at, step, rules)
		at = at.Add(time.Duration(to-from) * step)
		added, err := svc.app.Signing.AddSignatures(ctx, id, sigs)
		if err != nil {
			return err
		}
		if added == 0 {
			return fmt.Errorf("fill %s: no signature added at %d", slug, have)
		}
		if err := svc.app.Greetings.InsertListed(ctx, gs); err != nil {
			return err
		}
		if to/100_000 > from/100_000 {
			progress(to)
		}
	}
	return nil
}

// rawInsertRate is the reference for signing: how many signature
// documents a second the database stores with unordered InsertMany in
// batches of 100, with the signatures' indexes, for copies of the stored
// documents of a campaign under new IDs, in a scratch collection that is
// dropped after.
func rawInsertRate(ctx context.Context, db *mongo.Database, campaignID string, n int) (float64, error) {
	src := db.Collection("signatures")
	cur, err := src.Find(ctx, bson.M{"campaign_id": campaignID}, options.Find().SetLimit(5000))
	if err != nil {
		return 0, fmt.Errorf("read signature documents: %w", err)
	}
	var templates []bson.D
	if err := cur.All(ctx, &templates); err != nil {
		return 0, fmt.Errorf("read signature documents: %w", err)
	}
	if len(templates) == 0 {
		return 0, fmt.Errorf("no signature of %s to copy", campaignID)
	}
	dst := db.Collection("bench_raw_signatures")
	defer dst.Drop(context.WithoutCancel(ctx))
	if err := sealed.CopyIndexes(ctx, src, dst); err != nil {
		return 0, err
	}
	docs := make([]any, n)
	for i := range docs {
		t := templates[i%len(templates)]
		d := make(bson.D, len(t))
		copy(d, t)
		sum := sha256.Sum256([]byte("raw-" + strconv.Itoa(i)))
		for j := range d {
			if d[j].Key == "_id" {
				d[j].Value = hex.EncodeToString(sum[:16])
			}
		}
		docs[i] = d
	}
	start := time.Now()
	for i := 0; i < n; i += 100 {
		if _, err := dst.InsertMany(ctx, docs[i:min(i+100, n)], options.InsertMany().SetOrdered(false)); err != nil {
			return 0, fmt.Errorf("raw InsertMany: %w", err)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// campaignID is the ID of the bench's campaign with that slug.
func campaignID(slug string) string { return "c-" + slug }
