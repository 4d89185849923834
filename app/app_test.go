package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/web"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

func newApp(t *testing.T) *app.App {
	t.Helper()
	return newAppOn(t, dbs.Database(t))
}

// newAppOn builds the application over db, unprepared.
func newAppOn(t *testing.T, db *mongo.Database) *app.App {
	t.Helper()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(db), k, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Prepare runs on an empty database and again on a prepared one, as every
// start does.
func TestPrepareTwice(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	for i := range 2 {
		if err := a.Prepare(ctx); err != nil {
			t.Fatalf("prepare %d: %v", i+1, err)
		}
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
}

// The migrations are numbered upwards and named once; the steps after
// them are named once too.
func TestMigrationsAndStepsAreNamedOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	seen := map[string]bool{}
	prev := 0
	for _, m := range a.Migrations() {
		if m.Version <= prev {
			t.Errorf("migration %d (%s) comes after %d", m.Version, m.Name, prev)
		}
		prev = m.Version
		if m.Name == "" || seen[m.Name] {
			t.Errorf("migration %d is named %q: empty or twice", m.Version, m.Name)
		}
		seen[m.Name] = true
	}
	for i, s := range a.Steps() {
		if s.Name == "" || seen[s.Name] {
			t.Errorf("step %d is named %q: empty or twice", i, s.Name)
		}
		seen[s.Name] = true
	}
}

// A prepared app builds its web server, and Run returns once its context
// ends, after all the loops stopped.
func TestWebAndRun(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Web(web.Config{}); err != nil {
		t.Fatalf("web: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30 s of its context ending")
	}
}
