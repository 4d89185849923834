package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// serve started with MONGODB_URI pointing at a port nobody listens on
// says what it waits for, without the password, and a stop (Ctrl-C)
// during the wait ends it cleanly and at once.
func TestServeWaitsForTheDatabaseAndStopsCleanly(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now nobody listens there
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	vars := map[string]string{"MONGODB_URI": "mongodb://solidarity:s3cret-pass@" + addr + "/?directConnection=true", "SOLIDARITY_DEMO": "false"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), stdout, stderr)
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "waiting for the database"); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve ended before waiting: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say within 30 s that it waits:\n%s", stderr.String())
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve stopped while waiting = %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("serve did not stop within 2 s of Ctrl-C")
	}
	log := stderr.String()
	if !strings.Contains(log, "MongoDB at ["+addr+"]") || strings.Contains(log, "s3cret") {
		t.Errorf("the log should name the host and not the password:\n%s", log)
	}
}
