package app_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
)

// bothAtOnce runs f on every node at once, again and again until a round
// in which f did nothing on any node, and returns what each node did in
// all.
func bothAtOnce(t *testing.T, nodes []*app.App, f func(a *app.App) (int, error)) []int {
	t.Helper()
	total := make([]int, len(nodes))
	for {
		round := make([]int, len(nodes))
		var wg sync.WaitGroup
		for i, a := range nodes {
			wg.Go(func() {
				n, err := f(a)
				if err != nil {
					t.Error(err)
				}
				round[i] = n
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		sum := 0
		for i, n := range round {
			total[i] += n
			sum += n
		}
		if sum == 0 {
			return total
		}
	}
}

// Two nodes whose confirmation workers and mail workers run at once queue
// each supporter's confirmation message once and send it once; after the
// 72 hours, their pending signature cleanups, run at once, delete each
// unconfirmed signature once, on one node.
func TestTwoNodesConfirmationsAndPendingCleanup(t *testing.T) {
	t.Parallel()
	env := newWorkerEnv(t)
	nodes := []*app.App{env.node(t, nil), env.node(t, nil)}
	c := addCampaign(t, nodes[0], "twonodes")
	c.ConfirmEmail = true
	const supporters = 20
	for i := range supporters {
		sign(t, nodes[i%2], c, fmt.Sprintf("s%02d@example.org", i))
	}
	queued := bothAtOnce(t, nodes, func(a *app.App) (int, error) { return a.Signing.SendConfirmations(t.Context()) })
	if queued[0]+queued[1] != supporters {
		t.Errorf("the nodes queued %v confirmation messages, want %d in all", queued, supporters)
	}
	if n := waiting(t, nodes[0]); n != supporters {
		t.Errorf("the mail queue holds %d messages, want %d", n, supporters)
	}
	sent := bothAtOnce(t, nodes, func(a *app.App) (int, error) { return a.Mail.RunOnce(t.Context()) })
	got := map[string]int{}
	for _, m := range readOutbox(t, env.dir) {
		got[m.To]++
	}
	for i := range supporters {
		if to := fmt.Sprintf("s%02d@example.org", i); got[to] != 1 {
			t.Errorf("%s received %d messages, want 1", to, got[to])
		}
	}
	t.Logf("confirmations queued by each node %v, mail sent by each %v", queued, sent)

	pending := func() int64 {
		t.Helper()
		n, err := nodes[0].Signing.CountPending(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pending(); n != supporters {
		t.Fatalf("%d pending signatures before the cleanup, want %d", n, supporters)
	}
	env.clock.Add(campaign.PendingKeep + time.Hour)
	var mu sync.Mutex
	var swept []int
	var deleted int64
	var wg sync.WaitGroup
	for i, a := range nodes {
		wg.Go(func() {
			ok, n, err := a.Signing.SweepPending(t.Context())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				swept = append(swept, i)
			}
			deleted += n
		})
	}
	wg.Wait()
	if len(swept) != 1 || deleted != supporters {
		t.Errorf("nodes %v swept, deleting %d; want one node deleting %d", swept, deleted, supporters)
	}
	if n := pending(); n != 0 {
		t.Errorf("%d pending signatures after the cleanup, want 0", n)
	}
}
