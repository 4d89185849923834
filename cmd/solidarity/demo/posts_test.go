package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/cmd/solidarity/demo"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// The demo seeds four published posts about its recipient, each marked as
// demo text, one in reply to the closed campaign.
func TestDemoPosts(t *testing.T) {
	ctx := context.Background()
	a, s := demoApp(t)
	if seeded, err := s.SeedIfEmpty(ctx); err != nil || !seeded {
		t.Fatalf("seeded %v, %v", seeded, err)
	}
	listed := a.Posts.Posts().Listed(time.Now(), "")
	if len(listed) != 4 {
		t.Fatalf("%d demo posts listed, want 4", len(listed))
	}
	replies := 0
	for _, e := range listed {
		if !strings.HasPrefix(e.Post.Body, "*Demo text") {
			t.Errorf("%q is not marked as demo text", e.Post.Title)
		}
		if e.Post.CampaignID != "" {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d posts answer a campaign, want 1", replies)
	}
}

// demoApp returns an app over an empty test database, prepared, and the
// demo's seeder for it.
func demoApp(t *testing.T) (*app.App, demo.Seeder) {
	t.Helper()
	ks := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(dbs.Database(t)), ks, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := demo.Seeder{Campaigns: a.Signing, Greetings: a.Greetings, Site: a.SiteStore, EmailKey: ks.Email, Posts: a.Posts, Now: time.Now}
	return a, s
}
