package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// node is one application node on a shared database, with its background
// loops running until stop.
type node struct {
	*app.App
	stop func()
}

// startNode builds, prepares and runs a node on db with the clock clk.
func startNode(t *testing.T, db *mongo.Database, clk *testclock.Clock, run bool) *node {
	t.Helper()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(db), k, app.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := &node{App: a, stop: func() {}}
	if !run {
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node stopped: %v", err)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// addCampaign stores an open campaign with its recipient.
func addCampaign(t *testing.T, a *app.App, id string) *campaign.Campaign {
	t.Helper()
	ctx := context.Background()
	r := campaign.Recipient{ID: "r-" + id, Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
	if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	c := &campaign.Campaign{
		ID: id, Slug: id, Title: "Send a message to Ales Bialiatski", Summary: "A message from outside.",
		Letter: "Dear Ales,\n\nYou are not forgotten.", OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 1000,
		OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC), TimeZone: "UTC",
	}
	if err := a.Campaigns.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// signer signs on whichever node it is given, in small batches, until
// stopped, and keeps what it stored by country.
type signer struct {
	node    atomic.Pointer[node]
	next    *atomic.Int64 // signature numbers, shared by all signers
	batches atomic.Int64
	mu      sync.Mutex
	stored  map[string]int64
	// uncounted stores the signatures without counting them, as a node
	// that dies between its insert and its counter write leaves them.
	uncounted bool
}

func (s *signer) sign(t *testing.T, clk *testclock.Clock, campaignID string, n int) {
	t.Helper()
	var sigs []campaign.Signature
	for range n {
		i := s.next.Add(1)
		country := []string{"PL", "SE", "LT"}[i%3]
		sigs = append(sigs, campaign.Signature{ID: fmt.Sprintf("sig-%06d", i), SignedAt: clk.Now(),
			Person: campaign.Person{Name: "Supporter", Country: country}})
	}
	var got int
	var err error
	if s.uncounted {
		for i := range sigs {
			sigs[i].CampaignID = campaignID
		}
		got, err = s.node.Load().Campaigns.InsertSignatures(context.Background(), sigs)
	} else {
		got, err = s.node.Load().Signing.AddSignatures(context.Background(), campaignID, sigs)
	}
	if err != nil || got != n {
		t.Errorf("AddSignatures = %d, %v; want %d", got, err, n)
		return
	}
	s.mu.Lock()
	for _, sig := range sigs {
		s.stored[sig.Person.Country]++
	}
	s.mu.Unlock()
	s.batches.Add(1)
}

// storedCounts counts the campaign's signatures in the database, by country.
func storedCounts(t *testing.T, db *mongo.Database, campaignID string) (int64, map[string]int64) {
	t.Helper()
	cur, err := db.Collection("signatures").Find(context.Background(), bson.D{{Key: "campaign_id", Value: campaignID}})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Person struct {
			Country string `bson:"country"`
		} `bson:"person"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	by := map[string]int64{}
	for _, d := range docs {
		by[d.Person.Country]++
	}
	return int64(len(docs)), by
}

// Two nodes sign on one database while one of them restarts and a third
// dies with counts it never wrote; recounts run on both nodes while they
// sign. Once signing stops, both nodes' counts are the stored signatures,
// by country too, within two refreshes: nothing lost, nothing doubled.
func TestCountsConvergeWhileNodesSignAndRestart(t *testing.T) {
	db := dbs.Database(t)
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	a := startNode(t, db, clk, true)
	b := startNode(t, db, clk, true)
	c := addCampaign(t, a.App, "converge")

	var next atomic.Int64
	signers := []*signer{{next: &next, stored: map[string]int64{}}, {next: &next, stored: map[string]int64{}}}
	signers[0].node.Store(a)
	signers[1].node.Store(b)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range signers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.sign(t, clk, c.ID, 3)
			}
		})
	}
	waitBatches := func(n int64) {
		t.Helper()
		from := []int64{signers[0].batches.Load(), signers[1].batches.Load()}
		for deadline := time.Now().Add(30 * time.Second); signers[0].batches.Load() < from[0]+n || signers[1].batches.Load() < from[1]+n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the signers made no progress for 30 s")
			}
		}
	}
	waitBatches(5)

	// A node dies with counts it never wrote: it stored the signatures,
	// and died before its counter write.
	dead := startNode(t, db, clk, false)
	lost := &signer{next: &next, stored: map[string]int64{}, uncounted: true}
	lost.node.Store(dead)
	lost.sign(t, clk, c.ID, 7)

	// b restarts while a signs: it flushes, and the new b starts from the
	// counter documents.
	b.stop()
	b2 := startNode(t, db, clk, true)
	signers[1].node.Store(b2)
	waitBatches(5)

	// Later: the signatures so far are past the recount's margin. Once
	// both signers signed at the new time, both nodes recount at once
	// while they go on signing.
	clk.Add(campaign.RecountMargin + time.Minute)
	waitBatches(2)
	// A node's own first recount (at its start) may hold the counter
	// still; then both find it taken and the pair tries again.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var rw sync.WaitGroup
		corrected := make([]int, 2)
		for i, n := range []*node{a, b2} {
			rw.Go(func() {
				var err error
				if corrected[i], err = n.Signing.Recount(context.Background()); err != nil {
					t.Errorf("recount on node %d: %v", i, err)
				}
			})
		}
		rw.Wait()
		if sum := corrected[0] + corrected[1]; sum > 1 {
			t.Fatalf("both recounts corrected the counter: %v", corrected)
		} else if sum == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no recount corrected the counter within 30 s")
		}
	}
	waitBatches(5)
	close(stop)
	wg.Wait()
	stopped := time.Now()

	total, byCountry := storedCounts(t, db, c.ID)
	var signed int64
	for _, s := range append(signers, lost) {
		for _, n := range s.stored {
			signed += n
		}
	}
	if total != signed {
		t.Fatalf("%d signatures stored, %d signed", total, signed)
	}
	for deadline := stopped.Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ok := true
		for _, n := range []*node{a, b2} {
			got := n.Signing.Countries(c.ID)
			ok = ok && n.Signing.Count(c.ID) == total && len(got) == len(byCountry)
			for k, v := range byCountry {
				ok = ok && got[k] == v
			}
		}
		if ok {
			t.Logf("%d signatures (%d lost by the dead node), counts converged %v after signing stopped", total, 7, time.Since(stopped).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			var doc bson.M
			_ = db.Collection("counters").FindOne(context.Background(), bson.D{}).Decode(&doc)
			t.Logf("counter: %v", doc)
			t.Fatalf("2 s after signing stopped: counts %d and %d (%v, %v), stored %d (%v)",
				a.Signing.Count(c.ID), b2.Signing.Count(c.ID), a.Signing.Countries(c.ID), b2.Signing.Countries(c.ID), total, byCountry)
		}
	}
}

// A bundle queued while two nodes run their workers is built once: one
// claim, one archive, one "built" entry in the audit log.
func TestTwoNodesBuildABundleOnce(t *testing.T) {
	db := dbs.Database(t)
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	a := startNode(t, db, clk, true)
	startNode(t, db, clk, true)
	c := addCampaign(t, a.App, "bundle-once")
	if _, err := a.Signing.AddSignatures(context.Background(), c.ID, []campaign.Signature{
		{ID: "s1", SignedAt: clk.Now(), Person: campaign.Person{Name: "Anna Nowak", Country: "PL"}},
	}); err != nil {
		t.Fatal(err)
	}
	job, err := a.Bundles.Enqueue(context.Background(), c, bundle.Options{}, "admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		j, err := a.Bundles.Job(context.Background(), job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == bundle.StatusDone {
			if j.Attempt != 1 {
				t.Errorf("the job was claimed %d times, want once", j.Attempt)
			}
			break
		}
		if j.Status == bundle.StatusFailed || time.Now().After(deadline) {
			t.Fatalf("job is %s (%s)", j.Status, j.Error)
		}
	}
	// Both workers poll on; a second build would show within a poll.
	time.Sleep(2 * time.Second)
	entries, _, err := a.Audit.Page(context.Background(), audit.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, e := range entries {
		if e.Action == audit.BundleBuilt {
			built++
		}
	}
	if built != 1 {
		t.Errorf("the audit log records %d builds, want 1", built)
	}
	if n, err := db.Collection("bundles.files").CountDocuments(context.Background(), bson.D{}); err != nil || n != 1 {
		t.Errorf("GridFS holds %d archives (%v), want 1", n, err)
	}
}
