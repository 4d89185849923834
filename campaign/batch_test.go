package campaign_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var testEmailKey = []byte("0123456789abcdef0123456789abcdef")

// serviceOn returns a service over a fresh store on db.
func serviceOn(t testing.TB, db *mongo.Database, greetings campaign.GreetingRecorder, now time.Time) *campaign.Service {
	t.Helper()
	ctx := context.Background()
	store := campaign.NewStore(db, testdb.Keys(t))
	for _, f := range []func(context.Context) error{store.EnsureIndexes, store.EnsureDecoys, store.EnsureJournal, store.EnsureJournal} {
		if err := f(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return campaign.NewService(store, greetings, testEmailKey, func() time.Time { return now })
}

// Concurrent signatures are stored in fewer inserts than there are
// signatures; a repeat among them, of an address signed before or of
// another in the same batch, fails only itself; every new one is counted
// and stored once.
func TestConcurrentSignaturesAreBatched(t *testing.T) {
	inserts := new(atomic.Int32)
	db := countingDatabase(t, "insert", "signatures", inserts)
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := serviceOn(t, db, nopGreetings{}, now)
	c := testCampaign("batch", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	ctx := context.Background()
	in := func(i int) campaign.SignInput {
		return campaign.SignInput{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.org", i), Country: "SE", Consent: true}
	}
	if err := svc.Sign(ctx, c, in(0)); err != nil { // signed before
		t.Fatal(err)
	}
	inserts.Store(0)

	// 120 calls at once: addresses 0..99, of which 0 signed before and
	// 1..20 come twice.
	const unique = 100
	var calls []int
	for i := range unique {
		calls = append(calls, i)
	}
	for i := 1; i <= 20; i++ {
		calls = append(calls, i)
	}
	errs := make([]error, len(calls))
	var start, wg sync.WaitGroup
	start.Add(1)
	for k, i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			errs[k] = svc.Sign(ctx, c, in(i))
		}()
	}
	start.Done()
	wg.Wait()

	stored := map[int]int{}
	for k, err := range errs {
		switch {
		case err == nil:
			stored[calls[k]]++
		case !errors.Is(err, campaign.ErrDuplicate):
			t.Errorf("signature %d: %v", calls[k], err)
		}
	}
	for i := range unique {
		want := 1
		if i == 0 {
			want = 0
		}
		if stored[i] != want {
			t.Errorf("address %d stored %d times, want %d", i, stored[i], want)
		}
	}
	if got := svc.Count(c.ID); got != unique {
		t.Errorf("count %d, want %d", got, unique)
	}
	n, err := db.Collection("signatures").CountDocuments(ctx, bson.M{"campaign_id": c.ID})
	if err != nil || n != unique {
		t.Errorf("%d signatures stored (%v), want %d", n, err, unique)
	}
	t.Logf("%d inserts for %d signatures", inserts.Load(), len(calls))
	if got := inserts.Load(); got >= int32(len(calls)) || got < 1 {
		t.Errorf("%d inserts for %d signatures, want fewer", got, len(calls))
	}
}

// failingGreetings fails to record any greeting, as a crash right after
// the signature's insert would leave things.
type failingGreetings struct{ nopGreetings }

func (failingGreetings) RecordGreeting(context.Context, string, string, string, time.Time) error {
	return errors.New("database gone")
}

// A greeting is stored sealed in its signature; when it could not be
// copied to the greetings, the repair copies it from the signature, for
// the signatures the journal names only, and never the words of a
// repeat.
func TestRepairGreetingsFromTheJournal(t *testing.T) {
	db := dbs.Database(t)
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	c := testCampaign("repair", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	crashing := serviceOn(t, db, failingGreetings{}, now)

	greeted := campaign.SignInput{Name: "A", Email: "a@example.org", Country: "SE", Consent: true, Greeting: "Stay strong, words of A"}
	if err := crashing.Sign(ctx, c, greeted); err == nil {
		t.Fatal("a greeting that failed to record was not reported")
	}
	plain := campaign.SignInput{Name: "B", Email: "b@example.org", Country: "SE", Consent: true}
	if err := crashing.Sign(ctx, c, plain); err != nil {
		t.Fatal(err)
	}
	plain.Greeting = "Words added under B's name"
	if err := crashing.Sign(ctx, c, plain); !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("repeat: %v", err)
	}

	idA := campaign.SignatureID(testEmailKey, c.ID, "a@example.org")
	idB := campaign.SignatureID(testEmailKey, c.ID, "b@example.org")
	raw, err := db.Collection("signatures").FindOne(ctx, bson.M{"_id": idA}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := raw.LookupErr("greeting"); err != nil || v.Type != bson.TypeBinary || bytes.Contains(raw, []byte("Stay strong")) {
		t.Errorf("the signature's greeting is stored as %v (%v), want sealed", v, err)
	}
	sig, err := crashing.Store().Signature(ctx, idA)
	if err != nil || sig.Greeting != greeted.Greeting || !sig.HasGreeting {
		t.Fatalf("signature read back: %+v, %v", sig, err)
	}

	// The next start repairs what the journal names.
	mem := &memGreetings{m: map[string]string{}}
	restarted := serviceOn(t, db, mem, now)
	if err := restarted.RepairGreetings(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := mem.m[idA]; got != greeted.Greeting {
		t.Errorf("repaired greeting %q, want %q", got, greeted.Greeting)
	}
	if mem.has(idB) {
		t.Error("the repair stored a repeat's words under a signature that had no greeting")
	}
	if n, err := db.Collection("signing_journal").CountDocuments(ctx, bson.M{}); err != nil || n != 0 {
		t.Errorf("%d journal entries left after the repair (%v)", n, err)
	}

	// An entry younger than the cut-off waits.
	young := serviceOn(t, db, failingGreetings{}, now)
	other := campaign.SignInput{Name: "C", Email: "c@example.org", Country: "SE", Consent: true, Greeting: "Words of C"}
	if err := young.Sign(ctx, c, other); err == nil {
		t.Fatal("the greeting's failure was not reported")
	}
	if err := restarted.RepairGreetings(ctx, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if mem.has(campaign.SignatureID(testEmailKey, c.ID, "c@example.org")) {
		t.Error("an entry younger than the cut-off was repaired")
	}
}

// Calls whose requests are cancelled while their batch is written still
// learn its outcome, and what the batch stored is stored: a leader's
// cancellation does not cut the others' insert short, and nothing waits
// for ever. A call cancelled before a batch took its signature leaves the
// queue with the context's error, and stores nothing.
func TestCancelledCallsDrainTheirBatch(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	db := dbs.Database(t)
	svc := serviceOn(t, db, nopGreetings{}, now)
	c := testCampaign("drain", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	ctx, cancel := context.WithCancel(context.Background())
	const calls = 60
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = svc.Sign(ctx, c, campaign.SignInput{Name: "D", Email: fmt.Sprintf("d%d@example.org", i), Country: "SE", Consent: true})
		}()
	}
	cancel()
	wg.Wait()
	ok := int64(0)
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, context.Canceled):
			t.Errorf("call %d: %v, want success or context.Canceled", i, err)
		}
	}
	n, err := db.Collection("signatures").CountDocuments(context.Background(), bson.M{"campaign_id": c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if ok == 0 || n != ok || svc.Count(c.ID) != n {
		t.Errorf("%d of %d calls succeeded, %d signatures stored, count %d", ok, calls, n, svc.Count(c.ID))
	}
}

// Each batch's count is in the counter document before its calls return,
// in a fixed number of writes per campaign and batch, while another
// goroutine reads the counters back as Run does: a node started
// afterwards, which reads only the counter documents, counts every
// signature, and the memory neither misses nor doubles one. A lone repeat
// makes the counter writes a new signature makes, so that it costs the
// same.
func TestBatchCountIsStoredBeforeTheAnswer(t *testing.T) {
	counterWrites := new(atomic.Int32)
	db := countingDatabase(t, "update", "counters", counterWrites)
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := serviceOn(t, db, nopGreetings{}, now)
	c := testCampaign("counted", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	ctx := context.Background()
	in := func(i int) campaign.SignInput {
		return campaign.SignInput{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("c%d@example.org", i), Country: "PL", Consent: true}
	}

	const signers = 80
	refreshed := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(refreshed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := svc.Refresh(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := svc.Sign(ctx, c, in(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-refreshed
	t.Logf("%d counter writes for %d signatures", counterWrites.Load(), signers)
	if got := counterWrites.Load(); got < 1 || got >= signers {
		t.Errorf("%d counter writes for %d signatures, want a few a batch", got, signers)
	}

	// A repeat, then one more with nobody reading the counters back after
	// it. The repeat is counted in advance, and taken off at the next
	// Refresh.
	counterWrites.Store(0)
	if err := svc.Sign(ctx, c, in(0)); !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("repeat: %v, want ErrDuplicate", err)
	}
	forRepeat := counterWrites.Swap(0)
	if got := svc.Count(c.ID); got != signers {
		t.Errorf("count in memory after a repeat %d, want %d", got, signers)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	counterWrites.Store(0)
	if err := svc.Sign(ctx, c, in(signers)); err != nil {
		t.Fatal(err)
	}
	if forNew := counterWrites.Load(); forNew < 1 || forRepeat != forNew {
		t.Errorf("a lone new signature wrote %d counters and a lone repeat %d, want the same", forNew, forRepeat)
	}
	const want = signers + 1

	if got := svc.Count(c.ID); got != want {
		t.Errorf("count in memory %d, want %d", got, want)
	}
	fresh := campaign.NewService(svc.Store(), nopGreetings{}, testEmailKey, func() time.Time { return now })
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got, countries := fresh.Count(c.ID), fresh.Countries(c.ID); got != want || countries["PL"] != want {
		t.Errorf("count read from the counter documents %d %v, want %d from PL", got, countries, want)
	}
}

// A batch counts its signatures in advance and records itself in flight;
// a crash before it settles leaves the record. Start-up counts from it the
// signatures the batch stored, not those it failed to store nor an earlier
// signature with the same ID, and drops it, so that it counts once.
func TestCrashedBatchIsCountedAtStartUp(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := serviceOn(t, dbs.Database(t), nopGreetings{}, now)
	c := testCampaign("crashed", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	ctx := context.Background()
	if err := svc.Sign(ctx, c, campaign.SignInput{Name: "Early", Email: "early@example.org", Country: "SE", Consent: true}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Second)
	sig := func(id, country string) campaign.Signature {
		return campaign.Signature{ID: id, CampaignID: c.ID, SignedAt: later, Person: campaign.Person{Name: "P", Country: country}}
	}
	stored := sig("stored", "PL")
	lost := sig("lost", "PL")                                                          // the insert failed
	repeat := sig(campaign.SignatureID(testEmailKey, c.ID, "early@example.org"), "DE") // signed before
	store := svc.Store()
	if err := store.StartCountForTest(ctx, c.ID, "b1", later, []campaign.Signature{stored, lost, repeat, stored}); err != nil {
		t.Fatal(err)
	}
	if n, err := store.InsertSignatures(ctx, []campaign.Signature{stored}); err != nil || n != 1 {
		t.Fatalf("InsertSignatures = %d, %v", n, err)
	}

	settled := map[string]int64{"SE": 1, "PL": 1}
	tests := []struct {
		name       string
		onlyClient bool
		want       map[string]int64
	}{
		// Another node may still be writing a batch so new: it stays
		// counted in advance.
		{"with other clients", false, map[string]int64{"SE": 1, "PL": 3, "DE": 1}},
		{"as the only client", true, settled},
		{"again", true, settled},
	}
	for _, tt := range tests {
		if tt.onlyClient {
			store.SetCounterLock(&sync.Mutex{})
		}
		fresh := campaign.NewService(store, nopGreetings{}, testEmailKey, func() time.Time { return later })
		if err := fresh.LoadCounts(ctx); err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		for _, n := range tt.want {
			want += n
		}
		if got, countries := fresh.Count(c.ID), fresh.Countries(c.ID); got != want || !maps.Equal(countries, tt.want) {
			t.Errorf("%s: count at start-up %d %v, want %d %v", tt.name, got, countries, want, tt.want)
		}
	}
}

// countingDatabase returns a fresh test database through a client of its
// own that adds one to n for every command named command on the
// collection coll.
func countingDatabase(t *testing.T, command, coll string, n *atomic.Int32) *mongo.Database {
	t.Helper()
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if c, _ := e.Command.Lookup(command).StringValueOK(); c == coll {
			n.Add(1)
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database(dbs.Database(t).Name())
}
