package campaign_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// Organizers who record changes of one recipient at once, or edit the
// recipient while another records a change, lose none of them.
func TestRecipientChangesRecordedAtOnceAllSurvive(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	r := campaign.Recipient{Name: "Maria Kalesnikava", Country: "BY", Address: []string{"SIZO-1"}}
	if _, err := svc.SaveRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := campaign.StatusChange{Situation: campaign.SituationTransferred, Day: fmt.Sprintf("2027-0%d-01", 9-i),
				Address: []string{fmt.Sprintf("Colony %d", i)}}
			if i%2 == 1 {
				ch = campaign.StatusChange{Situation: campaign.SituationDeceased, Day: fmt.Sprintf("2027-0%d-01", 9-i)}
			}
			_, err := svc.AddRecipientChange(ctx, r.ID, ch, "org@example.org")
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		edit := r
		edit.Name = "Maryja Kalesnikava"
		_, err := svc.SaveRecipient(ctx, &edit)
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Recipient(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Changes) != n || got.Name != "Maryja Kalesnikava" {
		t.Fatalf("stored %d of %d changes, name %q", len(got.Changes), n, got.Name)
	}
	mem, ok := svc.Campaigns().Recipient(r.ID)
	if !ok || len(mem.Changes) != n {
		t.Fatalf("memory holds %v changes", mem)
	}
	if !slices.IsSortedFunc(mem.Changes, func(a, b campaign.StatusChange) int { return compareDays(a.Day, b.Day) }) {
		t.Errorf("changes in memory are not by day: %+v", mem.Changes)
	}
	// Removing two at once removes both.
	var wg2 sync.WaitGroup
	for _, ch := range got.Changes[:2] {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if _, err := svc.RemoveRecipientChange(ctx, r.ID, ch.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg2.Wait()
	if got, err := svc.Recipient(ctx, r.ID); err != nil || len(got.Changes) != n-2 {
		t.Fatalf("after removing two: %d changes, %v", len(got.Changes), err)
	}
	if _, err := svc.RemoveRecipientChange(ctx, r.ID, got.Changes[0].ID); err == nil {
		t.Error("removing a removed change succeeded")
	}
}

func compareDays(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
