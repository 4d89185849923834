package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/cmd/solidarity/demo"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// The open demo campaign asks for confirmation, as new campaigns do, so
// that a newcomer who signs meets the message; the closed one need not.
func TestDemoAsksForConfirmation(t *testing.T) {
	ctx := context.Background()
	ks := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(dbs.Database(t)), ks, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	s := demo.Seeder{Campaigns: a.Signing, Greetings: a.Greetings, Site: a.SiteStore, EmailKey: ks.Email, Posts: a.Posts, Now: time.Now}
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
