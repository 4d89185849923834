package refresh_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/refresh"
)

// A failing call is logged and tried again at the next tick, and the loop
// ends with its context.
func TestEveryRetriesAndLogsUntilTheContextEnds(t *testing.T) {
	var buf bytes.Buffer
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		refresh.Every(ctx, time.Millisecond, slog.New(slog.NewTextHandler(&buf, nil)), "refresh things", func(context.Context) error {
			if calls.Add(1) == 3 {
				cancel()
			}
			return errors.New("database down")
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not end with its context")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("called %d times, want 3", n)
	}
	// The third failure came as the context ended: it is not logged.
	if got := strings.Count(buf.String(), `msg="refresh things" error="database down"`); got != 2 {
		t.Errorf("logged %d failures, want 2:\n%s", got, buf.String())
	}
}
