package campaign_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		email string
		merge bool
		want  string
	}{
		{"anna+news@example.org", false, "anna+news@example.org"},
		{"anna+news@example.org", true, "anna@example.org"},
		{"anna.k@example.org", true, "anna.k@example.org"}, // dots count outside Gmail
		{"a.n.n.a@gmail.com", false, "a.n.n.a@gmail.com"},
		{"a.n.n.a@gmail.com", true, "anna@gmail.com"},
		{"A.nna+x+y@googlemail.com", true, "Anna@gmail.com"},
		{"anna@googlemail.com", true, "anna@gmail.com"},
		{"+tag@example.org", true, "+tag@example.org"}, // nothing before the tag: kept
		{"...@gmail.com", true, "...@gmail.com"},
		{"no-at-sign", true, "no-at-sign"},
		{"anna@gmail.com.evil.example", true, "anna@gmail.com.evil.example"},
	}
	for _, tt := range tests {
		if got := campaign.DuplicateKey(tt.email, tt.merge); got != tt.want {
			t.Errorf("DuplicateKey(%q, %v) = %q, want %q", tt.email, tt.merge, got, tt.want)
		}
	}
}

func TestMergeAliasesPerCampaign(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	merged := testCampaign("merged", now.AddDate(0, 0, -1), now.AddDate(0, 0, 5))
	merged.MergeAliases = true
	apart := testCampaign("apart", now.AddDate(0, 0, -1), now.AddDate(0, 0, 5))
	for _, c := range []*campaign.Campaign{merged, apart} {
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// Each address signs both campaigns; merged takes them as one person.
	emails := []string{"anna.k@gmail.com", "annak@gmail.com", "AnnaK+letters@googlemail.com", "anna+x@example.org", "anna@example.org"}
	wantDup := map[string][]bool{
		merged.ID: {false, true, true, false, true},
		apart.ID:  {false, false, false, false, false},
	}
	for _, c := range []*campaign.Campaign{merged, apart} {
		for i, email := range emails {
			err := svc.Sign(ctx, c, campaign.SignInput{Name: "Anna", Email: email, Country: "SE", Consent: true})
			if got := errors.Is(err, campaign.ErrDuplicate); got != wantDup[c.ID][i] || (err != nil && !got) {
				t.Errorf("%s: sign as %s = %v, want duplicate %v", c.Slug, email, err, wantDup[c.ID][i])
			}
		}
	}
	if got := svc.Count(merged.ID); got != 2 {
		t.Errorf("merged count = %d, want 2", got)
	}
	if got := svc.Count(apart.ID); got != 5 {
		t.Errorf("apart count = %d, want 5", got)
	}
	// Turned on later, the rule applies to new signatures only: apart's
	// stored "anna+x@" keeps its own key, so the merged key of
	// "anna+y@example.org" collides with the plain "anna@" stored.
	apart.MergeAliases = true
	if err := svc.Sign(ctx, apart, campaign.SignInput{Name: "Anna", Email: "anna+y@example.org", Country: "SE", Consent: true}); !errors.Is(err, campaign.ErrDuplicate) {
		t.Errorf("after turning it on: sign = %v, want ErrDuplicate", err)
	}
}
