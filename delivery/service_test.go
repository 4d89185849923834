package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// Two app nodes share the database: an event one records shows on the
// other's pages after its next refresh, and only a public one.
func TestPublicEventsReachEveryNode(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	now := func() time.Time { return time.Date(2027, 9, 1, 12, 0, 0, 0, time.UTC) }
	store := delivery.NewStore(db)
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatalf("EnsureIndexes again: %v", err)
	}
	a := delivery.NewService(store, nil, now)
	b := delivery.NewService(delivery.NewStore(db), nil, now)
	for _, s := range []*delivery.Service{a, b} {
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c := &campaign.Campaign{ID: "c1", Slug: "c1", RecipientID: "r1", TimeZone: "Europe/Minsk"}
	_, genB := b.Timeline("c1")
	for _, e := range []*delivery.Event{
		{Kind: delivery.KindDelivered, Day: "2027-08-05", Public: true, PublicNote: "arrived", InternalNote: "secret"},
		{Kind: delivery.KindReturned, Day: "2027-08-01", Reason: "internal only"},
	} {
		if created, err := a.Save(ctx, c, e, "org@example.org"); err != nil || !created {
			t.Fatalf("save: %v, %v", created, err)
		}
	}
	if got, _ := a.Timeline("c1"); len(got) != 1 || got[0].Note != "arrived" || got[0].Kind != delivery.KindDelivered {
		t.Fatalf("node a's timeline: %+v", got)
	}
	if got, gen := b.Timeline("c1"); len(got) != 0 || gen != genB {
		t.Fatalf("node b knew before refreshing: %+v", got)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	got, gen := b.Timeline("c1")
	if len(got) != 1 || got[0].Day != "2027-08-05" || gen == genB {
		t.Fatalf("node b after refresh: %+v (gen %d, was %d)", got, gen, genB)
	}
	// Nothing changed: a refresh keeps memory and its generation.
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, again := b.Timeline("c1"); again != gen {
		t.Error("a refresh without changes moved the generation")
	}
	if _, err := a.Remove(ctx, "c1", got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Timeline("c1"); len(got) != 0 {
		t.Errorf("a removed event stays on node b: %+v", got)
	}
	if _, err := a.Remove(ctx, "c1", "nope"); err == nil {
		t.Error("removing an unknown event succeeded")
	}
}
