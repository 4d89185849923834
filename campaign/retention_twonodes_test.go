package campaign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// retentionNodes is a closed campaign with signatures whose network hash
// retention forgets, and two app nodes' retention jobs over one database,
// on one test clock.
type retentionNodes struct {
	clock *testclock.Clock
	c     *campaign.Campaign
	svc   []*campaign.Service
	jobs  []*campaign.Retention
	// due is when the campaign's pass is due.
	due time.Time
}

const retentionSigned = 6

func newRetentionNodes(t *testing.T) *retentionNodes {
	t.Helper()
	ctx := t.Context()
	db := dbs.Database(t)
	env := &retentionNodes{clock: testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))}
	for range 2 {
		store := campaign.NewStore(db, testdb.Keys(t))
		for _, f := range []func(context.Context) error{store.EnsureIndexes, store.EnsureDecoys, store.EnsureJournal} {
			if err := f(ctx); err != nil {
				t.Fatal(err)
			}
		}
		svc := campaign.NewService(store, nopGreetings{}, testEmailKey, env.clock.Now)
		env.svc = append(env.svc, svc)
		notPosted := func(context.Context, *campaign.Campaign) (time.Time, bool, error) { return time.Time{}, false, nil }
		env.jobs = append(env.jobs, campaign.NewRetention(svc, notPosted, nil, 30*24*time.Hour, 90*24*time.Hour))
	}
	now := env.clock.Now()
	env.c = testCampaign("retained", now.AddDate(0, 0, -1), now.AddDate(0, 0, 1))
	if err := env.svc[0].Store().CreateCampaign(ctx, env.c); err != nil {
		t.Fatal(err)
	}
	for i := range retentionSigned {
		in := campaign.SignInput{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.org", i), Country: "SE",
			Consent: true, Network: fmt.Sprintf("192.0.2.%d", i+1)}
		if err := env.svc[0].Sign(ctx, env.c, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, svc := range env.svc {
		if err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	env.due = env.c.ClosesAt.Add(90 * 24 * time.Hour)
	return env
}

// untrimmed counts the campaign's signatures that still hold a network
// hash.
func (env *retentionNodes) untrimmed(t *testing.T) int64 {
	t.Helper()
	n, err := env.svc[0].Store().SignaturesForTest().CountDocuments(t.Context(),
		bson.M{"campaign_id": env.c.ID, "net": bson.M{"$exists": true, "$ne": ""}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// renewed waits until the campaign's retention lease runs past the
// clock's time: a renewal since the clock moved.
func (env *retentionNodes) renewed(t *testing.T) {
	t.Helper()
	now := env.clock.Now()
	leases := env.svc[0].Store().SignaturesForTest().Database().Collection("retention_claims")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var doc struct {
			Until time.Time `bson:"until"`
		}
		err := leases.FindOne(t.Context(), bson.M{"_id": "lease:retention/" + env.c.ID}).Decode(&doc)
		if err == nil && doc.Until.After(now) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pass's lease was not renewed past %v (%v)", now, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// run runs node i's retention job for the hour of at.
func (env *retentionNodes) run(t *testing.T, ctx context.Context, i int, at time.Time) ([]campaign.Trimmed, error) {
	return env.jobs[i].RunOnce(ctx, at)
}

// A campaign's retention pass that outlasts its hour is not trimmed again
// by the next hour's run on the other node, and is trimmed and recorded
// once; a pass whose node crashed is finished by a later run on the other
// node once its lease ran out, and not before.
func TestTwoNodesRetentionTrimsACampaignOnce(t *testing.T) {
	t.Run("a live slow pass keeps its campaign", func(t *testing.T) {
		env := newRetentionNodes(t)
		if env.untrimmed(t) != retentionSigned {
			t.Fatalf("%d signatures hold a network hash, want %d: nothing to test", env.untrimmed(t), retentionSigned)
		}
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		env.jobs[0].SetRetentionHooksForTest(time.Millisecond, func(ctx context.Context) {
			once.Do(func() {
				close(started)
				select {
				case <-release:
				case <-ctx.Done():
				}
			})
		})
		env.jobs[1].SetRetentionHooksForTest(time.Millisecond, nil)
		type result struct {
			trimmed []campaign.Trimmed
			err     error
		}
		done := make(chan result, 1)
		go func() {
			got, err := env.run(t, t.Context(), 0, env.due)
			done <- result{got, err}
		}()
		waitClosed(t, "the first node's pass did not start", started)
		for hour := 1; hour <= 3; hour++ {
			env.clock.Add(2 * campaign.RetentionLease) // past every lease set so far
			env.renewed(t)
			got, err := env.run(t, t.Context(), 1, env.due.Add(time.Duration(hour)*time.Hour))
			if err != nil || len(got) != 0 {
				t.Fatalf("hour %d: the other node trimmed %+v (%v) while the first node's pass runs", hour, got, err)
			}
		}
		close(release)
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the first node's pass did not end")
		}
		if r.err != nil || len(r.trimmed) != 1 || r.trimmed[0].Signatures != retentionSigned {
			t.Fatalf("the first node's pass: %+v, %v; want the campaign's %d signatures", r.trimmed, r.err, retentionSigned)
		}
		if n := env.untrimmed(t); n != 0 {
			t.Errorf("%d signatures keep their network hash", n)
		}
		if got, err := env.run(t, t.Context(), 1, env.due.Add(4*time.Hour)); err != nil || len(got) != 0 {
			t.Errorf("a later run trimmed %+v (%v): the pass is done", got, err)
		}
	})
	t.Run("a crashed node's pass is taken over after its lease", func(t *testing.T) {
		env := newRetentionNodes(t)
		crash, cancel := context.WithCancel(t.Context())
		trimmed := 0
		env.jobs[0].SetRetentionHooksForTest(time.Hour, func(context.Context) {
			if trimmed++; trimmed == 2 {
				cancel() // the node dies after two signatures
			}
		})
		if _, err := env.run(t, crash, 0, env.due); err == nil {
			t.Fatal("the crashed pass reported no error")
		}
		if n := env.untrimmed(t); n != retentionSigned-2 {
			t.Fatalf("after the crash %d signatures keep their network hash, want %d", n, retentionSigned-2)
		}
		if got, err := env.run(t, t.Context(), 1, env.due.Add(time.Hour)); err != nil || len(got) != 0 {
			t.Fatalf("within the crashed node's lease the other node trimmed %+v (%v)", got, err)
		}
		env.clock.Add(campaign.RetentionLease + time.Second)
		got, err := env.run(t, t.Context(), 1, env.due.Add(2*time.Hour))
		if err != nil || len(got) != 1 || got[0].Signatures != retentionSigned-2 {
			t.Fatalf("after the lease the other node trimmed %+v (%v); want the %d signatures left", got, err, retentionSigned-2)
		}
		if n := env.untrimmed(t); n != 0 {
			t.Errorf("%d signatures keep their network hash", n)
		}
	})
}

// waitClosed waits for ch to close, for at most 10 s.
func waitClosed(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal(what)
	}
}
