package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// The sink's account.
const (
	sinkUser     = "relay"
	sinkPassword = "s3cret-relay-pass"
)

// received is one message the sink accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// sink is an SMTP server inside the test, on a random loopback port, with
// STARTTLS under a certificate the test makes and PLAIN authentication.
type sink struct {
	srv  *smtp.Server
	host string
	port int
	tls  *tls.Config // the client's: trusts the sink's certificate

	mu       sync.Mutex
	messages []received
	// failures are answered, one each, to the next DATA commands
	// (nil: accept).
	failures []error
	authed   int
	// datas counts the DATA commands, accepted or not.
	datas int
}

// newSink starts a sink; it stops when the test ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	cert, pool := testCertificate(t)
	s := &sink{host: "127.0.0.1", tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }))
	s.srv.Domain = "sink.test"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// failNext makes the sink answer the next DATA commands with errs, in
// order.
func (s *sink) failNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, errs...)
}

// tries returns how many messages the sink was offered.
func (s *sink) tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datas
}

// got returns what the sink accepted so far.
func (s *sink) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

// options are the transport options that reach the sink.
func (s *sink) options() mail.SMTPOptions {
	return mail.SMTPOptions{Host: s.host, Port: s.port, Username: sinkUser, Password: sinkPassword,
		Security: mail.SecurityStartTLS, TLSConfig: s.tls, Timeout: 10 * time.Second}
}

// smtpError is an SMTP answer of code with message.
func smtpError(code int, message string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: message}
}

type sinkSession struct {
	sink   *sink
	authed bool
	from   string
	to     []string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != sinkUser || pass != sinkPassword {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		ss.sink.mu.Lock()
		ss.sink.authed++
		ss.sink.mu.Unlock()
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtpError(530, "authentication required")
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	s.datas++
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		if f != nil {
			return f
		}
	}
	s.messages = append(s.messages, received{From: ss.from, To: ss.to, Data: b})
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// testCertificate makes a self-signed certificate for 127.0.0.1 and the
// pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// clock is a test clock whose waits move it on, recording them.
type clock struct {
	*testclock.Clock
	mu    sync.Mutex
	waits []time.Duration
}

func newClock() *clock {
	return &clock{Clock: testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))}
}

// wait is a Queue's Options.Wait: the clock moves on by d at once.
func (c *clock) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	c.Add(d)
	return ctx.Err()
}

// logs captures a logger's records as text.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// emailKey keys the idempotency hashes of the tests.
var emailKey = []byte("test email key, 32 bytes long!!")

// address is the i-th test recipient.
func address(i int) string { return "supporter" + strconv.Itoa(i) + "@example.org" }
