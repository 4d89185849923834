package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/smtpsink"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

// setup is a queue over a fresh database that sends to a sink.
type setup struct {
	db    *mongo.Database
	sink  *smtpsink.Sink
	clock *clock
	logs  *logs
	queue *mail.Queue
	opts  mail.Options
}

func newSetup(t *testing.T, change func(*mail.Options)) *setup {
	t.Helper()
	s := &setup{db: dbs.Database(t), sink: newSink(t), clock: newClock(), logs: &logs{}}
	smtp, err := mail.NewSMTP(mail.Sender{From: "Letters <letters@example.net>"}, sinkOptions(s.sink))
	if err != nil {
		t.Fatal(err)
	}
	s.opts = mail.Options{Transport: smtp, Rate: 100000, Now: s.clock.Now, Wait: s.clock.wait, Log: s.logs.logger()}
	if change != nil {
		change(&s.opts)
	}
	s.queue = s.newQueue(t)
	if err := s.queue.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newQueue is another node's queue over the same database.
func (s *setup) newQueue(t *testing.T) *mail.Queue {
	return mail.New(s.db, testdb.Keys(t), emailKey, s.opts)
}

// message is a plain test message to the i-th address.
func message(i int) mail.Message {
	return mail.Message{Kind: "test", Lang: "en", To: address(i), Subject: fmt.Sprintf("Test message %d", i),
		Text: "Hello.\n", Key: fmt.Sprintf("test/%d", i)}
}

func (s *setup) enqueue(t *testing.T, msgs ...mail.Message) {
	t.Helper()
	for _, m := range msgs {
		if err := s.queue.Enqueue(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// runOnce runs one pass of q and returns how many messages it tried.
func runOnce(t *testing.T, q *mail.Queue) int {
	t.Helper()
	n, err := q.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *setup) status(t *testing.T) mail.Status {
	t.Helper()
	st, err := s.queue.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSendsAndForgetsTheMessage(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	m := message(1)
	m.HTML = "<p>Hello.</p>"
	m.Headers = map[string]string{"List-Unsubscribe": "<https://letters.example.net/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	s.enqueue(t, m)

	// At rest the address, subject and bodies are sealed.
	raw, err := s.db.Collection("mail_queue").FindOne(t.Context(), bson.M{}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{m.To, "supporter1", m.Subject, "Hello.", "letters.example.net"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the stored message holds %q in plain text", plain)
		}
	}

	if n := runOnce(t, s.queue); n != 1 {
		t.Fatalf("tried %d messages, want 1", n)
	}
	got := s.sink.Received()
	if len(got) != 1 {
		t.Fatalf("the server received %d messages, want 1", len(got))
	}
	if len(got[0].To) != 1 || got[0].To[0] != m.To || got[0].From != "letters@example.net" {
		t.Errorf("envelope from %q to %v, want letters@example.net to %s", got[0].From, got[0].To, m.To)
	}
	data := string(got[0].Data)
	for _, want := range []string{"Subject: Test message 1", "List-Unsubscribe: <https://letters.example.net/u/abc>",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click", "multipart/alternative", "text/plain", "text/html"} {
		if !strings.Contains(data, want) {
			t.Errorf("the message lacks %q:\n%s", want, data)
		}
	}
	if s.sink.Authed() == 0 {
		t.Error("the queue sent without authenticating")
	}

	// Sent: only the kind, state and dates remain.
	if n, err := s.db.Collection("mail_queue").CountDocuments(t.Context(), bson.M{}); err != nil || n != 0 {
		t.Errorf("the queue holds %d messages after sending (%v), want 0", n, err)
	}
	cur, err := s.db.Collection("mail_log").Find(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []bson.M
	if err := cur.All(t.Context(), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0]["state"] != "sent" || entries[0]["kind"] != "test" {
		t.Fatalf("log %v, want one sent test message", entries)
	}
	for k := range entries[0] {
		switch k {
		case "_id", "kind", "state", "attempts", "created_at", "finished_at":
		default:
			t.Errorf("the log keeps the field %q", k)
		}
	}
	if st := s.status(t); st.Total.Sent != 1 || st.Total.Waiting != 0 {
		t.Errorf("status %+v, want 1 sent, none waiting", st.Total)
	}
}

func TestOneMessageAKey(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	m := message(1)
	s.enqueue(t, m)
	if err := s.queue.Enqueue(t.Context(), m); !errors.Is(err, mail.ErrDuplicate) {
		t.Fatalf("second enqueue: %v, want ErrDuplicate", err)
	}
	runOnce(t, s.queue)
	// Still after it was sent, by another node.
	if err := s.newQueue(t).Enqueue(t.Context(), m); !errors.Is(err, mail.ErrDuplicate) {
		t.Fatalf("enqueue after sending: %v, want ErrDuplicate", err)
	}
	if n := runOnce(t, s.queue); n != 0 {
		t.Errorf("tried %d more messages, want 0", n)
	}
	if got := len(s.sink.Received()); got != 1 {
		t.Errorf("the server received %d messages, want 1", got)
	}
	if err := s.queue.Enqueue(t.Context(), message(2)); err != nil {
		t.Errorf("another key: %v", err)
	}
}

func TestInvalidMessages(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	for name, change := range map[string]func(*mail.Message){
		"no key":           func(m *mail.Message) { m.Key = "" },
		"bad kind":         func(m *mail.Message) { m.Kind = "Confirm!" },
		"two addresses":    func(m *mail.Message) { m.To = "a@example.org, b@example.org" },
		"named address":    func(m *mail.Message) { m.To = "Bob <bob@example.org>" },
		"header injection": func(m *mail.Message) { m.Subject = "Hi\r\nBcc: x@example.org" },
		"reserved header":  func(m *mail.Message) { m.Headers = map[string]string{"Bcc": "x@example.org"} },
		"header break":     func(m *mail.Message) { m.Headers = map[string]string{"List-Unsubscribe": "<a>\nBcc: x"} },
		"no text":          func(m *mail.Message) { m.Text = " " },
	} {
		t.Run(name, func(t *testing.T) {
			m := message(1)
			change(&m)
			err := s.queue.Enqueue(t.Context(), m)
			if !errors.Is(err, mail.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "example.org") {
				t.Errorf("the error names the address: %v", err)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		failures []error
		// tries is how many sends the server sees; sent whether the
		// last one is accepted.
		tries int
		sent  bool
	}{
		{"temporary then accepted", []error{smtpsink.Error(451, "4.3.0 <supporter1@example.org> try again later")}, 2, true},
		{"temporary twice then accepted", []error{smtpsink.Error(421, "busy"), smtpsink.Error(452, "mailbox full supporter1@example.org")}, 3, true},
		{"permanent", []error{smtpsink.Error(550, "5.1.1 <supporter1@example.org>: no such user")}, 1, false},
		{"temporary until the last attempt", []error{smtpsink.Error(451, "a"), smtpsink.Error(451, "b"), smtpsink.Error(451, "c supporter1@example.org")}, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, func(o *mail.Options) { o.MaxAttempts = 3; o.Backoff = time.Minute })
			s.sink.FailNext(tc.failures...)
			s.enqueue(t, message(1))
			for range 10 {
				if runOnce(t, s.queue) == 0 {
					// Nothing due before its backoff; after a day,
					// nothing left.
					s.clock.Add(24 * time.Hour)
					if runOnce(t, s.queue) == 0 {
						break
					}
				}
			}
			if got := s.sink.Tries(); got != tc.tries {
				t.Errorf("the server was offered the message %d times, want %d", got, tc.tries)
			}
			st := s.status(t)
			if got := len(s.sink.Received()); (got == 1) != tc.sent {
				t.Errorf("the server accepted %d messages, want sent=%v", got, tc.sent)
			}
			wantSent, wantFailed := int64(0), int64(1)
			if tc.sent {
				wantSent, wantFailed = 1, 0
			}
			if st.Total.Sent != wantSent || st.Total.Failed != wantFailed || st.Total.Waiting != 0 {
				t.Errorf("status %+v, want %d sent and %d given up", st.Total, wantSent, wantFailed)
			}
			if !tc.sent && st.LastError == "" {
				t.Error("no last error shown for a message given up")
			}
			for _, text := range []string{st.LastError, s.logs.String()} {
				if strings.Contains(text, "supporter1") {
					t.Errorf("an address was logged or shown: %s", text)
				}
			}
		})
	}
}

func TestBackoffGrows(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(o *mail.Options) { o.MaxAttempts = 5; o.Backoff = time.Minute; o.MaxBackoff = 3 * time.Minute })
	s.sink.FailNext(smtpsink.Error(451, "a"), smtpsink.Error(451, "b"), smtpsink.Error(451, "c"), smtpsink.Error(451, "d"))
	s.enqueue(t, message(1))
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute} {
		start := s.clock.Now()
		if runOnce(t, s.queue) != 1 {
			t.Fatalf("try %d did not happen", i+1)
		}
		// Due somewhere in [want/2, want]: find it by stepping.
		s.clock.Set(start.Add(want/2 - time.Second))
		if runOnce(t, s.queue) != 0 {
			t.Fatalf("retry %d came before half of %s", i+1, want)
		}
		s.clock.Set(start.Add(want))
	}
	if runOnce(t, s.queue) != 1 || len(s.sink.Received()) != 1 {
		t.Fatal("the fifth try did not deliver")
	}
}

// blocking is a transport that stops at its n-th send until released or
// its context ends.
type blocking struct {
	mail.Transport
	n       int
	mu      sync.Mutex
	calls   int
	blocked chan struct{}
	release chan struct{}
}

func (b *blocking) Send(ctx context.Context, m *mail.Outgoing) error {
	b.mu.Lock()
	b.calls++
	block := b.calls == b.n
	b.mu.Unlock()
	if block {
		close(b.blocked)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.release:
		}
	}
	return b.Transport.Send(ctx, m)
}

func TestRestartResumes(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(o *mail.Options) { o.Lease = time.Minute })
	for i := range 5 {
		s.enqueue(t, message(i))
	}
	// The first node dies while it sends the third message.
	b := &blocking{Transport: s.opts.Transport, n: 3, blocked: make(chan struct{}), release: make(chan struct{})}
	opts := s.opts
	opts.Transport = b
	first := mail.New(s.db, testdb.Keys(t), emailKey, opts)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = first.RunOnce(ctx)
	}()
	<-b.blocked
	cancel()
	<-done
	if got := len(s.sink.Received()); got != 2 {
		t.Fatalf("sent %d before the crash, want 2", got)
	}

	// A new node sends the rest, and the third once its lease ran out.
	second := s.newQueue(t)
	if n := runOnce(t, second); n != 2 {
		t.Errorf("the new node tried %d, want the 2 not begun", n)
	}
	if st := s.status(t); st.Total.Sending != 1 {
		t.Errorf("status %+v, want one message held by the dead node", st.Total)
	}
	s.clock.Add(time.Minute + time.Second)
	if n := runOnce(t, second); n != 1 {
		t.Errorf("after the lease the new node tried %d, want 1", n)
	}
	seen := map[string]int{}
	for _, r := range s.sink.Received() {
		seen[r.To[0]]++
	}
	for i := range 5 {
		if seen[address(i)] != 1 {
			t.Errorf("%s received %d messages, want 1", address(i), seen[address(i)])
		}
	}
}

func TestLeaseRenewedWhileSending(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(o *mail.Options) { o.Lease = 300 * time.Millisecond })
	s.enqueue(t, message(1))
	b := &blocking{Transport: s.opts.Transport, n: 1, blocked: make(chan struct{}), release: make(chan struct{})}
	opts := s.opts
	opts.Transport = b
	q := mail.New(s.db, testdb.Keys(t), emailKey, opts)
	done := make(chan int)
	go func() {
		n, _ := q.RunOnce(t.Context())
		done <- n
	}()
	<-b.blocked
	// The send lasts longer than the lease: the lease moves with it, and
	// another node finds nothing due.
	s.clock.Add(time.Hour)
	other := s.newQueue(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var doc struct {
			Due time.Time `bson:"due"`
		}
		if err := s.db.Collection("mail_queue").FindOne(t.Context(), bson.M{}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc.Due.After(s.clock.Now()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease was not renewed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := runOnce(t, other); n != 0 {
		t.Errorf("another node took %d messages under a renewed lease", n)
	}
	close(b.release)
	if n := <-done; n != 1 || len(s.sink.Received()) != 1 {
		t.Errorf("tried %d, received %d, want 1 and 1", n, len(s.sink.Received()))
	}
}

func TestTwoNodesSendEachMessageOnce(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	const n = 60
	for i := range n {
		s.enqueue(t, message(i))
	}
	nodes := []*mail.Queue{s.queue, s.newQueue(t)}
	var wg sync.WaitGroup
	tried := make([]int, len(nodes))
	for i, q := range nodes {
		wg.Go(func() {
			for {
				k, err := q.RunOnce(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
				tried[i] += k
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range s.sink.Received() {
		seen[r.To[0]]++
	}
	for i := range n {
		if seen[address(i)] != 1 {
			t.Errorf("%s received %d messages, want 1", address(i), seen[address(i)])
		}
	}
	if tried[0]+tried[1] != n {
		t.Errorf("the nodes tried %d and %d messages, want %d in all", tried[0], tried[1], n)
	}
	t.Logf("node 1 sent %d, node 2 sent %d", tried[0], tried[1])
}

// A node whose message was taken over while it was sending it (it could
// not renew the lease in time; here the other node's clock is an hour
// ahead) stops that send at its next renewal instead of sending it beside
// the node that took it over: the message arrives once.
func TestTwoNodesSendTakenOverStopsTheFirst(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(o *mail.Options) { o.Lease = 30 * time.Millisecond })
	s.enqueue(t, message(1))
	b := &blocking{Transport: s.opts.Transport, n: 1, blocked: make(chan struct{}), release: make(chan struct{})}
	opts := s.opts
	opts.Transport = b
	first := mail.New(s.db, testdb.Keys(t), emailKey, opts)
	done := make(chan int, 1)
	go func() {
		n, _ := first.RunOnce(t.Context())
		done <- n
	}()
	<-b.blocked
	opts = s.opts
	opts.Now = func() time.Time { return s.clock.Now().Add(time.Hour) }
	if n := runOnce(t, mail.New(s.db, testdb.Keys(t), emailKey, opts)); n != 1 {
		t.Fatalf("the other node tried %d messages, want 1 taken over", n)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the first node's send goes on after it was taken over")
	}
	if got := len(s.sink.Received()); got != 1 {
		t.Errorf("received %d messages, want 1", got)
	}
	if st := s.status(t); st.Total.Sent != 1 || st.Total.Sending+st.Total.Waiting+st.Total.Retrying != 0 {
		t.Errorf("status %+v, want one sent and nothing left", st.Total)
	}
}

// stamping records the clock's time of each send.
type stamping struct {
	mail.Transport
	now   func() time.Time
	mu    sync.Mutex
	times []time.Time
}

func (s *stamping) Send(ctx context.Context, m *mail.Outgoing) error {
	s.mu.Lock()
	s.times = append(s.times, s.now())
	s.mu.Unlock()
	return s.Transport.Send(ctx, m)
}

func TestSendRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{6, 60, 600} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel()
			var st *stamping
			s := newSetup(t, func(o *mail.Options) {
				o.Rate = rate
			})
			st = &stamping{Transport: s.opts.Transport, now: s.clock.Now}
			opts := s.opts
			opts.Transport = st
			q := mail.New(s.db, testdb.Keys(t), emailKey, opts)
			for i := range 5 {
				s.enqueue(t, message(i))
			}
			for runOnce(t, q) > 0 {
			}
			if len(st.times) != 5 {
				t.Fatalf("sent %d, want 5", len(st.times))
			}
			interval := time.Minute / time.Duration(rate)
			for i := 1; i < len(st.times); i++ {
				if gap := st.times[i].Sub(st.times[i-1]); gap < interval {
					t.Errorf("sends %d and %d were %s apart, want at least %s", i, i+1, gap, interval)
				}
			}
			if total := st.times[4].Sub(st.times[0]); total > 4*interval+time.Second {
				t.Errorf("5 sends took %s, want about %s", total, 4*interval)
			}
		})
	}
}

// Run sends what is queued on its node at once, though it polls for
// other nodes' messages only every hour, and returns when its context
// ends.
func TestRunWakesAndStops(t *testing.T) {
	t.Parallel()
	s := newSetup(t, func(o *mail.Options) { o.Poll = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.queue.Run(ctx) }()
	// Likely idle by now (nothing to wait for: the test passes either
	// way, but with an hour's poll only a wake-up sends in time).
	time.Sleep(50 * time.Millisecond)
	s.enqueue(t, message(1))
	deadline := time.Now().Add(10 * time.Second)
	for len(s.sink.Received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run sent nothing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// A server that cannot be reached is a temporary failure: tried again.
func TestNetworkFailureRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := newSetup(t, func(o *mail.Options) {
		opts := mail.SMTPOptions{Host: "127.0.0.1", Port: closed, Timeout: 5 * time.Second}
		o.Transport, _ = mail.NewSMTP(mail.Sender{From: "letters@example.net"}, opts)
	})
	s.enqueue(t, message(1))
	if n := runOnce(t, s.queue); n != 1 {
		t.Fatalf("tried %d, want 1", n)
	}
	st := s.status(t)
	if st.Total.Retrying != 1 || st.Total.Failed != 0 || st.LastError == "" {
		t.Errorf("status %+v, last error %q: want one message to try again, with its failure", st.Total, st.LastError)
	}
	if strings.Contains(st.LastError+s.logs.String(), "supporter1") {
		t.Error("an address was logged or shown")
	}
}
