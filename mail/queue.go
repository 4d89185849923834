package mail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// Transport delivers one message: through SMTP (SMTP) or into a folder
// (Outbox). A failure that trying again cannot mend wraps ErrPermanent;
// any other is tried again later.
type Transport interface {
	Send(ctx context.Context, m *Outgoing) error
}

// Defaults of Options.
const (
	DefaultRate        = 60 // messages a minute
	DefaultLease       = 2 * time.Minute
	DefaultMaxAttempts = 10
	DefaultBackoff     = time.Minute
	DefaultMaxBackoff  = 4 * time.Hour
	minBatch           = 50
	maxBatch           = 500
	defaultPoll        = 5 * time.Second
)

// Options set how a Queue sends. The zero value of each field is its
// default.
type Options struct {
	// Transport delivers the messages; nil: Run only waits, and messages
	// stay queued until a node with a transport sends them.
	Transport Transport
	// Rate is how many messages a minute this node sends at most.
	Rate int
	// Lease is how long a message being sent is held before another
	// worker takes it over (its node died); renewed while the send lasts.
	Lease time.Duration
	// MaxAttempts is how many tries a message gets before it is given up.
	MaxAttempts int
	// Backoff is the wait after the first temporary failure, doubled after
	// each one up to MaxBackoff, with jitter.
	Backoff, MaxBackoff time.Duration
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Wait waits d or until ctx ends, for the send rate; nil: a timer. A
	// test clock's Wait moves the clock on.
	Wait func(ctx context.Context, d time.Duration) error
	// Poll is how often an idle worker looks for due messages (those
	// other nodes queued, and retries); 0: 5 s. A message queued on this
	// node wakes it at once.
	Poll time.Duration
	// Lock is the database's write lock (database.DB.WriteLock), which
	// makes the claim's update atomic on the embedded database.
	Lock sync.Locker
	// Log receives what happens to messages: kinds, IDs and failures,
	// never addresses. nil discards it.
	Log *slog.Logger
	// Observe, when set, is told how long each message's send took and
	// whether it failed, as job "mail_send" (the metrics).
	Observe func(job string, took time.Duration, err error)
}

// Queue is the mail queue of one database.
type Queue struct {
	store *store
	idKey []byte
	opts  Options

	mu       sync.Mutex // guards lastSend
	lastSend time.Time
	// wake tells an idle Run that Enqueue queued a message.
	wake chan struct{}
}

