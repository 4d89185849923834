package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var pprofAt = regexp.MustCompile(`addr=(http://\S+/debug/pprof/)`)

// SOLIDARITY_PPROF_ADDR serves the profiler on its own loopback listener,
// never on the public server, and stops it with the server.
func TestPprofOnItsOwnListener(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(),
		"SOLIDARITY_DEMO": "false", "SOLIDARITY_PPROF_ADDR": "127.0.0.1:0"}
	base, _, stderr, stop := serveOnce(t, vars)
	m := pprofAt.FindStringSubmatch(stderr.String())
	if m == nil {
		stop()
		t.Fatalf("no profiler address in the log:\n%s", stderr.String())
	}
	for _, tc := range []struct {
		url  string
		want int
	}{
		{m[1] + "cmdline", http.StatusOK},
		{m[1] + "goroutine?debug=1", http.StatusOK},
		{base + "/debug/pprof/", http.StatusNotFound},
		{base + "/debug/pprof/cmdline", http.StatusNotFound},
	} {
		res, err := client.Get(tc.url)
		if err != nil {
			t.Errorf("GET %s: %v", tc.url, err)
			continue
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.url, res.StatusCode, tc.want)
		}
	}
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if res, err := client.Get(m[1]); err == nil {
		res.Body.Close()
		t.Errorf("the profiler still answers after the server stopped: %d", res.StatusCode)
	}
}

// An address other machines could reach stops start-up.
func TestPprofRefusesPublicAddress(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "SOLIDARITY_PPROF_ADDR": "0.0.0.0:6060"}
	var out syncBuffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "SOLIDARITY_PPROF_ADDR") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("serve with the profiler on 0.0.0.0: %v; want a refusal naming the setting", err)
	}
}
