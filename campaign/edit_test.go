package campaign_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestProposeDeadline(t *testing.T) {
	tests := []struct {
		name    string
		arrival string
		days    int
		tz      string
		want    time.Time // UTC; zero when an error is expected
	}{
		{"birthday in Minsk, two weeks", "2027-08-25", 14, "Europe/Minsk", time.Date(2027, 8, 10, 21, 0, 0, 0, time.UTC)},
		{"new year across the year end", "2028-01-01", 21, "Europe/Vilnius", time.Date(2027, 12, 10, 22, 0, 0, 0, time.UTC)},
		{"no time for post", "2027-07-12", 0, "UTC", time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC)},
		{"across a leap day", "2028-03-01", 1, "UTC", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"over the spring clock change", "2027-04-07", 10, "Europe/Berlin", time.Date(2027, 3, 27, 23, 0, 0, 0, time.UTC)},
		{"midnight that does not exist", "2027-03-24", 10, "America/Havana", time.Date(2027, 3, 14, 5, 0, 0, 0, time.UTC)},
		{"west of Greenwich", "2027-12-24", 30, "America/New_York", time.Date(2027, 11, 24, 5, 0, 0, 0, time.UTC)},
		{"bad date", "25.08.2027", 14, "Europe/Minsk", time.Time{}},
		{"no date", "", 14, "Europe/Minsk", time.Time{}},
		{"negative days", "2027-08-25", -1, "Europe/Minsk", time.Time{}},
		{"over a year", "2027-08-25", 400, "Europe/Minsk", time.Time{}},
		{"unknown zone", "2027-08-25", 14, "Mars/Base", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := campaign.ProposeDeadline(tt.arrival, tt.days, tt.tz)
			if tt.want.IsZero() {
				if err == nil {
					t.Fatalf("ProposeDeadline(%q, %d, %q) = %v, want an error", tt.arrival, tt.days, tt.tz, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("ProposeDeadline(%q, %d, %q) = %v, %v; want %v", tt.arrival, tt.days, tt.tz, got, err, tt.want)
			}
		})
	}
}

// editable is a test campaign as an organizer would have written it.
func editable(slug string, opens, closes time.Time) *campaign.Campaign {
	c := testCampaign(slug, opens, closes)
	c.OrganizerName = "Test NGO"
	return c
}

