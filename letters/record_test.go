package letters_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Greetings recorded at once are written in batches, and each call gets
// its own result: of 50 at once, two for one signature store the first
// and both succeed, two signatures with one text store both and flag one
// a duplicate, rehearsals store nothing real, every new greeting is in
// the moderation queue, and the whole costs fewer writes than greetings.
func TestConcurrentGreetingsAreBatched(t *testing.T) {
	var writes atomic.Int32
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "insert" || e.CommandName == "update" || e.CommandName == "delete" {
			writes.Add(1)
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	f := newFixtureOn(t, client.Database(dbs.Database(t).Name()))
	ctx := context.Background()
	if err := f.svc.RecordGreeting(ctx, "c", "sig-before", "claimed before", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	const n = 50
	calls := make([]func() error, n)
	for i := range 40 {
		id, text := fmt.Sprintf("sig-%02d", i), fmt.Sprintf("greeting %c%c", 'a'+i/26, 'a'+i%26)
		calls[i] = func() error { return f.svc.RecordGreeting(ctx, "c", id, text, f.clock.Now()) }
	}
	calls[40] = func() error { return f.svc.RecordGreeting(ctx, "c", "sig-twice", "sent twice", f.clock.Now()) }
	calls[41] = func() error { return f.svc.RecordGreeting(ctx, "c", "sig-twice", "sent twice", f.clock.Now()) }
	calls[42] = func() error { return f.svc.RecordGreeting(ctx, "c", "sig-same-1", "same words", f.clock.Now()) }
	calls[43] = func() error { return f.svc.RecordGreeting(ctx, "c", "sig-same-2", "same words", f.clock.Now()) }
	for i := 44; i < n; i++ {
		text := "a repeat's words"
		if i%2 == 0 {
			text = "claimed before"
		}
		calls[i] = func() error { return f.svc.RehearseGreeting(ctx, "c", text) }
	}
	writes.Store(0)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = calls[i]()
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got := writes.Load(); got >= n/2 {
		t.Errorf("%d writes for %d greetings, want fewer than %d", got, n, n/2)
	}
	var stored []string
	for i := range 40 {
		stored = append(stored, fmt.Sprintf("sig-%02d", i))
	}
	stored = append(stored, "sig-twice", "sig-same-1", "sig-same-2")
	duplicates := 0
	for _, id := range stored {
		g := f.greeting(t, id)
		if !g.Checked || g.Status != letters.StatusPending {
			t.Errorf("greeting %s: checked %v, status %s", id, g.Checked, g.Status)
		}
		if slices.Contains(g.Flags, letters.FlagDuplicate) {
			duplicates++
			if id != "sig-same-1" && id != "sig-same-2" {
				t.Errorf("greeting %s flagged a duplicate", id)
			}
		}
	}
	if duplicates != 1 {
		t.Errorf("of two greetings with the same words, %d are flagged duplicates, want 1", duplicates)
	}
	counts, err := f.svc.PendingCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counts["c"], int64(len(stored)+1); got != want {
		t.Errorf("%d greetings queued, want %d", got, want)
	}
	all, err := f.db.Collection("greetings").CountDocuments(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(stored) + 1); all != want {
		t.Errorf("%d greetings stored, want %d: a rehearsal stored one", all, want)
	}
	// Each rehearsal wrote its decoy, beside the one that stays.
	decoys, err := f.db.Collection(campaign.DecoyPrefix+"greetings").CountDocuments(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(n - 44 + 1); decoys != want {
		t.Errorf("%d decoy greetings, want %d", decoys, want)
	}
}
