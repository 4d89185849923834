// Package groupcommit stores the items of concurrent calls together, in
// batches, and answers each call with its own item's result.
//
// The embedded database has one writer, and a write of many documents
// costs little more than a write of one (../../docs/performance.md), so
// concurrent writes of the same kind are cheaper done together: each call
// of Do puts its item in a queue, and one of the waiting calls, the
// leader, commits the queue's items in one batch and answers every call
// whose item was in it.
//
// There is no background goroutine: the call that finds no leader becomes
// the leader, and on leaving hands the role to the first call still
// waiting. So nothing needs starting or stopping, every queued item is
// committed by a call that is still waiting for it, and a shutdown that
// waits for the open requests (as the web server's does) drains the queue.
//
// A lone call commits its item at once. Under load the items that arrive
// while a batch is committed form the next one; the leader also waits, at
// most Options.Wait, for as many calls as the previous batch held, since
// calls answered together come back together, and without the wait
// batches would alternate between one item and all the others. A batch
// holds at most Options.Max items.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Default bounds, for the Options left zero.
const (
	DefaultMax     = 256
	DefaultWait    = 5 * time.Millisecond
	DefaultTimeout = 30 * time.Second
)

// Options bound a Batcher's batches.
type Options struct {
	// Max is the most items in a batch; 1 commits items one by one.
	Max int
	// Wait is the longest a leader waits for more items before it
	// commits a batch.
	Wait time.Duration
	// Timeout bounds one batch's commit. The commit runs on a context of
	// its own: a caller that gave up must not cancel the others' writes;
	// but the leader's deadline, such as its request's database deadline,
	// holds when it is sooner, so that a slow database fails the batch in
	// time instead of holding every call in it.
	Timeout time.Duration
	// Observe, when set, is told the size of each batch before it is
	// committed (the metrics); it must return quickly.
	Observe func(size int)
}

// Commit stores one batch of items and returns the result of each: nil,
// or a slice as long as items whose i-th error is the i-th item's.
type Commit[T any] func(ctx context.Context, items []T) []error

// Batcher commits the items of concurrent Do calls in batches. Its zero
// value is not usable: make one with New.
type Batcher[T any] struct {
	commit Commit[T]
	opts   Options

	mu      sync.Mutex
	queue   []*waiter[T]
	leading bool
	// last is how many items the previous batch held.
	last int
	// grew wakes a leader that waits for more items.
	grew chan struct{}
}

// waiter is one Do call's item in the queue.
type waiter[T any] struct {
	item T
	// err is the item's result, set by the leader before wake says done.
	err error
	// taken says a batch holds the item: its call waits for the result.
	taken bool
	// wake receives false when the item is committed (or failed), true
	// when the call is to lead the next batch.
	wake chan bool
}

// New returns a Batcher that commits batches with commit, bounded by o.
func New[T any](commit Commit[T], o Options) *Batcher[T] {
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Wait <= 0 {
		o.Wait = DefaultWait
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Batcher[T]{commit: commit, opts: o, grew: make(chan struct{}, 1)}
}

// Do queues item and returns its result once its batch is committed.
//
// When ctx ends before a batch has taken the item, Do takes it out of the
// queue and returns ctx's error: nothing was written. Once a batch holds
// it, Do waits for the batch, however long ctx lives: the item may be
// written by then, and the caller must know whether it was.
func (b *Batcher[T]) Do(ctx context.Context, item T) error {
	w := &waiter[T]{item: item, wake: make(chan bool, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	if !b.leading {
		b.leading = true
		b.mu.Unlock()
		b.lead(ctx, w)
		return w.err
	}
	b.mu.Unlock()
	select {
	case b.grew <- struct{}{}:
	default:
	}
	select {
	case lead := <-w.wake:
		if !lead {
			return w.err
		}
	case <-ctx.Done():
		if b.leave(w) {
			return fmt.Errorf("wait for a batch: %w", ctx.Err())
		}
		if lead := <-w.wake; !lead {
			return w.err
		}
	}
	b.lead(ctx, w)
	return w.err
}

// leave takes w out of the queue unless a batch holds it, and reports
// whether it did. When w was to lead, the next call in the queue leads
// instead.
func (b *Batcher[T]) leave(w *waiter[T]) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.taken {
		return false
	}
	if i := slices.Index(b.queue, w); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
	// The role is handed on only under mu, and only to a call in the
	// queue: if w has it, it is in wake now.
	select {
	case <-w.wake:
		b.handOn()
	default:
	}
	return true
}

// handOn gives the leader's role to the first call in the queue, or
// leaves it free. The caller holds mu.
func (b *Batcher[T]) handOn() {
	if len(b.queue) == 0 {
		b.leading = false
		return
	}
	b.queue[0].wake <- true
}

// lead commits batches until one has held w, then hands the role on.
func (b *Batcher[T]) lead(ctx context.Context, w *waiter[T]) {
	deadline := time.Now().Add(b.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	commitCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	for done := false; !done; {
		batch := b.next()
		items := make([]T, len(batch))
		for i, q := range batch {
			items[i] = q.item
		}
		if b.opts.Observe != nil {
			b.opts.Observe(len(items))
		}
		errs := b.commitSafely(commitCtx, items)
		for i, q := range batch {
			if errs != nil {
				q.err = errs[i]
			}
			if q == w {
				done = true
				continue
			}
			q.wake <- false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handOn()
}

// ErrPanic is the result of the items of a batch whose commit panicked.
var ErrPanic = errors.New("commit panicked")

// commitSafely commits items and turns a panic of the commit into every
// item's error: the leader must still answer the batch's calls and hand
// its role on, or they and every later call would wait for good.
func (b *Batcher[T]) commitSafely(ctx context.Context, items []T) (errs []error) {
	defer func() {
		if v := recover(); v != nil {
			err := fmt.Errorf("commit %d items: %w: %v", len(items), ErrPanic, v)
			errs = make([]error, len(items))
			for i := range errs {
				errs[i] = err
			}
		}
	}()
	errs = b.commit(ctx, items)
	if errs != nil && len(errs) != len(items) {
		err := fmt.Errorf("commit %d items returned %d results", len(items), len(errs))
		errs = make([]error, len(items))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// next waits, at most Wait, until the queue holds as many items as the
// previous batch did, and takes up to Max of them.
func (b *Batcher[T]) next() []*waiter[T] {
	deadline := time.Now().Add(b.opts.Wait)
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.queue) < min(b.last, b.opts.Max) {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		b.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-b.grew:
		case <-t.C:
		}
		t.Stop()
		b.mu.Lock()
	}
	n := min(len(b.queue), b.opts.Max)
	batch := make([]*waiter[T], n)
	copy(batch, b.queue)
	b.queue = b.queue[n:]
	for _, q := range batch {
		q.taken = true
	}
	b.last = n
	return batch
}
