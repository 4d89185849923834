package database_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// records collects what a logger is given.
type records struct {
	mu   sync.Mutex
	text strings.Builder
	n    int // messages that say Open is waiting
}

func (r *records) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if strings.Contains(string(p), "waiting for the database") {
		r.n++
	}
	return r.text.Write(p)
}

func (r *records) waiting() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.text.String()
}

// Open with Wait waits for a MongoDB server that refuses connections: it
// says what it waits for, without the credentials, tries again with
// backoff and without a busy loop, and goes on as soon as the server
// answers; a stop during the wait ends it at once.
func TestOpenWaitsForTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emb, err := database.StartEmbedded(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Stop() })

	t.Run("comes up", func(t *testing.T) {
		p := testdb.NewProxy(t, emb.URI())
		p.Stop() // every connection is closed as soon as it is made
		log := &records{}
		type opened struct {
			db  *database.DB
			err error
		}
		done := make(chan opened, 1)
		go func() {
			db, err := database.Open(ctx, database.Options{URI: "mongodb://" + p.Addr() + "/wait?directConnection=true",
				Wait: true, WaitLog: slog.New(slog.NewTextHandler(log, nil))})
			done <- opened{db, err}
		}()
		// The window: until Open has said three times that it waits.
		start := time.Now()
		for deadline := start.Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if n, _ := log.waiting(); n >= 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Open did not say three times within 30 s that it waits")
			}
		}
		window := time.Since(start)
		dials := p.Dialled()
		t.Logf("3 attempts in %v, %d connection attempts", window.Round(time.Millisecond), dials)
		// Three attempts of AttemptTimeout with the pauses between them;
		// the driver dials at most about twice a second meanwhile.
		if window < 3*database.AttemptTimeout {
			t.Errorf("three attempts in %v, want at least %v: no backoff", window, 3*database.AttemptTimeout)
		}
		if limit := int(window/time.Second)*4 + 4; dials > limit {
			t.Errorf("%d connection attempts in %v, want at most %d: a busy loop", dials, window, limit)
		}
		_, text := log.waiting()
		if !strings.Contains(text, "MongoDB at ["+p.Addr()+"]") {
			t.Errorf("the log does not name what it waits for:\n%s", text)
		}
		p.Resume()
		resumed := time.Now()
		select {
		case o := <-done:
			if o.err != nil {
				t.Fatalf("Open after the database came up: %v", o.err)
			}
			if err := o.db.Ping(ctx); err != nil {
				t.Error(err)
			}
			o.db.Close(ctx)
			if took := time.Since(resumed); took > database.MaxBackoff+database.AttemptTimeout+time.Second {
				t.Errorf("Open took %v after the database came up", took)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Open did not return within 30 s of the database coming up")
		}
	})

	t.Run("stopped while waiting", func(t *testing.T) {
		p := testdb.NewProxy(t, emb.URI())
		p.Stop()
		log := &records{}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := database.Open(ctx, database.Options{URI: "mongodb://solidarity:s3cret-pass@" + p.Addr() + "/?directConnection=true",
				Wait: true, WaitLog: slog.New(slog.NewTextHandler(log, nil))})
			done <- err
		}()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if n, _ := log.waiting(); n >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Open did not say within 30 s that it waits")
			}
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Open stopped while waiting = %v, want context.Canceled", err)
			}
		case <-time.After(time.Second):
			t.Fatal("Open did not return within 1 s of the stop")
		}
		if _, text := log.waiting(); strings.Contains(text, "s3cret") {
			t.Errorf("the log shows the password:\n%s", text)
		}
	})
}

// What the driver answers when the database is down or stalled is
// Unavailable, with a reason that names no host; other errors are not.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"deadline", fmt.Errorf("sign: %w", context.DeadlineExceeded), true},
		{"other", errors.New("invalid campaign"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := database.Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	// A stopped server, through the real driver.
	ctx := context.Background()
	emb, err := database.StartEmbedded(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Stop()
	p := testdb.NewProxy(t, emb.URI())
	db, err := database.Open(ctx, database.Options{URI: "mongodb://" + p.Addr() + "/u?directConnection=true"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	p.Stop()
	opCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = db.Collection("c").InsertOne(opCtx, map[string]any{"_id": 1})
	if !database.Unavailable(err) {
		t.Errorf("insert on a stopped database: %v, not Unavailable", err)
	}
	if r := database.Reason(err); r == "" || strings.Contains(r, p.Addr()) {
		t.Errorf("Reason = %q", r)
	}
}
