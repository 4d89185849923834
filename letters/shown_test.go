package letters_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/solidarity-letters/solidarity/letters"
)

// A node slower to write a campaign's list than another that noted a
// change after it never overwrites the newer list.
func TestSlowerNodeKeepsTheNewerList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.greet(t, "c", "Anna", "Трымайся")
	if _, err := f.svc.Approve(ctx, first); err != nil {
		t.Fatal(err)
	}
	store := f.svc.Store()
	slow, err := store.BumpShown(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	second := f.greet(t, "c", "Olga", "Жыве")
	other := letters.NewService(store, f.campaigns, f.clock.Now)
	if _, err := other.Approve(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteShown(ctx, "c", slow, []string{first}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	ids, v, idsV, err := store.ShownList(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{second, first}; !slices.Equal(ids, want) || v != slow+1 || idsV != v {
		t.Errorf("list %v at %d, version %d; want %v at %d", ids, idsV, v, want, slow+1)
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
		got, v, idsV, err := f.svc.Store().ShownList(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || v != idsV {
			t.Errorf("%s: list %v at %d (version %d), want %v", when, got, idsV, v, want)
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
