package reseal_test

import (
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	solidarity "github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/claim"
	ikeys "github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/reseal"
)

// nodeResealer is the resealer of another app node over db, on clk.
func nodeResealer(t *testing.T, db *mongo.Database, keys *seal.Keyring, clk *testclock.Clock) *solidarity.App {
	t.Helper()
	a, err := solidarity.New(dbs.Wrap(db), ikeys.Keys{Data: keys, Email: []byte("0123456789abcdef0123456789abcdef")},
		solidarity.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// storedArchives counts the bundle archives in GridFS.
func storedArchives(t *testing.T, db *mongo.Database) int64 {
	t.Helper()
	n, err := db.Collection("bundles.files").CountDocuments(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// After a key rotation, two nodes that look for the background pass at
// once do it once: one node reseals, the other passes; every value ends
// under the new key and the bundle's archive is stored again once. A
// later look in the same period does nothing; the next period's pass
// finds nothing left. A pass whose node crashed holding the lease is not
// run beside it, and is done by a later period's look once the lease ran
// out.
func TestTwoNodesResealOnce(t *testing.T) {
	ctx := t.Context()
	db := dbs.Database(t)
	old := newApp(t, db, keyring(t, "k1", "k1"))
	writeOldData(t, old)
	if _, err := old.resealer.Migrate(ctx, true); err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(now)
	rotated := keyring(t, "k2", "k1", "k2")
	nodes := []*solidarity.App{nodeResealer(t, db, rotated, clk), nodeResealer(t, db, rotated, clk)}
	before := storedArchives(t, db)

	// A node crashed during a pass: its lease holds the pass.
	leases := claim.NewLeases(db.Collection("reseal_claims"))
	if h, err := leases.Take(ctx, "pass", clk.Now(), reseal.PassLease); err != nil || h == nil {
		t.Fatalf("take the pass as the crashed node: %v, %v", h, err)
	}
	if did, _, err := nodes[0].Resealer.RunOnce(ctx); err != nil || did {
		t.Fatalf("a pass ran beside the crashed node's live lease: %v, %v", did, err)
	}
	clk.Add(reseal.PassLease + reseal.Interval) // the lease ran out; a new period

	var mu sync.Mutex
	var did []int
	var wrote int64
	var wg sync.WaitGroup
	for i, a := range nodes {
		wg.Go(func() {
			ok, n, err := a.Resealer.RunOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				did = append(did, i)
				wrote += n
			}
		})
	}
	wg.Wait()
	if len(did) != 1 || wrote == 0 {
		t.Fatalf("nodes %v did the pass, writing %d documents; want one node, and something written", did, wrote)
	}
	usage, err := nodes[0].Resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if usage["k1"] != 0 || usage["k2"] == 0 {
		t.Errorf("usage after the pass: %v, want everything under k2", usage)
	}
	if got := storedArchives(t, db); got != before {
		t.Errorf("GridFS holds %d archives after the pass, want %d: the bundle stored again once", got, before)
	}
	for _, a := range nodes {
		if ok, _, err := a.Resealer.RunOnce(ctx); err != nil || ok {
			t.Errorf("a later look in the same period passed again: %v, %v", ok, err)
		}
	}
	clk.Add(reseal.Interval)
	if ok, n, err := nodes[1].Resealer.RunOnce(ctx); err != nil || !ok || n != 0 {
		t.Errorf("the next period's pass: %v, %d, %v; want a pass with nothing to write", ok, n, err)
	}
}
