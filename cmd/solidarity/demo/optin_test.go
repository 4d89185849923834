package demo_test

import (
	"context"
	"testing"

	"github.com/solidarity-letters/solidarity/cmd/solidarity/demo"
)

// The open demo campaign asks for confirmation, as new campaigns do, so
// that a newcomer who signs meets the message; the closed one need not.
func TestDemoAsksForConfirmation(t *testing.T) {
	ctx := context.Background()
	a, s := demoApp(t)
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := a.Campaigns.CampaignBySlug(ctx, demo.OpenSlug)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ConfirmEmail {
		t.Errorf("the open demo campaign does not ask for confirmation")
	}
}
