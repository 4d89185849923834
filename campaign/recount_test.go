package campaign_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// sigsAt are n signatures of campaign c1 signed at, numbered from first,
// from Poland and Sweden in turn.
func sigsAt(first, n int, at time.Time) []campaign.Signature {
	var sigs []campaign.Signature
	for i := first; i < first+n; i++ {
		sigs = append(sigs, campaign.Signature{ID: fmt.Sprintf("r%04d", i), SignedAt: at,
			Person: campaign.Person{Name: "P", Country: []string{"PL", "SE"}[i%2]}})
	}
	return sigs
}

// withCampaign sets the campaign of sigs.
func withCampaign(sigs []campaign.Signature, id string) []campaign.Signature {
	for i := range sigs {
		sigs[i].CampaignID = id
	}
	return sigs
}

// The recount counts what a dead node never wrote, leaves what other
// nodes add after its cut-off to them, and drops what arrives late for a
// minute it sealed, counting it at the next recount instead.
func TestRecountCorrectsDrift(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 1, 12, 0, 30, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	other := func() *campaign.Service { // another node on the same database
		return campaign.NewService(svc.Store(), nopGreetings{}, nil, func() time.Time { return now })
	}
	add := func(s *campaign.Service, sigs []campaign.Signature) {
		t.Helper()
		if n, err := s.AddSignatures(ctx, "c1", sigs); err != nil || n != len(sigs) {
			t.Fatalf("AddSignatures = %d, %v", n, err)
		}
	}
	check := func(when string, s *campaign.Service, total int64, countries map[string]int64) {
		t.Helper()
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.Count("c1"); got != total || !maps.Equal(s.Countries("c1"), countries) {
			t.Errorf("%s: count %d %v, want %d %v", when, got, s.Countries("c1"), total, countries)
		}
	}
	start := now
	add(svc, sigsAt(0, 5, now))
	check("after signing", svc, 5, map[string]int64{"PL": 3, "SE": 2})
	// Another node stores three signatures and dies before it counts them
	// (its counter write failed, say).
	if n, err := svc.Store().InsertSignatures(ctx, withCampaign(sigsAt(5, 3, now), "c1")); err != nil || n != 3 {
		t.Fatalf("InsertSignatures = %d, %v", n, err)
	}
	check("after a node died", svc, 5, map[string]int64{"PL": 3, "SE": 2})

	now = now.Add(campaign.RecountMargin + time.Minute)
	add(svc, sigsAt(8, 4, now)) // after the cut-off, not written yet
	if n, err := svc.Recount(ctx); err != nil || n != 1 {
		t.Fatalf("Recount = %d, %v; want 1 campaign corrected", n, err)
	}
	if n, err := other().Recount(ctx); err != nil || n != 0 {
		t.Errorf("second recount at the same cut-off = %d, %v; want nothing to do", n, err)
	}
	check("after the recount", svc, 12, map[string]int64{"PL": 6, "SE": 6})

	// A node writes late what it counted before the cut-off: the recount
	// sealed that minute, so it is dropped, and the next recount counts it.
	late := other()
	add(late, sigsAt(12, 1, start))
	check("after a late count", late, 12, map[string]int64{"PL": 6, "SE": 6})
	now = now.Add(time.Minute)
	if n, err := svc.Recount(ctx); err != nil || n != 1 {
		t.Fatalf("next Recount = %d, %v; want 1 campaign corrected", n, err)
	}
	check("after the next recount", svc, 13, map[string]int64{"PL": 7, "SE": 6})
	// An erasure after the recount of a signature from before its cut-off
	// counts at once, and stays counted.
	if err := svc.EraseSignature(ctx, "c1", "r0000"); err != nil {
		t.Fatal(err)
	}
	check("after an erasure", svc, 12, map[string]int64{"PL": 6, "SE": 6})
	fresh := other()
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Count("c1"); got != 12 {
		t.Errorf("count read at start-up = %d, want 12", got)
	}
}

// A counter write that hangs on a database that stopped answering holds
// the counter lock for counterHold at most, not for as long as its caller
// waits: the test servers of a package share one lock (as the stores of
// one process share the embedded database's), and a node's final write at
// shutdown once timed out behind another's hung Refresh.
func TestHungCounterWriteLetsTheLockGo(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the counter lock's hold limit")
	}
	ctx := context.Background()
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	direct := dbs.Database(t)
	proxy := testdb.NewProxy(t, dbs.URI)
	client, err := mongo.Connect(options.Client().ApplyURI(proxy.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	lock := &sync.Mutex{}
	hung := serviceOn(t, client.Database(direct.Name()), nopGreetings{}, now)
	hung.Store().SetCounterLock(lock)
	healthy := serviceOn(t, direct, nopGreetings{}, now)
	healthy.Store().SetCounterLock(lock)
	if err := hung.Refresh(ctx); err != nil { // connects while it can
		t.Fatal(err)
	}

	// Slow enough to outlast the other node's 10 s.
	proxy.Slow(20 * time.Second)
	refreshed := make(chan error, 1)
	go func() { refreshed <- hung.Store().ReadCountersForTest(ctx) }()      // no deadline of its own
	for start := time.Now(); lock.TryLock(); time.Sleep(time.Millisecond) { // until the hung read holds the lock
		lock.Unlock()
		if time.Since(start) > 10*time.Second {
			t.Fatal("the hung read never took the counter lock")
		}
	}
	// The other node's write, with the 10 s its final write gets.
	last, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := healthy.AddSignatures(last, "c1", sigsAt(0, 2, now)); err != nil || n != 2 {
		t.Fatalf("AddSignatures = %d, %v", n, err)
	}
	fresh := campaign.NewService(healthy.Store(), nopGreetings{}, nil, func() time.Time { return now })
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Count("c1"); got != 2 {
		t.Errorf("count written beside a hung write: %d, want 2", got)
	}
	proxy.Resume()
	if err := <-refreshed; err == nil {
		t.Error("the hung read succeeded")
	}
}
