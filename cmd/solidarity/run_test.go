package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/keys"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// configHome is the configuration folder of the tests that set no
// XDG_CONFIG_HOME of their own, so that no test touches the real
// ~/.config/solidarity/keys.
var configHome string

// asBinary, set in the environment, makes the test binary run as the
// solidarity command, with its arguments: the bench starts its own binary
// for start-up and the bundle, and the fault tests start serve as a
// process of its own, to kill; in the tests that binary is this one.
const asBinary = "SOLIDARITY_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "solidarity-config-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	configHome = dir
	// The tests that share it run in parallel: make its key file now, or
	// two first starts would race to create it.
	data, err := os.MkdirTemp("", "solidarity-data-*")
	if err == nil {
		_, err = keys.Load(keys.Options{DataDir: data, Getenv: env(nil), Now: time.Now})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(data)
	os.RemoveAll(dir)
	os.Exit(code)
}

func env(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		if k == "XDG_CONFIG_HOME" {
			return configHome
		}
		return ""
	}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// start runs serve on a free port until the returned stop is called.
func start(t *testing.T, vars map[string]string) (base string, stop func() error) {
	t.Helper()
	base, _, _, stop = serveOnce(t, vars)
	return base, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeDemoOnEmbeddedDatabase(t *testing.T) {
	t.Parallel()
	dir, cfgDir := t.TempDir(), t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": dir, "XDG_CONFIG_HOME": cfgDir}
	base, stop := start(t, vars)

	status, home := get(t, base+"/")
	if status != 200 || !strings.Contains(home, "Send a message to Ales Bialiatski before 12 July") {
		t.Fatalf("home page: %d, without the demo campaign", status)
	}
	if !strings.Contains(home, "New Year greetings for Ales Bialiatski") {
		t.Error("home page does not list the closed demo campaign")
	}
	// The closed campaign closed weeks ago, whatever today is, and says
	// what happened to its letter since.
	status, closed := get(t, base+"/c/ales-bialiatski-new-year")
	if status != 200 || !strings.Contains(closed, `<p class="deadline closed">Reply received on `) || !strings.Contains(closed, "3 letters sent on ") {
		t.Errorf("closed demo campaign: %d, without its delivery timeline", status)
	}
	status, page := get(t, base+"/c/ales-bialiatski-july")
	if status != 200 || !strings.Contains(page, "DEMO") && !strings.Contains(page, "demo campaign") {
		t.Errorf("demo campaign page: %d, not marked as a demo", status)
	}
	if !strings.Contains(home, ">Letters for Freedom<") || !strings.Contains(home, "demo data, not a real organisation") {
		t.Error("home page footer does not name the demo organisation as a demo")
	}
	status, contact := get(t, base+"/contact")
	if status != 200 || !strings.Contains(contact, "DEMO ADDRESS") || !strings.Contains(contact, "Do not write to this address") {
		t.Errorf("contact page: %d, without the demo profile marked as a demo", status)
	}
	status, api := get(t, base+"/api/v1/campaigns/ales-bialiatski-july")
	if status != 200 || !regexp.MustCompile(`"signatures":[1-9]\d{2,}`).MatchString(api) || !strings.Contains(api, `"status":"open"`) {
		t.Errorf("demo campaign API: %d %s, want hundreds of signatures and open", status, api)
	}
	info, err := os.Stat(filepath.Join(cfgDir, "solidarity", "keys"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("generated key file: %v, mode %v; want a 0600 file", err, info)
	}
	// With the demo on and without an SMTP server, messages to supporters go
	// to the outbox, which only its owner may read.
	if info, err := os.Stat(filepath.Join(dir, "outbox")); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("outbox folder: %v, %v; want a 0700 folder", err, info)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data folder holds a secret: %v", err)
	}
	// The container health check asks the running server, and fails once
	// it has stopped.
	var hc bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", "--url", base + "/readyz"}, env(vars), strings.NewReader(""), &hc, &hc); err != nil || hc.String() != "ready\n" {
		t.Errorf("healthcheck of the running server: %v, %q", err, hc.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := run(context.Background(), []string{"healthcheck", "--url", base + "/readyz", "--timeout", "2s"}, env(vars), strings.NewReader(""), &hc, &hc); err == nil {
		t.Error("healthcheck of a stopped server succeeded")
	}

	// The command line builds the demo campaign's bundle, by default in
	// Belarusian, the first language its prison takes, without a warning;
	// in English only with one; not in a language it has no text in.
	out := filepath.Join(t.TempDir(), "bundle.zip")
	for _, tc := range []struct {
		args []string
		want string // in what the command says
		warn bool
	}{
		{nil, " in be: ", false},
		{[]string{"--lang", "ru"}, " in ru: ", false},
		{[]string{"--lang", "en"}, " in en: ", true},
	} {
		var msg bytes.Buffer
		args := append([]string{"bundle", "--campaign", "ales-bialiatski-july", "--out", out}, tc.args...)
		if err := run(context.Background(), args, env(vars), strings.NewReader(""), &msg, &msg); err != nil {
			t.Fatalf("bundle %v: %v\n%s", tc.args, err, msg.String())
		}
		if info, err := os.Stat(out); err != nil || info.Size() == 0 || !strings.Contains(msg.String(), tc.want) {
			t.Errorf("bundle %v wrote %v (%v): %s", tc.args, info, err, msg.String())
		}
		if got := strings.Contains(msg.String(), "warning:"); got != tc.warn || tc.warn && !strings.Contains(msg.String(), "warning: the letter prints in en, but the prison lets letters through only in be, ru") {
			t.Errorf("bundle %v warned: %v, want %v\n%s", tc.args, got, tc.warn, msg.String())
		}
	}
	var msg bytes.Buffer
	if err := run(context.Background(), []string{"bundle", "--campaign", "ales-bialiatski-july", "--out", out, "--lang", "lt"},
		env(vars), strings.NewReader(""), &msg, &msg); err == nil || !strings.Contains(err.Error(), "has no text in \"lt\"; it has: en, be, ru") {
		t.Errorf("a bundle in Lithuanian, which the demo has no text in: %v", err)
	}
	if err := run(context.Background(), []string{"bundle", "--campaign", "nope", "--out", out}, env(vars), strings.NewReader(""), &msg, &msg); err == nil {
		t.Error("a bundle of an unknown campaign succeeded")
	}

	// A second start on the same folder keeps the data and seeds nothing new.
	base, stop = start(t, vars)
	defer stop()
	if _, again := get(t, base+"/api/v1/campaigns/ales-bialiatski-july"); again != api {
		t.Errorf("after restart the API says %s, want %s", again, api)
	}
}

func TestRunRejectsBadSettings(t *testing.T) {
	t.Parallel()
	// A DKIM key that other users can read.
	openKey := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(openKey, []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"unknown subcommand", []string{"frobnicate"}, nil, `unknown subcommand "frobnicate"`},
		{"bad address", []string{"serve"}, map[string]string{"SOLIDARITY_ADDR": "nowhere"}, "SOLIDARITY_ADDR"},
		{"bad demo flag", []string{"serve", "--demo=perhaps"}, nil, "SOLIDARITY_DEMO"},
		{"data folder is a file", []string{"serve"}, map[string]string{"SOLIDARITY_DATA_DIR": "/dev/null"}, "/dev/null"},
		{"unreachable MongoDB, for a command other than serve", []string{"user", "list"}, map[string]string{
			"MONGODB_URI":         "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300",
			"SOLIDARITY_DATA_DIR": t.TempDir(),
		}, "did not answer"},
		{"DKIM key readable by others", []string{"serve"}, map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(),
			"SOLIDARITY_DKIM_KEY_FILE": openKey, "SOLIDARITY_DKIM_SELECTOR": "s1", "SOLIDARITY_DKIM_DOMAIN": "example.org"}, "chmod 600"},
		{"SMTP without a sender", []string{"serve"}, map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(),
			"SOLIDARITY_SMTP_URL": "smtp://mailer:pa55word@mail.example.org"}, "SOLIDARITY_MAIL_FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.vars), strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run error = %v, want one naming %q", err, tt.want)
			}
			if strings.Contains(out.String()+fmt.Sprint(err), "pa55word") {
				t.Errorf("the SMTP password was shown: %v\n%s", err, out.String())
			}
		})
	}
}

