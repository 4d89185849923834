package abuse_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

var day = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

func TestNetworks(t *testing.T) {
	t.Parallel()
	var n abuse.Networks
	h := func(a string, at time.Time) string { return n.Hash(netip.MustParseAddr(a), at) }
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"same IPv4 /24", "192.0.2.1", "192.0.2.254", true},
		{"IPv4-mapped IPv6", "192.0.2.1", "::ffff:192.0.2.7", true},
		{"other IPv4 /24", "192.0.2.1", "192.0.3.1", false},
		{"same IPv6 /48", "2001:db8:1::1", "2001:db8:1:ffff::2", true},
		{"other IPv6 /48", "2001:db8:1::1", "2001:db8:2::1", false},
	}
	for _, tt := range tests {
		if got := h(tt.a, day) == h(tt.b, day); got != tt.same {
			t.Errorf("%s: %s and %s hash alike: %v, want %v", tt.name, tt.a, tt.b, got, tt.same)
		}
	}
	if h("192.0.2.1", day) != h("192.0.2.1", day.Add(11*time.Hour)) {
		t.Error("the hash changed within a UTC day")
	}
	if h("192.0.2.1", day) == h("192.0.2.1", day.Add(12*time.Hour)) {
		t.Error("the hash did not change with the day: the key did not rotate")
	}
	var other abuse.Networks
	if h("192.0.2.1", day) == other.Hash(netip.MustParseAddr("192.0.2.1"), day) {
		t.Error("two Networks share a key: it is not random")
	}
}

func testPolicy() abuse.Policy {
	p := abuse.DefaultPolicy()
	p.AttackFloor, p.NetworkLimit, p.ShareMin = 20, 5, 6
	return p
}

// record counts n signatures for campaign from net, spread over the
// minute at.
func record(m *abuse.Monitor, campaign, net string, n int, at time.Time) {
	for i := range n {
		m.Record(campaign, net, at.Add(time.Duration(i)*time.Second/time.Duration(n)))
	}
}

func TestMonitor(t *testing.T) {
	t.Parallel()
	p := testPolicy()
	tests := []struct {
		name  string
		setup func(m *abuse.Monitor)
		net   string
		at    time.Duration // after day
		want  abuse.Signal
		work  abuse.Work
	}{
		{"quiet", func(m *abuse.Monitor) { record(m, "c", "a", 3, day) }, "a", time.Minute, 0, abuse.Work{}},
		{"unknown campaign", func(m *abuse.Monitor) {}, "a", 0, 0, abuse.Work{}},
		{"a network over its limit", func(m *abuse.Monitor) { record(m, "c", "a", 5, day) }, "a", time.Minute, abuse.NetworkBusy, p.Easy},
		{"another network is not", func(m *abuse.Monitor) { record(m, "c", "a", 5, day) }, "b", time.Minute, 0, abuse.Work{}},
		{"nor another campaign", func(m *abuse.Monitor) { record(m, "d", "a", 5, day) }, "a", time.Minute, 0, abuse.Work{}},
		{"the limit is recent", func(m *abuse.Monitor) { record(m, "c", "a", 5, day) }, "a", 11 * time.Minute, 0, abuse.Work{}},
		{"a large share", func(m *abuse.Monitor) {
			record(m, "c", "a", 4, day)
			for i := range 3 {
				record(m, "c", fmt.Sprint("n", i), 1, day)
			}
		}, "a", time.Minute, abuse.NetworkShare, p.Easy},
		{"a flood", func(m *abuse.Monitor) { record(m, "c", "a", 25, day) }, "a", time.Minute, abuse.NetworkBusy | abuse.NetworkShare | abuse.NetworkFlood | abuse.CampaignRate, p.Hard},
		{"an attack from many networks", func(m *abuse.Monitor) {
			for i := range 20 {
				record(m, "c", fmt.Sprint("n", i), 1, day)
			}
		}, "new", time.Minute, abuse.CampaignRate, p.Easy},
		{"an attack, and a busy network", func(m *abuse.Monitor) {
			for i := range 20 {
				record(m, "c", fmt.Sprint("n", i), 1, day)
			}
			record(m, "c", "a", 5, day)
		}, "a", time.Minute, abuse.CampaignRate | abuse.NetworkBusy, p.Hard},
		{"busy as usual is no attack", func(m *abuse.Monitor) {
			// 30 in every 10 minutes, over the floor, for 70 minutes.
			for i := range 70 {
				record(m, "c", fmt.Sprint("n", i), 3, day.Add(time.Duration(i)*time.Minute))
			}
		}, "new", 70 * time.Minute, 0, abuse.Work{}},
		{"a jump from the usual is", func(m *abuse.Monitor) {
			for i := range 60 {
				record(m, "c", fmt.Sprint("n", i), 2, day.Add(time.Duration(i)*time.Minute))
			}
			for i := range 10 {
				record(m, "c", fmt.Sprint("m", i), 20, day.Add(time.Duration(60+i)*time.Minute))
			}
		}, "new", 70 * time.Minute, abuse.CampaignRate, p.Easy},
		{"an attack is held", func(m *abuse.Monitor) {
			for i := range 20 {
				record(m, "c", fmt.Sprint("n", i), 1, day)
			}
			m.Assess("c", "x", day.Add(time.Minute))
		}, "new", 14 * time.Minute, abuse.CampaignRate, p.Easy},
		{"and ends", func(m *abuse.Monitor) {
			for i := range 20 {
				record(m, "c", fmt.Sprint("n", i), 1, day)
			}
			m.Assess("c", "x", day.Add(time.Minute))
		}, "new", 17 * time.Minute, 0, abuse.Work{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := abuse.NewMonitor(p)
			tt.setup(m)
			got := m.Assess("c", tt.net, day.Add(tt.at))
			if got.Signals != tt.want || got.Work != tt.work || got.Asks() != (tt.want != 0) {
				t.Errorf("Assess = %+v, want signals %b and work %+v", got, tt.want, tt.work)
			}
		})
	}
}

