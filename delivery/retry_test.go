package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// An event is stored even when the other nodes cannot be told at once:
// Save succeeds, this node shows it, Run tells the others later, and the
// same form sent again (it carries the event's ID) stores no second one.
func TestEventStoredWhenTheVersionCannotBeBumped(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	now := func() time.Time { return time.Date(2027, 9, 1, 12, 0, 0, 0, time.UTC) }
	store := delivery.NewStore(db)
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	a := delivery.NewService(store, nil, now)
	b := delivery.NewService(delivery.NewStore(db), nil, now)
	for _, s := range []*delivery.Service{a, b} {
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A version that $inc cannot increment makes every bump fail.
	versions := db.Collection("delivery_versions")
	if _, err := versions.InsertOne(ctx, bson.M{"_id": "events", "v": "broken"}); err != nil {
		t.Fatal(err)
	}
	c := &campaign.Campaign{ID: "c1", Slug: "c1", RecipientID: "r1", TimeZone: "Europe/Minsk"}
	id := delivery.NewID()
	for i := range 2 {
		e := &delivery.Event{ID: id, Kind: delivery.KindDelivered, Day: "2027-08-05", Public: true}
		created, err := a.Add(ctx, c, e, "org@example.org")
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if created != (i == 0) {
			t.Errorf("send %d: created %v", i, created)
		}
	}
	events, err := a.Events(ctx, "c1")
	if err != nil || len(events) != 1 || events[0].ID != id {
		t.Fatalf("events after the form was sent twice: %+v, %v", events, err)
	}
	if got, _ := a.Timeline("c1"); len(got) != 1 {
		t.Errorf("the node that stored it shows %d events", len(got))
	}
	if _, err := versions.UpdateOne(ctx, bson.M{"_id": "events"}, bson.M{"$set": bson.M{"v": int64(0)}}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Run(runCtx, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := b.Timeline("c1"); len(got) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other node never learned of the event")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
