package campaign_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Migration 17: recipients stored before slugs existed get unique ones
// from their names, twice is harmless, and the index refuses a copy.
func TestEnsureRecipientSlugs(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	store := campaign.NewStore(db, testdb.Keys(t))
	old := db.Collection("recipients")
	for _, d := range []bson.M{
		{"_id": "a", "name": "Ales Bialiatski", "country": "BY"},
		{"_id": "b", "name": "Ales Bialiatski", "country": "BY"},
		{"_id": "c", "name": "Марыя Калеснікава", "country": "BY"},
		{"_id": "d", "name": "有名", "country": "BY"},
		{"_id": "e", "name": "Kept", "slug": "kept-slug", "country": "BY"},
	} {
		if _, err := old.InsertOne(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := store.EnsureRecipientSlugs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"a": "ales-bialiatski", "b": "ales-bialiatski-2", "c": "maryia-kalesnikava", "d": "recipient", "e": "kept-slug"}
	for id, slug := range want {
		r, err := store.Recipient(ctx, id)
		if err != nil || r.Slug != slug {
			t.Errorf("recipient %s: slug %q, %v; want %q", id, r.Slug, err, slug)
		}
	}
	if _, err := old.InsertOne(ctx, bson.M{"_id": "f", "name": "Copy", "slug": "kept-slug"}); err == nil {
		t.Error("a second recipient with a taken slug was stored")
	}
}

// Saving a recipient makes a free slug from the name, refuses one that
// another has or had, and keeps the old one when it changes.
func TestSaveRecipientSlug(t *testing.T) {
	ctx := context.Background()
	svc := newService(t, time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	a := &campaign.Recipient{Name: "Ales Bialiatski", Country: "BY"}
	b := &campaign.Recipient{Name: "Ales  Bialiatski", Country: "BY"}
	for _, r := range []*campaign.Recipient{a, b} {
		if _, err := svc.SaveRecipient(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if a.Slug != "ales-bialiatski" || b.Slug != "ales-bialiatski-2" {
		t.Fatalf("slugs %q and %q", a.Slug, b.Slug)
	}
	a.Slug = "ales"
	if _, err := svc.SaveRecipient(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ slug, problem string }{
		{"ales", "taken"},            // a's slug
		{"ales-bialiatski", "taken"}, // a's old slug
		{"Not a slug", "slug"},
	} {
		b.Slug = tc.slug
		_, err := svc.SaveRecipient(ctx, b)
		var verr *campaign.ValidationError
		if !errors.As(err, &verr) || verr.Fields[0].Field != "slug" || string(verr.Fields[0].Problem) != tc.problem {
			t.Errorf("slug %q: %v, want problem %s", tc.slug, err, tc.problem)
		}
	}
	got, ok := svc.Campaigns().PublicRecipient("ales")
	if ok != nil || got.ID != a.ID {
		t.Errorf("PublicRecipient(ales) = %v, %v", got, ok)
	}
	var moved *campaign.RecipientMovedError
	if _, err := svc.Campaigns().PublicRecipient("ales-bialiatski"); !errors.As(err, &moved) || moved.To != "ales" {
		t.Errorf("old slug: %v", err)
	}
}
