package app_test

import (
	"context"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Who consented to a post's publication is a sealed field that key
// rotation knows: the values under each key count it.
func TestPostConsentIsInTheKeyUsage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	r := campaign.Recipient{Name: "Ales Bialiatski", Country: "BY"}
	if _, err := a.Signing.SaveRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	before, err := a.Resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := posts.Input{Title: "A letter", Lang: "en", RecipientID: r.ID, Kind: "from", Body: "Dear friends",
		Consent: true, ConsentBy: "his wife"}
	if _, err := a.Posts.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	after, err := a.Resealer.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var grew int64
	for id, n := range after {
		grew += n - before[id]
	}
	if grew != 1 {
		t.Errorf("the values under the keys grew by %d with one sealed consent, want 1", grew)
	}
}
