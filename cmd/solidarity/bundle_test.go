package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The bundle command makes the console's status check: for a recipient
// who was released, is held incommunicado or died it warns and builds
// nothing, unless --despite-status is given; and the envelopes carry the
// address valid on the day it runs (a transfer before it, not one after).
func TestBundleCommandChecksTheRecipientsStatus(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	_, stop := start(t, vars) // seeds the demo
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	ctx := context.Background()
	const slug = "ales-bialiatski-july"
	var c *campaign.Campaign
	// record adds a change of the demo recipient's situation, days from
	// today in the campaign's time zone.
	record := func(s campaign.Situation, days int, address ...string) {
		t.Helper()
		a, done, err := openApp(ctx, env(vars), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		if c, err = a.Campaigns.CampaignBySlug(ctx, slug); err != nil {
			t.Fatal(err)
		}
		day := time.Now().In(c.Location()).AddDate(0, 0, days).Format(time.DateOnly)
		if _, err := a.Signing.AddRecipientChange(ctx, c.RecipientID, campaign.StatusChange{Situation: s, Day: day, Address: address}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	build := func(name string, extra ...string) (string, string, error) {
		out := filepath.Join(t.TempDir(), name)
		var msg bytes.Buffer
		args := append([]string{"bundle", "--campaign", slug, "--out", out}, extra...)
		err := run(ctx, args, env(vars), strings.NewReader(""), &msg, &msg)
		return out, msg.String(), err
	}

	record(campaign.SituationTransferred, -5, "Penal colony No. 9", "Novopolotsk")
	record(campaign.SituationTransferred, 3, "Colony 15", "Mahiliou")
	out, msg, err := build("moved.zip")
	if err != nil {
		t.Fatalf("bundle after a transfer: %v\n%s", err, msg)
	}
	if !strings.Contains(msg, ": Penal colony No. 9, Novopolotsk\n") || strings.Contains(msg, "warning: Ales") {
		t.Errorf("after a transfer the command says:\n%s", msg)
	}
	if text, ok := envelopesText(t, out); ok && (!strings.Contains(text, "Penal colony No. 9") || strings.Contains(text, "Colony 15")) {
		t.Errorf("the envelopes do not carry the address valid today alone:\n%s", text)
	}

	for i, tc := range []struct {
		situation campaign.Situation
		says      string
	}{
		{campaign.SituationReleased, "was released on "},
		{campaign.SituationIncommunicado, "has been held incommunicado since "},
		{campaign.SituationDeceased, "died on "},
	} {
		t.Run(string(tc.situation), func(t *testing.T) {
			record(tc.situation, -4+i)
			out, msg, err := build("refused.zip")
			if err == nil || !strings.Contains(err.Error(), "--despite-status") || !strings.Contains(msg, "warning: Ales Bialiatski "+tc.says) {
				t.Errorf("without --despite-status: %v\n%s", err, msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the refused bundle was written")
			}
			out, msg, err = build("despite.zip", "--despite-status")
			if err != nil || !strings.Contains(msg, "warning: Ales Bialiatski "+tc.says) {
				t.Errorf("with --despite-status: %v\n%s", err, msg)
			}
			if info, err := os.Stat(out); err != nil || info.Size() == 0 {
				t.Errorf("the bundle built despite the status: %v, %v", info, err)
			}
		})
	}

	a, done, err := openApp(ctx, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	entries, _, err := a.Audit.Page(ctx, audit.Cursor{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == audit.BundleBuilt && e.Actor == "cli" && strings.Contains(e.Detail, "built despite the recipient's status") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d audit entries of bundles built despite the status, want 3", n)
	}
}

// envelopesText is the text of envelopes.pdf in the bundle at path, and
// false without pdftotext.
func envelopesText(t *testing.T, path string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return "", false
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("envelopes.pdf")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(t.TempDir(), "envelopes.pdf")
	if err := os.WriteFile(pdf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(text), true
}
