package main

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/mail"
)

// TestMailTransportWritesTheOutboxOnlyWhenAsked checks that a site without
// SMTP keeps messages sealed in the queue, unless the demo is on or the
// outbox is asked for: the outbox holds addresses in the clear.
func TestMailTransportWritesTheOutboxOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		demo, outbox bool
		wantOutbox   bool
	}{
		{"real site", false, false, false},
		{"real site asking for the outbox", false, true, true},
		{"demo", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Config{DataDir: t.TempDir(), Demo: tc.demo, Mail: config.Mail{From: config.DefaultMailFrom, Outbox: tc.outbox}}
			var logs bytes.Buffer
			tr, err := mailTransport(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			_, isOutbox := tr.(*mail.Outbox)
			_, statErr := os.Stat(filepath.Join(cfg.DataDir, "outbox"))
			folder := !errors.Is(statErr, fs.ErrNotExist)
			if isOutbox != tc.wantOutbox || folder != tc.wantOutbox {
				t.Errorf("got outbox transport %v, outbox folder %v; want %v", isOutbox, folder, tc.wantOutbox)
			}
			if !tc.wantOutbox && (tr != nil || !strings.Contains(logs.String(), "mail is not being sent")) {
				t.Errorf("got transport %T and log %q; want none and a warning that mail is not being sent", tr, logs.String())
			}
		})
	}
}