func TestSlugHistory(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	a := editable("first", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	b := editable("other", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	for _, c := range []*campaign.Campaign{a, b} {
		if err := svc.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	rename := func(c *campaign.Campaign, slug string) error {
		c.Slug = slug
		_, err := svc.UpdateCampaign(ctx, c)
		return err
	}
	if err := rename(a, "second"); err != nil {
		t.Fatal(err)
	}
	if err := rename(a, "third"); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{"first", "second"} {
		_, err := svc.Public(ctx, old)
		var moved *campaign.MovedError
		if !errors.As(err, &moved) || moved.To != "third" {
			t.Errorf("Public(%s) = %v, want moved to third", old, err)
		}
		if !errors.Is(err, campaign.ErrNotFound) {
			t.Errorf("a moved campaign should also count as not found: %v", err)
		}
	}
	if c, err := svc.Public(ctx, "third"); err != nil || c.ID != a.ID {
		t.Errorf("Public(third) = %v, %v", c, err)
	}
	// Old and current slugs are taken, for new campaigns and for edits.
	for _, slug := range []string{"first", "second", "third"} {
		if err := rename(b, slug); !errors.Is(err, campaign.ErrDuplicate) {
			t.Errorf("renaming another campaign to %s: %v, want ErrDuplicate", slug, err)
		}
		c := editable(slug, now, now.AddDate(0, 1, 0))
		c.ID = ""
		if err := svc.CreateCampaign(ctx, c); !errors.Is(err, campaign.ErrDuplicate) {
			t.Errorf("new campaign %s: %v, want ErrDuplicate", slug, err)
		}
	}
	// Going back to an old slug takes it out of the history.
	if err := rename(a, "first"); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Campaign(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"second", "third"}; !slices.Equal(got.OldSlugs, want) {
		t.Errorf("old slugs = %v, want %v", got.OldSlugs, want)
	}
	if _, err := svc.Public(ctx, "first"); err != nil {
		t.Errorf("Public(first) after renaming back: %v", err)
	}
	// A draft's old slug does not reveal it.
	d := editable("draft", time.Time{}, now.AddDate(0, 1, 0))
	if err := svc.CreateCampaign(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := rename(d, "draft-2"); err != nil {
		t.Fatal(err)
	}
	var moved *campaign.MovedError
	if _, err := svc.Public(ctx, "draft"); errors.As(err, &moved) || !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("Public(old slug of a draft) = %v, want plain not found", err)
	}
}

func TestStatusChanges(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	open := editable("open", now.AddDate(0, 0, -1), now.AddDate(0, 1, 0))
	draft := editable("draft", time.Time{}, now.AddDate(0, 1, 0))
	for _, c := range []*campaign.Campaign{open, draft} {
		if err := svc.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := svc.CloseNow(ctx, draft.ID); !errors.Is(err, campaign.ErrWrongStatus) {
		t.Errorf("closing a draft: %v, want ErrWrongStatus", err)
	}
	if _, err := svc.Schedule(ctx, open.ID, now.AddDate(0, 0, 1)); !errors.Is(err, campaign.ErrWrongStatus) {
		t.Errorf("scheduling an open campaign: %v, want ErrWrongStatus", err)
	}
	var verr *campaign.ValidationError
	if _, err := svc.Schedule(ctx, draft.ID, now.AddDate(0, 2, 0)); !errors.As(err, &verr) {
		t.Errorf("opening after the close: %v, want a validation error", err)
	}
	c, err := svc.Schedule(ctx, draft.ID, now.AddDate(0, 0, 1))
	if err != nil || c.Status(now) != campaign.StatusScheduled {
		t.Fatalf("Schedule = %v, %v; want scheduled", c, err)
	}

	c, err = svc.CloseNow(ctx, open.ID)
	if err != nil || c.Status(now) != campaign.StatusClosed || !c.ClosesAt.Equal(now) {
		t.Fatalf("CloseNow = %+v, %v; want closed at %v", c, err, now)
	}

	// Archived: gone from the public list and page, back after unarchiving.
	if _, err := svc.SetArchived(ctx, open.ID, true); err != nil {
		t.Fatal(err)
	}
	l, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Open)+len(l.Closed) != 0 {
		t.Errorf("list shows an archived campaign: %+v", l)
	}
	if _, err := svc.Public(ctx, "open"); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("Public(archived) = %v, want ErrNotFound", err)
	}
	if _, err := svc.SetArchived(ctx, open.ID, false); err != nil {
		t.Fatal(err)
	}
	if l, _ := svc.List(ctx); len(l.Closed) != 1 {
		t.Errorf("unarchived campaign not listed: %+v", l)
	}
	if _, err := svc.Public(ctx, "open"); err != nil {
		t.Errorf("Public(unarchived) = %v", err)
	}
}

func TestSaveRecipient(t *testing.T) {
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(t, now)
	ctx := context.Background()
	var verr *campaign.ValidationError
	bad := campaign.Recipient{Name: " ", Country: "XX", Languages: []string{"be", "Russian"}}
	if _, err := svc.SaveRecipient(ctx, &bad); !errors.As(err, &verr) || len(verr.Fields) != 3 {
		t.Fatalf("SaveRecipient(bad) = %v, want three problems", err)
	}
	r := campaign.Recipient{Name: "Maria Kalesnikava", Country: "BY", Languages: []string{"be", "ru"}}
	created, err := svc.SaveRecipient(ctx, &r)
	if err != nil || !created || r.ID == "" {
		t.Fatalf("SaveRecipient(new) = %v, %v, id %q", created, err, r.ID)
	}
	edit := r
	edit.Name = "Maryja Kalesnikava"
	edit.CreatedAt = time.Time{}
	if created, err := svc.SaveRecipient(ctx, &edit); err != nil || created {
		t.Fatalf("SaveRecipient(edit) = %v, %v", created, err)
	}
	got, err := svc.Recipient(ctx, r.ID)
	if err != nil || got.Name != "Maryja Kalesnikava" || !got.CreatedAt.Equal(now) {
		t.Errorf("stored recipient = %+v, %v", got, err)
	}
	edit.ID = "nobody"
	if _, err := svc.SaveRecipient(ctx, &edit); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("SaveRecipient(unknown id) = %v, want ErrNotFound", err)
	}
}
