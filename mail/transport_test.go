package mail_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/solidarity-letters/solidarity/mail"
)

func TestOutbox(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	logs := &logs{}
	outbox, err := mail.NewOutbox(dir, mail.Sender{From: "letters@localhost"}, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	s := newSetup(t, func(o *mail.Options) { o.Transport = outbox })
	m := message(7)
	m.HTML = "<p>Hello.</p>"
	s.enqueue(t, m)
	if n := runOnce(t, s.queue); n != 1 {
		t.Fatalf("tried %d, want 1", n)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("outbox folder: %v, mode %v, want 0700", err, info.Mode().Perm())
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("outbox holds %v (%v), want one .eml file", files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("message file: %v, mode %v, want 0600", err, info.Mode().Perm())
	}
	if strings.Contains(filepath.Base(files[0]), "supporter") {
		t.Errorf("the file name %s holds the address", files[0])
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := netmail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the file is no message: %v", err)
	}
	if got := parsed.Header.Get("To"); !strings.Contains(got, m.To) {
		t.Errorf("To: %q, want %s", got, m.To)
	}
	if got := parsed.Header.Get("Subject"); got != m.Subject {
		t.Errorf("Subject: %q, want %q", got, m.Subject)
	}
	logged := logs.String() + s.logs.String()
	if !strings.Contains(logged, "Test message 7") || !strings.Contains(logged, "kind=test") {
		t.Errorf("the log lacks the kind and subject:\n%s", logged)
	}
	if strings.Contains(logged, "supporter7") {
		t.Errorf("the log holds the address:\n%s", logged)
	}
}

func TestStartTLSRequired(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.sink.OfferNoTLS()
	for _, tc := range []struct {
		security mail.Security
		sent     bool
	}{
		{mail.SecurityStartTLS, false},
		{mail.SecurityNone, true},
	} {
		opts := sinkOptions(s.sink)
		opts.Security = tc.security
		opts.Username, opts.Password = "", "" // go-mail refuses PLAIN over plain text
		smtp, err := mail.NewSMTP(mail.Sender{From: "letters@example.net"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		err = smtp.Send(t.Context(), &mail.Outgoing{Message: message(1), ID: "x", Date: time.Now()})
		if sent := err == nil || strings.Contains(err.Error(), "authentication required"); sent != tc.sent {
			t.Errorf("%s: got %v, want sent=%v", tc.security, err, tc.sent)
		}
	}
	if got := len(s.sink.Received()); got != 0 {
		t.Errorf("the server accepted %d messages without authentication", got)
	}
}

func TestDKIM(t *testing.T) {
	t.Parallel()
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		pem    []byte
		record string
	}{
		{"ed25519", pemOf(t, "PRIVATE KEY", edKey), "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub)},
		{"rsa", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}),
			"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := mail.ParseDKIMKey(tc.pem)
			if err != nil {
				t.Fatal(err)
			}
			sender := mail.Sender{From: "Letters <letters@example.net>", DKIM: &mail.DKIM{Domain: "example.net", Selector: "s2026", Key: key}}
			s := newSetup(t, nil)
			smtp, err := mail.NewSMTP(sender, sinkOptions(s.sink))
			if err != nil {
				t.Fatal(err)
			}
			m := message(1)
			m.HTML = "<p>Привіт.</p>"
			m.Headers = map[string]string{"List-Unsubscribe": "<https://letters.example.net/u/x>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
			if err := smtp.Send(t.Context(), &mail.Outgoing{Message: m, ID: "x", Date: time.Now()}); err != nil {
				t.Fatal(err)
			}
			got := s.sink.Received()
			if len(got) != 1 {
				t.Fatalf("received %d, want 1", len(got))
			}
			verifications, err := dkim.VerifyWithOptions(bytes.NewReader(got[0].Data), &dkim.VerifyOptions{
				LookupTXT: func(domain string) ([]string, error) {
					if domain != "s2026._domainkey.example.net" {
						t.Errorf("looked up %s", domain)
					}
					return []string{tc.record}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != "example.net" {
				t.Fatalf("verification %+v, want one valid signature of example.net", *verifications[0])
			}
			for _, h := range []string{"from", "subject", "list-unsubscribe"} {
				if !containsFold(verifications[0].HeaderKeys, h) {
					t.Errorf("the signature does not cover %s (%v)", h, verifications[0].HeaderKeys)
				}
			}
			// A changed body fails.
			tampered := bytes.Replace(got[0].Data, []byte("Hello."), []byte("Hello!"), 1)
			v, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{
				LookupTXT: func(string) ([]string, error) { return []string{tc.record}, nil }})
			if err != nil || len(v) != 1 || v[0].Err == nil {
				t.Errorf("a changed body verified: %v %+v", err, v)
			}
		})
	}
	// Without DKIM there is no signature.
	s := newSetup(t, nil)
	s.enqueue(t, message(2))
	runOnce(t, s.queue)
	if got := s.sink.Received(); len(got) != 1 || bytes.Contains(got[0].Data, []byte("DKIM-Signature")) {
		t.Error("a message without DKIM configured was signed, or not sent")
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func pemOf(t *testing.T, typ string, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// The outbox forgets a message, and the address in it, once it has kept
// it for OutboxKeep; younger ones and other files stay.
func TestOutboxPrune(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := mail.NewOutbox(dir, mail.Sender{From: "letters@localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name string
		age  time.Duration
	}{
		{"old.eml", mail.OutboxKeep + time.Minute},
		{"older.eml", 30 * 24 * time.Hour},
		{"young.eml", mail.OutboxKeep - time.Minute},
		{"notes.txt", 30 * 24 * time.Hour},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("To: anna@example.org\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.Prune(now)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want the 2 messages older than %s", n, err, mail.OutboxKeep)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, p := range left {
		names = append(names, filepath.Base(p))
	}
	if !slices.Equal(names, []string{"notes.txt", "young.eml"}) {
		t.Errorf("left %v, want notes.txt and young.eml", names)
	}
}
