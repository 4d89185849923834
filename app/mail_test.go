package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

// The app's mail worker sends what is queued (here into an outbox), and
// stops with the other loops; a message queued while no node ran is sent
// by the next start.
func TestMailWorker(t *testing.T) {
	t.Parallel()
	db := dbs.Database(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	outbox, err := mail.NewOutbox(dir, mail.Sender{From: "letters@localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	start := func() *app.App {
		a, err := app.New(dbs.Wrap(db), k, app.Options{Mail: outbox, MailRate: 6000})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		return a
	}
	enqueue := func(a *app.App, key string) {
		m, err := a.Mailer.Compose("uk", mail.Content{Subject: "Ваш лист", Paragraphs: []string{"Дякуємо."}})
		if err != nil {
			t.Fatal(err)
		}
		m.Kind, m.To, m.Key = "test", key+"@example.org", key
		if err := a.Mail.Enqueue(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
			if len(files) == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the outbox holds %d messages, want %d", len(files), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	a := start()
	enqueue(a, "first") // queued before the worker runs
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(1)
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}

	enqueue(a, "second") // while no node runs
	b := start()
	ctx, stop = context.WithCancel(t.Context())
	defer stop()
	go func() { done <- b.Run(ctx) }()
	waitFor(2)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
