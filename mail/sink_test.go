package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/smtpsink"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// newSink starts an SMTP server inside the test; it stops when the test
// ends.
func newSink(t *testing.T) *smtpsink.Sink { return smtpsink.New(t) }

// sinkOptions are the transport options that reach the sink.
func sinkOptions(s *smtpsink.Sink) mail.SMTPOptions {
	return mail.SMTPOptions{Host: s.Host, Port: s.Port, Username: smtpsink.User, Password: smtpsink.Password,
		Security: mail.SecurityStartTLS, TLSConfig: s.ClientTLS, Timeout: 10 * time.Second}
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
