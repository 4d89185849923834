package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// solidarity bench --quick runs every measure at tiny sizes and prints
// every row of its table, each with a result, and no request of a load
// measure failed (a sign form the bench cannot fill in any more shows
// here).
func TestBenchQuick(t *testing.T) {
	t.Setenv(asBinary, "1") // the bench's children run as solidarity
	var out, log syncBuffer
	if err := run(context.Background(), []string{"bench", "--quick"}, env(nil), strings.NewReader(""), &out, &log); err != nil {
		t.Fatalf("bench --quick: %v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantRows := []string{
		"GET /healthz ",
		"raw InsertMany, unordered",
		"GET /api/v1/campaigns/bench-main ",
		"GET /c/bench-main ",
		"GET / ",
		"POST /c/{slug}/sign, 50 stored ",
		"POST /c/{slug}/sign, 20 stored ",
		"console signature list, 200 ",
		"POST /c/{slug}/sign, 400 stored ",
		"sign POST as it grows, 20 → 400 ",
		"console signature list, 400 ",
		"start-up to /readyz, ",
		"bundle, 200 signatures + 20 greetings ",
	}
	if len(lines) != len(wantRows)+1 || !strings.HasPrefix(lines[0], "path ") {
		t.Fatalf("the table has %d lines, want a header and %d rows:\n%s", len(lines), len(wantRows), out.String())
	}
	for i, want := range wantRows {
		row := lines[i+1]
		if !strings.HasPrefix(row, want) {
			t.Errorf("row %d is %q, want %q first", i+1, row, want)
		}
		if strings.Contains(row, "failed") {
			t.Errorf("row %d failed: %s", i+1, row)
		}
		fields := strings.Fields(row)
		if last := fields[len(fields)-1]; last != "met" && last != "-" && !strings.HasSuffix(row, "not met") {
			t.Errorf("row %d has no result: %s", i+1, row)
		}
	}
	if t.Failed() {
		t.Logf("table:\n%s\nlog:\n%s", out.String(), log.String())
	}
}

// solidarity bench --only bundle measures the bundle alone, once with each
// --baseline binary and then with this one, and --profile receives the
// bundle's CPU and heap profiles; another measure cannot run alone.
func TestBenchOnlyBundle(t *testing.T) {
	t.Setenv(asBinary, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, log syncBuffer
	args := []string{"bench", "--quick", "--only", "bundle", "--baseline", exe, "--profile", dir}
	if err := run(context.Background(), args, env(nil), strings.NewReader(""), &out, &log); err != nil {
		t.Fatalf("bench --only bundle: %v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantRows := []string{"bundle, 200 signatures + 20 greetings (" + filepath.Base(exe) + ") ", "bundle, 200 signatures + 20 greetings "}
	if len(lines) != len(wantRows)+1 {
		t.Fatalf("the table has %d lines, want a header and %d rows:\n%s\n%s", len(lines), len(wantRows), out.String(), log.String())
	}
	for i, want := range wantRows {
		if row := lines[i+1]; !strings.HasPrefix(row, want) || strings.Contains(row, "failed") || !strings.Contains(row, "MB peak RSS") {
			t.Errorf("row %d is %q, want %q first and a measure", i+1, row, want)
		}
	}
	for _, name := range []string{"bundle-cpu.pprof", "bundle-heap.pprof"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
	}
	err = run(context.Background(), []string{"bench", "--quick", "--only", "signing"}, env(nil), strings.NewReader(""), &out, &log)
	if err == nil || !strings.Contains(err.Error(), "only measure that runs alone is bundle") {
		t.Errorf("bench --only signing: %v, want a refusal", err)
	}
}
