package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestParseDomains(t *testing.T) {
	tests := []struct {
		text     string
		want     string
		problems string
	}{
		{"Example.ORG\nspam.example", "[example.org spam.example]", "[]"},
		{"@spam.example, *.bots.example;spam.example.", "[bots.example spam.example]", "[]"},
		{"bücher.example", "[xn--bcher-kva.example]", "[]"},
		{"\n\n  \n", "[]", "[]"},
		{"ok.example\nanna@spam.example\nlocalhost\nbad_domain.example\nhttp://x.example", "[ok.example]",
			"[{2 anna@spam.example} {3 localhost} {4 bad_domain.example} {5 http://x.example}]"},
	}
	for _, tt := range tests {
		got, probs := campaign.ParseDomains(tt.text)
		if fmt.Sprint(got) != tt.want || fmt.Sprint(probs) != tt.problems {
			t.Errorf("ParseDomains(%q) = %v, %v; want %s, %s", tt.text, got, probs, tt.want, tt.problems)
		}
	}
}

func FuzzParseDomains(f *testing.F) {
	for _, s := range []string{"example.org", "@a.b, *.c.d", "bücher.example", "a@b.c\n..", "xn--zz.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		domains, _ := campaign.ParseDomains(text)
		for _, d := range domains {
			// What the list holds parses back to itself.
			again, probs := campaign.ParseDomains(d)
			if len(probs) > 0 || len(again) != 1 || again[0] != d {
				t.Errorf("domain %q of %q parses again as %v, %v", d, text, again, probs)
			}
		}
	})
}

// A blocked domain refuses its addresses and its subdomains' on every
// campaign; others sign; the list is read again after a change.
func TestBlockListRefusesSigning(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("blocked", now.AddDate(0, 0, -1), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := svc.BlockList().Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	domains, _ := campaign.ParseDomains("spam.example\nbücher.example")
	if _, _, err := svc.BlockList().Save(ctx, domains); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		email   string
		blocked bool
	}{
		{"bot@spam.example", true},
		{"bot@SPAM.example", true},
		{"bot@mail.spam.example", true},
		{"anna@bücher.example", true},
		{"anna@notspam.example", false},
		{"anna@spam.example.org", false},
	}
	for i, tt := range tests {
		err := svc.Sign(ctx, c, campaign.SignInput{Name: "A", Email: tt.email, Country: "SE", Consent: true})
		var verr *campaign.ValidationError
		got := errors.As(err, &verr) && len(verr.Fields) == 1 && verr.Fields[0].Field == "email" && verr.Fields[0].Problem == campaign.ProblemBlocked
		if got != tt.blocked || (!tt.blocked && err != nil) {
			t.Errorf("%d: sign as %s = %v, want blocked %v", i, tt.email, err, tt.blocked)
		}
	}
	if got := svc.Count(c.ID); got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
	// Another node's service reads the saved list.
	other := campaign.NewService(svc.Store(), nopGreetings{}, []byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	if blocked, err := other.BlockList().Blocks(ctx, "x@a.spam.example"); err != nil || !blocked {
		t.Errorf("another node: blocked %v, %v", blocked, err)
	}
	if _, _, err := svc.BlockList().Save(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Second) // past the other node's cache
	if blocked, err := other.BlockList().Blocks(ctx, "x@a.spam.example"); err != nil || blocked {
		t.Errorf("another node after the list was emptied: blocked %v, %v", blocked, err)
	}
}