func TestHelpListsSubcommandsAndSettings(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env(nil), strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serve", "version", "SOLIDARITY_ADDR", "MONGODB_URI", "SOLIDARITY_DATA_DIR", "SOLIDARITY_BASE_URL",
		"SOLIDARITY_SECRET", "SOLIDARITY_SECRET_FILE", "keys", "SOLIDARITY_DEMO", "SOLIDARITY_TRUSTED_PROXIES", "user", "SOLIDARITY_ADMIN_EMAIL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

func TestUserCommands(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir()}
	tests := []struct {
		args  []string
		stdin string
		want  string // in the output, or in the error when wantErr
		err   bool
	}{
		{[]string{"user", "add", "--email", "Ola@Example.org", "--role", "moderator"}, "a long enough password\n", "added ola@example.org (moderator)", false},
		{[]string{"user", "add", "--email", "ola@example.org", "--role", "moderator"}, "a long enough password\n", "already exists", true},
		{[]string{"user", "add", "--email", "x@example.org", "--role", "boss"}, "a long enough password\n", `unknown role "boss"`, true},
		{[]string{"user", "add", "--email", "x@example.org", "--role", "admin"}, "short\n", "12 to 256 characters", true},
		{[]string{"user", "add", "--role", "admin"}, "", "--email is required", true},
		{[]string{"user", "list"}, "", "ola@example.org  moderator  active", false},
		{[]string{"user", "disable", "--email", "ola@example.org"}, "", "disabled ola@example.org", false},
		{[]string{"user", "list"}, "", "disabled", false},
		{[]string{"user", "passwd", "--email", "ola@example.org"}, "another long password\n", "changed the password", false},
		{[]string{"user", "passwd", "--email", "nobody@example.org"}, "another long password\n", "not found", true},
		{[]string{"user", "reset-2fa", "--email", "ola@example.org"}, "", "turned off the second factor of ola@example.org", false},
		{[]string{"user", "reset-2fa", "--email", "nobody@example.org"}, "", "not found", true},
		{[]string{"user", "frob"}, "", "unknown subcommand", true},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := run(context.Background(), tt.args, env(vars), strings.NewReader(tt.stdin), &out, &out)
		if (err != nil) != tt.err {
			t.Errorf("%v: error = %v, want error %v", tt.args, err, tt.err)
			continue
		}
		got := out.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%v: got %q, want it to contain %q", tt.args, got, tt.want)
		}
	}
}

// A server stopped the moment it says it listens shuts down: the listener
// handed to the web server just before the stop is closed too.
func TestServeStopsRightAfterStarting(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "SOLIDARITY_DEMO": "false"}
	for range 10 {
		_, _, _, stop := serveOnce(t, vars)
		stopped := make(chan error, 1)
		go func() { stopped <- stop() }()
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30 s of being asked")
		}
	}
}
