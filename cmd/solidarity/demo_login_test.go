package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// printedPassword finds the demo admin's password in what serve prints;
// formToken (dbsock_test.go) finds a form's token.
var printedPassword = regexp.MustCompile(`(?m)^  password: (\S+)$`)

// serveOnce runs serve on a free port until stop, and returns what it
// printed.
func serveOnce(t *testing.T, vars map[string]string) (base string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), stdout, stderr)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve stopped before listening: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start within 30 s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base, stdout, stderr, func() error {
		cancel()
		return <-done
	}
}

// client talks to the servers these tests start; it gives up on a request
// after 10 s, and its idle connections are closed before each server stops.
var client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consoleLogin signs in through the console's login form and returns the
// status and the session cookie.
func consoleLogin(t *testing.T, base, email, password string) (int, *http.Cookie) {
	t.Helper()
	res, err := client.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := formToken.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("no token on the login page")
	}
	req, err := http.NewRequest(http.MethodPost, base+"/admin/login",
		strings.NewReader(url.Values{"token": {m[1]}, "email": {email}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "solidarity_session" {
			return res.StatusCode, c
		}
	}
	return res.StatusCode, nil
}

// A demo start creates the demo admin with a random password, printed once
// on the terminal and never logged; the published one of old never works.
func TestDemoAdminGetsARandomPassword(t *testing.T) {
	t.Parallel()
	var passwords []string
	for range 2 {
		vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir()}
		base, stdout, stderr, stop := serveOnce(t, vars)
		m := printedPassword.FindStringSubmatch(stdout.String())
		if m == nil {
			stop()
			t.Fatalf("no demo password printed:\n%s", stdout.String())
		}
		password := m[1]
		passwords = append(passwords, password)
		if len(password) < 20 {
			t.Errorf("demo password %q is short", password)
		}
		if !strings.Contains(stdout.String(), "solidarity user passwd --email admin@example.org") {
			t.Error("the terminal does not say how to change the password")
		}
		if strings.Contains(stderr.String(), password) {
			t.Error("the demo password is in the log")
		}
		if st, _ := consoleLogin(t, base, "admin@example.org", "solidarity-demo"); st != 401 {
			t.Errorf("the old published password: %d, want 401", st)
		}
		st, cookie := consoleLogin(t, base, "admin@example.org", password)
		if st != 303 || cookie == nil {
			t.Fatalf("the printed password: %d, want 303 and a session", st)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/admin", nil)
		req.AddCookie(cookie)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("console with the printed password: %d", res.StatusCode)
		}
		client.CloseIdleConnections()
		if err := stop(); err != nil {
			t.Fatal(err)
		}

		// A second start on the same folder prints no password.
		_, stdout, _, stop = serveOnce(t, vars)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if printedPassword.MatchString(stdout.String()) {
			t.Error("a restart printed a demo password again")
		}
	}
	if passwords[0] == passwords[1] {
		t.Errorf("two fresh starts printed the same password %q", passwords[0])
	}
}

// Without demo mode and without settings for the first admin, no account
// is created at all.
func TestNoDemoNoAccount(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "SOLIDARITY_DEMO": "false"}
	base, stdout, stderr, stop := serveOnce(t, vars)
	defer func() {
		client.CloseIdleConnections()
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	if printedPassword.MatchString(stdout.String()) {
		t.Error("a password was printed without demo mode")
	}
	if !strings.Contains(stderr.String(), "no console account exists") {
		t.Error("the log does not say how to create the first account")
	}
	if st, _ := consoleLogin(t, base, "admin@example.org", "solidarity-demo"); st != 401 {
		t.Errorf("admin@example.org signs in: %d, want 401", st)
	}
}

// An installation whose demo admin still has the password older versions
// published gets a random one at the next start, shown once; the old one
// no longer signs in.
func TestPublishedDemoPasswordIsReplaced(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "SOLIDARITY_DEMO": "false"}
	if out, err := runCmd(t, vars, "solidarity-demo\n", "user", "add", "--email", "admin@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	base, stdout, stderr, stop := serveOnce(t, vars)
	defer stop()
	m := printedPassword.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no new password printed:\n%s", stdout.String())
	}
	if strings.Contains(stderr.String(), m[1]) {
		t.Error("the new password is in the log")
	}
	if st, _ := consoleLogin(t, base, "admin@example.org", "solidarity-demo"); st != 401 {
		t.Errorf("the published password: %d, want 401", st)
	}
	if st, cookie := consoleLogin(t, base, "admin@example.org", m[1]); st != 303 || cookie == nil {
		t.Errorf("the printed password: %d, want 303 and a session", st)
	}
}