func TestSpent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbs.Database(t)
	now := day
	clock := func() time.Time { return now }
	s := abuse.NewSpent(db, 24*time.Hour, clock)
	if err := s.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Prepare(ctx); err != nil {
		t.Fatalf("prepare again: %v", err)
	}
	issued := day.Add(-time.Hour)
	if err := s.Spend(ctx, "token-a", issued); err != nil {
		t.Fatalf("first spend: %v", err)
	}
	if err := s.Spend(ctx, "token-a", issued); !errors.Is(err, abuse.ErrSpent) {
		t.Fatalf("second spend: %v, want ErrSpent", err)
	}
	// Another node shares the record.
	other := abuse.NewSpent(db, 24*time.Hour, clock)
	if err := other.Spend(ctx, "token-a", issued); !errors.Is(err, abuse.ErrSpent) {
		t.Fatalf("spent on another node: %v, want ErrSpent", err)
	}
	if err := s.Spend(ctx, "token-b", day.Add(-20*time.Hour)); err != nil {
		t.Fatalf("a token of the day before: %v", err)
	}
	if err := s.Spend(ctx, "token-c", day.Add(-60*time.Hour)); err != nil {
		t.Fatalf("a token of two days before: %v", err)
	}
	// Two hours on, every token issued in token-c's hour has expired, and
	// those of token-b's may not have: one node drops token-c's hour, once
	// in the period.
	now = day.Add(2 * time.Hour)
	swept, dropped, err := s.Sweep(ctx)
	if err != nil || !swept || len(dropped) != 1 || dropped[0] != "spent_tokens_2027053000" {
		t.Fatalf("sweep: %v, %v, %v; want spent_tokens_2027053000 dropped", swept, dropped, err)
	}
	if swept, _, err := other.Sweep(ctx); err != nil || swept {
		t.Errorf("a second node swept in the same period: %v, %v", swept, err)
	}
	if err := s.Spend(ctx, "token-b", day.Add(-20*time.Hour)); !errors.Is(err, abuse.ErrSpent) {
		t.Errorf("token-b after the sweep: %v, want still spent", err)
	}
	if err := s.Spend(ctx, "token-a", issued); !errors.Is(err, abuse.ErrSpent) {
		t.Errorf("token-a after the sweep: %v, want still spent", err)
	}
	names, err := db.ListCollectionNames(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"spent_tokens_2027053116", "spent_tokens_2027060111", "spent_tokens_2027060114", "spent_tokens_2027060115"} {
		if !slices.Contains(names, want) {
			t.Errorf("collections %v lack %s", names, want)
		}
	}
}

// Concurrent spends are written in batches, and each caller learns its
// own token's result: of 50 spends at once, the second spend of a token
// in the same burst and the spend of a token spent before fail with
// ErrSpent, and only they; tokens of two hours go to their two
// collections; and the burst costs fewer inserts than spends.
func TestConcurrentSpendsFailOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var inserts atomic.Int32
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName == "insert" {
			inserts.Add(1)
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	db := client.Database(dbs.Database(t).Name())
	s := abuse.NewSpent(db, 24*time.Hour, func() time.Time { return day })
	if err := s.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	issued := func(i int) time.Time { return day.Add(-time.Duration(i%2) * time.Hour) }
	if err := s.Spend(ctx, "spent-before", issued(11)); err != nil {
		t.Fatal(err)
	}
	const n = 50
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprint("burst-", i)
	}
	tokens[7] = tokens[3] // the same form sent twice at once
	tokens[11] = "spent-before"
	inserts.Store(0)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Spend(ctx, tokens[i], issued(i))
		})
	}
	close(start)
	wg.Wait()
	spent := 0
	for i, err := range errs {
		switch {
		case i == 3 || i == 7:
			if errors.Is(err, abuse.ErrSpent) {
				spent++
			} else if err != nil {
				t.Errorf("spend %d: %v", i, err)
			}
		case i == 11:
			if !errors.Is(err, abuse.ErrSpent) {
				t.Errorf("token spent before: %v, want ErrSpent", err)
			}
		case err != nil:
			t.Errorf("spend %d: %v, want nil", i, err)
		}
	}
	if spent != 1 {
		t.Errorf("of the token sent twice, %d spends failed, want 1", spent)
	}
	if got := inserts.Load(); got >= n/2 {
		t.Errorf("%d inserts for %d spends, want fewer than %d", got, n, n/2)
	}
	// Each is spent now, in its hour's collection.
	for i, tok := range tokens {
		if err := s.Spend(ctx, tok, issued(i)); !errors.Is(err, abuse.ErrSpent) {
			t.Errorf("token %d again: %v, want ErrSpent", i, err)
		}
	}
}

// BenchmarkSpend measures the write a signature's token adds, on the test
// database (the embedded one unless a MongoDB is named).
func BenchmarkSpend(b *testing.B) {
	ctx := context.Background()
	s := abuse.NewSpent(dbs.Database(b), 24*time.Hour, time.Now)
	if err := s.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if err := s.Spend(ctx, fmt.Sprint("token-", i), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
