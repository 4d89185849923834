package app_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/updates"
)

// notifier is another updates notifier over node i's services and the
// env's database and clock, with opts' lease, heartbeat and pacing; it
// counts the messages it queues in queued.
func (env *updatesEnv) notifier(i int, opts updates.Options, queued *atomic.Int64) *updates.Notifier {
	a := env.nodes[i]
	opts.BaseURL, opts.Now = updatesBase, env.clock.Now
	pace := opts.Queued
	opts.Queued = func(ctx context.Context) {
		queued.Add(1)
		if pace != nil {
			pace(ctx)
		}
	}
	return updates.New(env.db, updates.Deps{
		Campaigns: a.Signing, Store: a.Campaigns, Delivery: a.Delivery, Posts: a.Posts,
		Queue: a.Mail, Composer: a.Mailer, Messages: a.Messages,
	}, a.Updates.Tokens(), opts)
}

// sendAndCount sends what the queue holds and reports how many messages
// the outbox holds per address.
func (env *updatesEnv) sendAndCount(t *testing.T) map[string]int {
	t.Helper()
	if _, err := env.nodes[0].Mail.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range readOutbox(t, env.dir) {
		got[m.To]++
	}
	return got
}

// leaseAhead waits until a notice's lease reaches past the test clock's
// now, which after the clock moved past it only a renewal does; false
// after 10 s.
func (env *updatesEnv) leaseAhead(ctx context.Context) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n, err := env.db.Collection("update_cursors").CountDocuments(ctx, bson.M{"lease_until": bson.M{"$gt": env.clock.Now()}})
		if err == nil && n > 0 {
			return true
		}
	}
	return false
}

// checkOncePerSubscriber fails unless anna and boris, the confirmed
// subscribers, got one message each and nobody else got any.
func checkOncePerSubscriber(t *testing.T, got map[string]int) {
	t.Helper()
	want := map[string]int{"anna@example.org": 1, "boris@example.org": 1}
	if len(got) != len(want) || got["anna@example.org"] != 1 || got["boris@example.org"] != 1 {
		t.Errorf("messages per address: %v, want %v", got, want)
	}
}

// Both nodes run the updates loop at once: each subscriber gets the
// notice once, and it is queued once in all.
func TestTwoNodesUpdatesLoopsSendEachNoticeOnce(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 2)
	env.event(t, delivery.KindPosted, true)
	env.clock.Add(2 * time.Hour)
	var queued atomic.Int64
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for i := range 2 {
		n := env.notifier(i, updates.Options{Interval: 10 * time.Millisecond}, &queued)
		wg.Go(func() { _ = n.Run(ctx) })
	}
	deadline := time.Now().Add(time.Minute)
	for queued.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // more ticks of both loops
	cancel()
	wg.Wait()
	if got := queued.Load(); got != 2 {
		t.Errorf("the two nodes queued %d messages, want 2 (one per subscriber)", got)
	}
	checkOncePerSubscriber(t, env.sendAndCount(t))
}

// A live node that takes longer than the lease to queue a notice keeps
// it by renewing the lease: the other node, looking after the first
// lease ran out, queues nothing.
func TestTwoNodesUpdatesSlowNoticeKeepsItsLease(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 2)
	env.event(t, delivery.KindPosted, true)
	env.clock.Add(2 * time.Hour)
	var slowQueued, otherQueued atomic.Int64
	other := env.notifier(1, updates.Options{Lease: 2 * time.Minute}, &otherQueued)
	var otherErr error
	var once sync.Once
	slow := env.notifier(0, updates.Options{Lease: 2 * time.Minute, Heartbeat: 10 * time.Millisecond,
		Queued: func(ctx context.Context) {
			once.Do(func() {
				// Past the first lease in two steps, each waited out
				// until a renewal holds the notice past the clock.
				for range 2 {
					env.clock.Add(90 * time.Second)
					if !env.leaseAhead(ctx) {
						t.Error("after 10 s: the slow node did not renew its lease")
						return
					}
				}
				otherErr = other.Tick(ctx)
			})
		}}, &slowQueued)
	if err := slow.Tick(t.Context()); err != nil {
		t.Fatalf("slow node: %v", err)
	}
	if otherErr != nil {
		t.Fatalf("other node: %v", otherErr)
	}
	if got := otherQueued.Load(); got != 0 {
		t.Errorf("the other node queued %d messages of a notice a live node holds, want 0", got)
	}
	if got := slowQueued.Load(); got != 2 {
		t.Errorf("the slow node queued %d messages, want 2", got)
	}
	checkOncePerSubscriber(t, env.sendAndCount(t))
}

// A node that stopped in the middle of a notice is taken over by the
// other once its lease ran out; the other finishes the notice, and each
// subscriber gets it once.
func TestTwoNodesUpdatesCrashedNoticeIsTakenOver(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 2)
	env.event(t, delivery.KindPosted, true)
	env.clock.Add(2 * time.Hour)
	var crashedQueued, otherQueued atomic.Int64
	ctx, crash := context.WithCancel(t.Context())
	crashed := env.notifier(0, updates.Options{Heartbeat: 10 * time.Millisecond,
		Queued: func(context.Context) { crash() }}, &crashedQueued)
	if err := crashed.Tick(ctx); err == nil {
		t.Fatal("the crashed node's tick succeeded")
	}
	if got := crashedQueued.Load(); got != 1 {
		t.Fatalf("the crashed node queued %d messages, want 1", got)
	}
	other := env.notifier(1, updates.Options{}, &otherQueued)
	if err := other.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := otherQueued.Load(); got != 0 {
		t.Errorf("the other node queued %d messages while the crashed node's lease lasted, want 0", got)
	}
	env.clock.Add(updates.DefaultLease + time.Second)
	if err := other.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := otherQueued.Load(); got != 2 {
		t.Errorf("the node that took over queued %d messages, want 2", got)
	}
	if err := other.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := otherQueued.Load(); got != 2 {
		t.Errorf("after the notice was done, %d messages were queued in all by the other node, want 2", got)
	}
	checkOncePerSubscriber(t, env.sendAndCount(t))
}
