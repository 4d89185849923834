package letters_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A node slower to write a campaign's list than another that wrote after
// it read never overwrites the newer list.
func TestSlowerNodeKeepsTheNewerList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.greet(t, "c", "Anna", "Трымайся")
	if _, err := f.svc.Approve(ctx, first); err != nil {
		t.Fatal(err)
	}
	store := f.svc.Store()
	_, slow, err := store.ShownList(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	second := f.greet(t, "c", "Olga", "Жыве")
	other := letters.NewService(store, f.campaigns, f.clock.Now)
	if _, err := other.Approve(ctx, second); err != nil {
		t.Fatal(err)
	}
	if written, err := store.WriteShown(ctx, "c", slow, []string{first}, f.clock.Now()); err != nil || written {
		t.Errorf("the slower write: written %v, %v; want not written", written, err)
	}
	ids, v, err := store.ShownList(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{second, first}; !slices.Equal(ids, want) || v != slow+1 {
		t.Errorf("list %v at %d; want %v at %d", ids, v, want, slow+1)
	}
}

// Approvals made at once on two nodes all end in the list: a write that
// another came before is made again from the newer list.
func TestConcurrentApprovalsAreAllListed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		ids = append(ids, f.greet(t, "c", fmt.Sprintf("N%d", i), fmt.Sprintf("Трымайся %d", i)))
	}
	nodes := []*letters.Service{f.svc, letters.NewService(f.svc.Store(), f.campaigns, f.clock.Now)}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			if _, err := nodes[i%2].Approve(ctx, id); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, _, err := f.svc.Store().ShownList(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("list %v, want %v", got, want)
	}
}

// A list stays right through approvals, erasures and approvals of older
// greetings, in one and in many campaigns, written from the list before
// each change; and holds no more than ShownListed.
func TestShownListFollowsChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for i := range letters.ShownListed + 4 {
		ids = append(ids, f.greet(t, "c", fmt.Sprintf("N%d", i), fmt.Sprintf("Трымайся %d", i)))
	}
	// All but the oldest, one at a time; the oldest last, when the list
	// is full: it is not among the newest.
	for _, id := range ids[1:] {
		if _, err := f.svc.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ApproveUnflagged(ctx, ids[:1]); err != nil {
		t.Fatal(err)
	}
	newest := func(from []string) []string {
		out := slices.Clone(from)
		slices.Reverse(out)
		return out[:min(len(out), letters.ShownListed)]
	}
	check := func(when string, want []string) {
		t.Helper()
		got, _, err := f.svc.Store().ShownList(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: list %v, want %v", when, got, want)
		}
	}
	check("after the approvals", newest(ids))
	// Erasing one of a full list reads the list from the greetings.
	if err := f.svc.EraseGreeting(ctx, ids[len(ids)-1]); err != nil {
		t.Fatal(err)
	}
	ids = ids[:len(ids)-1]
	check("after an erasure", newest(ids))
	shown, _ := f.svc.Latest(ctx, "c")
	if len(shown) != letters.PublicCount || shown[0].ID != ids[len(ids)-1] {
		t.Errorf("shown %d, first %v; want %d, %s first", len(shown), shown, letters.PublicCount, ids[len(ids)-1])
	}
}

// BenchmarkShownReload compares, for a campaign of 20,000 approved
// greetings beside 20,000 of another campaign, what reloading its public
// greetings cost before the lists (Store.Latest: on the embedded database
// the campaign_status_created index finds the campaign's greetings, which
// are all read, filtered and sorted) with what it costs now (RefreshShown
// after shownTTL: the greetings its list names, by _id).
func BenchmarkShownReload(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	const n = 20_000
	at := f.clock.Now().Truncate(time.Millisecond)
	for _, c := range []string{"c", "d"} {
		for from := 0; from < n; from += 1000 {
			sigs := make([]campaign.Signature, 0, 1000)
			gs := make([]letters.Greeting, 0, 1000)
			for i := from; i < from+1000; i++ {
				id := fmt.Sprintf("%s-%06d", c, i)
				t := at.Add(time.Duration(i) * time.Second)
				sigs = append(sigs, campaign.Signature{ID: id, CampaignID: c, SignedAt: t, Source: campaign.SourceWeb,
					Person: campaign.Person{Name: "Anna Kowalska", City: "Minsk", Country: "BY", Email: id + "@example.org"}})
				gs = append(gs, letters.Greeting{ID: id, CampaignID: c, Text: "Трымайся", Status: letters.StatusApproved,
					CreatedAt: t, Checked: true, Language: "be"})
			}
			if _, err := f.campaigns.InsertSignatures(ctx, sigs); err != nil {
				b.Fatal(err)
			}
			if err := f.svc.Store().InsertListed(ctx, gs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Latest", func(b *testing.B) {
		for b.Loop() {
			if gs, err := f.svc.Store().Latest(ctx, "c", letters.PublicCount); err != nil || len(gs) != letters.PublicCount {
				b.Fatalf("Latest = %d, %v", len(gs), err)
			}
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			f.clock.Add(6 * time.Minute)
			if err := f.svc.RefreshShown(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if shown, _ := f.svc.Latest(ctx, "c"); len(shown) != letters.PublicCount || shown[0].ID != fmt.Sprintf("c-%06d", n-1) {
			b.Fatalf("shown %v", shown)
		}
	})
}

// An approval whose note failed is added to the list by the node's next
// refresh.
func TestFailedNoteIsRepairedByTheNextRefresh(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.greet(t, "c", "Anna", "Трымайся")
	if _, err := f.svc.Approve(ctx, first); err != nil {
		t.Fatal(err)
	}
	// A node whose request is cut short when it first reaches the lists.
	var cut atomic.Pointer[context.CancelFunc]
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		for _, name := range []string{"find", "update", "insert"} {
			if c, _ := e.Command.Lookup(name).StringValueOK(); c == "shown_versions" {
				if cancel := cut.Swap(nil); cancel != nil {
					(*cancel)()
				}
			}
		}
	}}
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	node := letters.NewService(letters.NewStore(client.Database(f.db.Name()), testdb.Keys(t)), f.campaigns, f.clock.Now)
	second := f.greet(t, "c", "Olga", "Жыве")
	reqCtx, cancel := context.WithCancel(ctx)
	cut.Store(&cancel)
	if _, err := node.Approve(reqCtx, second); err == nil {
		t.Fatal("the approval's note did not fail")
	}
	if g := f.greeting(t, second); g.Status != letters.StatusApproved {
		t.Fatalf("the greeting is %s, want approved", g.Status)
	}
	if ids, _, err := f.svc.Store().ShownList(ctx, "c"); err != nil || !slices.Equal(ids, []string{first}) {
		t.Fatalf("list after the failed note %v, %v; want only %s", ids, err, first)
	}
	if err := node.RefreshShown(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, _, err := f.svc.Store().ShownList(ctx, "c"); err != nil || !slices.Equal(ids, []string{second, first}) {
		t.Errorf("list after the refresh %v, %v; want %s, %s", ids, err, second, first)
	}
	if shown, _ := node.Latest(ctx, "c"); len(shown) != 2 || shown[0].ID != second {
		t.Errorf("shown after the refresh %+v, want %s first", shown, second)
	}
}
