package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/web"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

func newApp(t *testing.T) *app.App {
	t.Helper()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(dbs.Database(t)), k, app.Options{})
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

// The loads come after the schema steps, and no two steps share a name:
// the names are to become migration names.
func TestStepsAreNamedOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	steps, schema := a.Steps(), a.SchemaSteps()
	if len(steps) != len(schema)+len(a.LoadSteps()) {
		t.Fatalf("Steps has %d steps, want the %d schema steps and the %d loads", len(steps), len(schema), len(a.LoadSteps()))
	}
	seen := map[string]bool{}
	for i, s := range steps {
		if s.Name == "" || seen[s.Name] {
			t.Errorf("step %d is named %q: empty or twice", i, s.Name)
		}
		seen[s.Name] = true
		if i < len(schema) && s.Name != schema[i].Name {
			t.Errorf("step %d is %q, want the schema step %q", i, s.Name, schema[i].Name)
		}
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
