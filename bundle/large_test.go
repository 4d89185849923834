package bundle

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// largeNames are first names in the scripts supporters sign in; each
// printed name is one of them with a number of its own, so that a count
// of the name in the text counts that supporter.
var largeNames = []string{"Anna", "Алесь", "Łukasz", "Νίκος", "ნინო", "Արամ", "Žydrūnas"}

// A bundle of 3,000 signatures and 300 greetings, stored out of signing
// order and beside another campaign's signatures, prints every supporter
// once in the list and each greeting once, signed with its supporter's
// name: nothing is dropped, doubled or taken from the other campaign, and
// the rows keep signing order across the envelopes.
func TestLargeBundlePrintsEverySignatureAndGreetingOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n, every = 3000, 10
	other := *f.c
	other.ID, other.Slug = "c-other", "other"
	if err := f.svc.Store().CreateCampaign(ctx, &other); err != nil {
		t.Fatal(err)
	}
	name := func(i int) string { return fmt.Sprintf("%s Probe%04d", largeNames[i%len(largeNames)], i) }
	start := f.clock.Now().Add(-time.Duration(n) * time.Second)
	// Stored in batches from the last signed to the first: the natural
	// order of the collection is not the printed one.
	const batch = 500
	for hi := n; hi > 0; hi -= batch {
		var sigs, others []campaign.Signature
		var gs []letters.Greeting
		for i := hi - batch; i < hi; i++ {
			sig := campaign.Signature{ID: fmt.Sprintf("large-%04d", i), SignedAt: start.Add(time.Duration(i) * time.Second),
				Source: campaign.SourceWeb, Person: campaign.Person{Name: name(i), City: "Vilnius", Country: "LT"}}
			if i%every == 0 {
				sig.HasGreeting = true
				gs = append(gs, letters.Greeting{ID: sig.ID, CampaignID: f.c.ID, Text: fmt.Sprintf("Hold on, greeting %04d", i),
					Status: letters.StatusApproved, CreatedAt: sig.SignedAt, Checked: true})
			}
			sigs = append(sigs, sig)
			o := sig
			o.ID, o.HasGreeting, o.Person.Name = "other-"+sig.ID, false, fmt.Sprintf("Elsewhere Probe%04d", i)
			others = append(others, o)
		}
		if added, err := f.svc.AddSignatures(ctx, f.c.ID, sigs); err != nil || added != len(sigs) {
			t.Fatalf("AddSignatures = %d, %v", added, err)
		}
		if _, err := f.svc.AddSignatures(ctx, other.ID, others); err != nil {
			t.Fatal(err)
		}
		if err := f.greetings.Insert(ctx, gs); err != nil {
			t.Fatal(err)
		}
	}

	job := f.enqueue(t, Options{MaxSheets: 20})
	f.runAll(t)
	done := f.job(t, job.ID)
	if done.Status != StatusDone {
		t.Fatalf("job %s: %s", done.Status, done.Error)
	}
	if done.Envelopes < 3 {
		t.Errorf("%d envelopes: the test means to cross envelopes", done.Envelopes)
	}
	text, ok := f.text(t, done)
	if !ok {
		t.Skip("no pdftotext")
	}
	if strings.Contains(text, "Elsewhere") {
		t.Error("the bundle prints another campaign's signatures")
	}
	last := -1
	for i := range n {
		want := 1 // the row in the list
		if i%every == 0 {
			want = 2 // and the greeting's signature
			if got := strings.Count(text, fmt.Sprintf("greeting %04d", i)); got != 1 {
				t.Errorf("greeting %d printed %d times, want once", i, got)
			}
		}
		if got := strings.Count(text, name(i)); got != want {
			t.Errorf("%s printed %d times, want %d", name(i), got, want)
		}
		// Rows print in signing order: each name's row after the one before.
		if at := strings.Index(text, name(i)); at >= 0 {
			if at < last {
				t.Errorf("%s printed before an earlier signature", name(i))
			}
			last = at
		}
	}
}
