// Package smtpsink is an SMTP server for tests: it listens on a random
// loopback port, offers STARTTLS under a certificate it makes, asks for
// PLAIN authentication, keeps every message it accepts in memory, and
// answers the failures a test asks for. The mail package's tests and the
// end-to-end tests of the web app send to it through the real SMTP
// transport.
package smtpsink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The sink's only account.
const (
	User     = "relay"
	Password = "s3cret-relay-pass"
)

// Message is one message the sink accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Sink is a running SMTP server. Its exported fields say how to reach it.
type Sink struct {
	// Host and Port are the server's address (127.0.0.1 and a free port).
	Host string
	Port int
	// ClientTLS is a client's TLS configuration that trusts the sink's
	// certificate.
	ClientTLS *tls.Config

	srv *smtp.Server

	mu       sync.Mutex
	messages []Message
	// failures are answered, one each, to the next DATA commands (nil:
	// accept).
	failures []error
	authed   int
	datas    int // DATA commands, accepted or not
}

// New starts a sink; it stops when the test ends.
func New(t testing.TB) *Sink {
	t.Helper()
	cert, pool := certificate(t)
	s := &Sink{Host: "127.0.0.1", ClientTLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }))
	s.srv.Domain = "sink.test"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
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

// OfferNoTLS stops the sink from offering STARTTLS. Call it before the
// first connection.
func (s *Sink) OfferNoTLS() { s.srv.TLSConfig = nil }

// FailNext makes the sink answer the next DATA commands with errs, in
// order; a nil error accepts that message.
func (s *Sink) FailNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, errs...)
}

// Tries returns how many messages the sink was offered, accepted or not.
func (s *Sink) Tries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datas
}

// Authed returns how many sessions authenticated.
func (s *Sink) Authed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

// Received returns the messages accepted so far, in the order they came.
func (s *Sink) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until the sink has accepted n messages, at most timeout,
// and returns them; it fails the test if fewer came.
func (s *Sink) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Received()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SMTP sink received %d messages in %s, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Error is an SMTP answer of code with message, for FailNext: 4xx is
// temporary, 5xx permanent.
func Error(code int, message string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: message}
}

// session is one client connection.
type session struct {
	sink   *Sink
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		ss.sink.mu.Lock()
		ss.sink.authed++
		ss.sink.mu.Unlock()
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return Error(530, "authentication required")
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
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
	s.messages = append(s.messages, Message{From: ss.from, To: ss.to, Data: b})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// certificate makes a self-signed certificate for 127.0.0.1 and the pool
// that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
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
