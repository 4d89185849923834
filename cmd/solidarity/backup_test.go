package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// apiSignatures is the count the public API of the server at base gives
// for slug.
func apiSignatures(t *testing.T, base, slug string) int64 {
	t.Helper()
	status, body := get(t, base+"/api/v1/campaigns/"+slug)
	var c struct {
		Signatures int64 `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || status != 200 {
		t.Fatalf("GET the campaign's API: %d, %v", status, err)
	}
	return c.Signatures
}

// The commands end to end on the embedded database: keygen, a backup
// while the server runs on it, verify, and restore into another data
// folder, which then serves the demo campaign with the same count;
// restore refuses a database with data without --replace, a wrong key,
// a cut file and a changed byte.
func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, keyDir := t.TempDir(), t.TempDir()
	identity := filepath.Join(keyDir, "backup.key")
	var out bytes.Buffer
	if err := run(ctx, []string{"backup", "keygen", "--out", identity}, env(nil), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	recipient := regexp.MustCompile(`age1[0-9a-z]+`).FindString(out.String())
	if recipient == "" {
		t.Fatalf("keygen printed no public key:\n%s", out.String())
	}
	if info, err := os.Stat(identity); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the identity file: %v, %v; want mode 0600", info, err)
	}
	if err := run(ctx, []string{"backup", "keygen", "--out", identity}, env(nil), strings.NewReader(""), &out, &out); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("keygen over an existing key: %v, want it refused", err)
	}

	const slug = "ales-bialiatski-july"
	base, stop := start(t, map[string]string{"SOLIDARITY_DATA_DIR": dir})
	want := apiSignatures(t, base, slug)
	file := filepath.Join(keyDir, "site.backup.age")
	out.Reset()
	err := run(ctx, []string{"backup", "--out", file}, env(map[string]string{"SOLIDARITY_DATA_DIR": dir, "SOLIDARITY_BACKUP_RECIPIENT": recipient}), strings.NewReader(""), &out, &out)
	if err != nil {
		t.Fatalf("backup while the server runs: %v\n%s", err, out.String())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"backup", "verify", "--in", file, "--identity", identity}, env(nil), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, w := range []string{"signatures", "campaigns", "keyring", "complete and unchanged"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("verify does not say %q:\n%s", w, out.String())
		}
	}

	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut, flipped := filepath.Join(keyDir, "cut.age"), filepath.Join(keyDir, "flipped.age")
	os.WriteFile(cut, b[:len(b)*2/3], 0o600)
	b[len(b)/2] ^= 0x40
	os.WriteFile(flipped, b, 0o600)
	other := filepath.Join(keyDir, "other.key")
	if err := run(ctx, []string{"backup", "keygen", "--out", other}, env(nil), strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": restored, "SOLIDARITY_DEMO": "false"}
	for _, tt := range []struct{ name, in, id, want string }{
		{"wrong identity", file, other, "does not open this backup"},
		{"cut short", cut, identity, "damaged or incomplete"},
		{"changed byte", flipped, identity, "damaged or incomplete"},
	} {
		if err := run(ctx, []string{"restore", "--in", tt.in, "--identity", tt.id}, env(vars), strings.NewReader(""), &out, &out); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("restore, %s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "--in", file, "--identity", identity}, env(vars), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("restore into an empty database: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "recounted") {
		t.Errorf("restore does not say it recounted:\n%s", out.String())
	}
	err = run(ctx, []string{"restore", "--in", file, "--identity", identity}, env(vars), strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--replace") || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a database with data: %v, want it refused, naming --replace", err)
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "--in", file, "--identity", identity, "--replace"}, env(vars), strings.NewReader(""), &out, &out); err != nil || !strings.Contains(out.String(), "dropped") {
		t.Errorf("restore --replace: %v, said\n%s", err, out.String())
	}
	base, stop = start(t, vars)
	defer stop()
	if got := apiSignatures(t, base, slug); got != want || want == 0 {
		t.Errorf("the restored site counts %d signatures, the original %d", got, want)
	}
}