// New returns the queue of db. Messages are sealed with keys; idKey keys
// the hash that stands for idempotency keys (the email key: it never
// rotates, so a key hashes the same way for the life of the database).
func New(db *mongo.Database, keys *seal.Keyring, idKey []byte, opts Options) *Queue {
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wait == nil {
		opts.Wait = sleep
	}
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	m := hmac.New(sha256.New, idKey)
	m.Write([]byte("solidarity mail idempotency key v1"))
	return &Queue{store: newStore(db, keys, opts.Lock), idKey: m.Sum(nil), opts: opts, wake: make(chan struct{}, 1)}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Prepare creates the queue's collections and index (a migration).
func (q *Queue) Prepare(ctx context.Context) error { return q.store.ensure(ctx) }

// Fields names the sealed fields of the queued messages, for key rotation
// (package reseal).
func (q *Queue) Fields() sealed.Fields { return q.store.fields() }

// idOf is the stored ID of an idempotency key.
func (q *Queue) idOf(key string) string {
	m := hmac.New(sha256.New, q.idKey)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Enqueue stores m for sending. A message whose key was enqueued before,
// whether it is still queued or already sent or given up, is not stored
// again: the error wraps ErrDuplicate. An invalid message wraps
// ErrInvalid; no error holds the address.
func (q *Queue) Enqueue(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	id := q.idOf(m.Key)
	// A key whose message left the queue is in the log; a worker that
	// finds a message in the log (enqueued again meanwhile) drops it.
	ended, err := q.store.ended(ctx, id)
	if err != nil {
		return err
	}
	if ended {
		return fmt.Errorf("queue %s message %s: %w", m.Kind, id, ErrDuplicate)
	}
	d, err := q.store.seal(id, &m, q.opts.Now().UTC())
	if err != nil {
		return err
	}
	for _, ref := range m.About {
		d.About = append(d.About, q.aboutOf(ref))
	}
	if err := q.store.insert(ctx, d); err != nil {
		return err
	}
	select {
	case q.wake <- struct{}{}:
	default: // already woken
	}
	return nil
}

// Run sends due messages until ctx ends, at most Options.Rate a minute.
// A message whose sender died is taken over when its lease runs out.
func (q *Queue) Run(ctx context.Context) error {
	if q.opts.Transport == nil {
		<-ctx.Done()
		return nil
	}
	for {
		n, err := q.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			q.opts.Log.Error("mail queue", "error", err)
		case n > 0:
			continue
		}
		t := time.NewTimer(q.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-q.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunOnce looks once for due messages and tries each of them, and returns
// how many it tried. Failed sends are recorded on their messages, not
// returned.
func (q *Queue) RunOnce(ctx context.Context) (int, error) {
	if q.opts.Transport == nil {
		return 0, errors.New("mail queue has no transport")
	}
	// About a minute's sending per look: on the embedded database the
	// look reads the whole queue.
	due, err := q.store.due(ctx, q.opts.Now().UTC(), min(max(q.opts.Rate, minBatch), maxBatch))
	if err != nil {
		return 0, err
	}
	tried := 0
	for _, c := range due {
		if err := q.pace(ctx); err != nil {
			return tried, nil // stopping
		}
		d, err := q.store.take(ctx, c, q.opts.Now().UTC(), q.opts.Lease)
		if err != nil {
			return tried, err
		}
		if d == nil {
			continue // another worker took it
		}
		ok, err := q.deliver(ctx, d)
		if ok {
			tried++
		}
		if err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// pace waits until the send rate allows the next message, and books it.
func (q *Queue) pace(ctx context.Context) error {
	interval := time.Minute / time.Duration(q.opts.Rate)
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Now()
	if next := q.lastSend.Add(interval); now.Before(next) {
		if err := q.opts.Wait(ctx, next.Sub(now)); err != nil {
			return err
		}
		now = q.opts.Now()
	}
	q.lastSend = now
	return nil
}

// deliver tries to send one claimed message, records how it went, and
// reports whether it tried. It returns only errors of the database.
func (q *Queue) deliver(ctx context.Context, d *stored) (bool, error) {
	// Sent already: enqueued again meanwhile (see Enqueue), or claimed
	// by this worker just as another one finished it.
	ended, err := q.store.ended(ctx, d.ID)
	switch {
	case err != nil:
		return false, err // taken over after its lease
	case ended:
		return false, q.store.drop(ctx, d)
	}
	return true, q.send(ctx, d)
}

// send sends one claimed message and records how it went.
func (q *Queue) send(ctx context.Context, d *stored) error {
	now := q.opts.Now().UTC()
	m, err := q.store.open(d)
	if err != nil {
		// Sealed under a key this node lacks, or damaged: no retry helps.
		return q.giveUp(ctx, d, now, err.Error())
	}
	// Cancelled (Queue.Cancel) since it was claimed: it must not go out.
	if queued, err := q.store.claimed(ctx, d); err != nil || !queued {
		return err
	}
	out := &Outgoing{Message: m, ID: d.ID, Date: now}
	sending, stop := q.keep(ctx, d)
	start := time.Now()
	err = q.opts.Transport.Send(sending, out)
	lost := claim.Lost(sending)
	stop()
	if err != nil && lost {
		// Another worker took it over (this node could not renew its
		// lease in time), or it was cancelled: the send was stopped, and
		// the other worker sends it, if anyone does.
		q.opts.Log.Warn("mail taken over by another worker or cancelled: this send stopped", "kind", d.Kind, "id", d.ID, "attempt", d.Attempt)
		return nil
	}
	if q.opts.Observe != nil && ctx.Err() == nil {
		q.opts.Observe("mail_send", time.Since(start), err)
	}
	if ctx.Err() != nil {
		// Stopping: whether it went out is unknown; the lease runs out
		// and the next worker tries it again.
		return nil
	}
	now = q.opts.Now().UTC()
	if err == nil {
		q.opts.Log.Info("mail sent", "kind", d.Kind, "id", d.ID, "attempt", d.Attempt)
		return q.store.finish(ctx, d, StateSent, now, "")
	}
	failure := redact(err.Error(), m.To)
	if errors.Is(err, ErrPermanent) || d.Attempt >= q.opts.MaxAttempts {
		return q.giveUp(ctx, d, now, failure)
	}
	wait := q.backoff(d.Attempt)
	q.opts.Log.Warn("mail not sent, will try again", "kind", d.Kind, "id", d.ID, "attempt", d.Attempt, "in", wait, "error", failure)
	return q.store.retry(ctx, d, now.Add(wait), now, failure)
}

// giveUp records a message as failed for good.
func (q *Queue) giveUp(ctx context.Context, d *stored, now time.Time, failure string) error {
	q.opts.Log.Warn("mail given up", "kind", d.Kind, "id", d.ID, "attempt", d.Attempt, "error", failure)
	return q.store.finish(ctx, d, StateFailed, now, failure)
}

// backoff is the wait after the attempt-th try failed: Backoff doubled
// for each earlier failure, at most MaxBackoff, of which a random part up
// to half is left out so that messages that failed together spread out.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.opts.Backoff
	for i := 1; i < attempt && d < q.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, q.opts.MaxBackoff)
	return d - rand.N(d/2+1)
}

// keep renews the lease of d while it is being sent, so that a slow SMTP
// server does not let another worker send it too; the send's context ends
// (claim.ErrLost) when a renewal finds that another worker took it over
// all the same. stop ends the renewals.
func (q *Queue) keep(ctx context.Context, d *stored) (context.Context, func()) {
	return claim.Keep(ctx, q.opts.Lease/3, func(ctx context.Context) (bool, error) {
		return q.store.renew(ctx, d, q.opts.Now().UTC().Add(q.opts.Lease))
	}, func(err error) {
		q.opts.Log.Warn("renew the lease of a message being sent", "kind", d.Kind, "id", d.ID, "error", err)
	})
}
