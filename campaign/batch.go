package campaign

import (
	"context"
	"sync"
	"time"
)

// Group commit. The embedded database has one writer, and an insert of many
// documents costs little more than an insert of one (see
// ../docs/performance.md), so concurrent signatures are stored together:
// each Sign puts its document in a queue, and one of the waiting calls, the
// leader, stores the queue's documents in one unordered InsertMany and
// answers every call whose document was in it.
//
// There is no background goroutine: the call that finds no leader becomes
// the leader, and on leaving hands the role to the first call still
// waiting. So nothing needs starting or stopping, every queued document is
// stored by a call that is still waiting for it, and a shutdown that waits
// for the open requests (as the web server's does) drains the queue.
//
// A lone call stores its document at once. Under load the documents that
// arrive while a batch is written form the next one; the leader also
// waits, at most batchWait, for as many calls as the previous batch held,
// since calls answered together come back together, and without the wait
// batches would alternate between one document and all the others. A
// batch holds at most batchMax documents.

// Group commit bounds.
const (
	batchMax  = 256
	batchWait = 5 * time.Millisecond
	// commitTimeout bounds one batch's writes. They run on a context of
	// their own: a caller that gave up must not cancel the others' insert;
	// but the leader's deadline, such as its request's database deadline,
	// holds when it is sooner, so that a slow database fails the batch in
	// time instead of holding every request in it.
	commitTimeout = 30 * time.Second
)

// pendingSignature is one Sign call's document waiting in the batcher.
type pendingSignature struct {
	sig *Signature
	doc *storedSignature
	// journal is the journal entry of its batch, when it has a greeting
	// (commit.go).
	journal *journalBatch
	// err is the outcome, set by the leader before wake says done.
	err error
	// wake receives false when the document is stored (or failed), true
	// when the call is to lead the next batch.
	wake chan bool
}

// batcher queues documents for group commit (see above).
type batcher struct {
	mu      sync.Mutex
	queue   []*pendingSignature
	leading bool
	// last is how many documents the previous batch held.
	last int
	// grew wakes a leader that waits for more documents.
	grew chan struct{}
	// max is batchMax; 1 stores documents one by one (for comparison).
	max int
	// commit stores one batch and sets each pending's err.
	commit func(ctx context.Context, batch []*pendingSignature)
}

func newBatcher(commit func(context.Context, []*pendingSignature)) *batcher {
	return &batcher{grew: make(chan struct{}, 1), max: batchMax, commit: commit}
}

// store queues p and returns once its document is stored or has failed.
// It does not return early when ctx ends: the document may be written by
// then, and the caller must know whether it was.
func (b *batcher) store(ctx context.Context, p *pendingSignature) error {
	p.wake = make(chan bool, 1)
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if b.leading {
		b.mu.Unlock()
		select {
		case b.grew <- struct{}{}:
		default:
		}
		if lead := <-p.wake; !lead {
			return p.err
		}
	} else {
		b.leading = true
		b.mu.Unlock()
	}
	b.lead(ctx, p)
	return p.err
}

// lead commits batches until one has held p, then hands the role on.
func (b *batcher) lead(ctx context.Context, p *pendingSignature) {
	deadline := time.Now().Add(commitTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	commitCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	for done := false; !done; {
		batch := b.next()
		b.commit(commitCtx, batch)
		for _, q := range batch {
			if q == p {
				done = true
				continue
			}
			q.wake <- false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.leading = false
		return
	}
	b.queue[0].wake <- true
}

// next waits, at most batchWait, until the queue holds as many documents
// as the previous batch did, and takes up to max of them.
func (b *batcher) next() []*pendingSignature {
	deadline := time.Now().Add(batchWait)
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.queue) < min(b.last, b.max) {
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
	n := min(len(b.queue), b.max)
	batch := make([]*pendingSignature, n)
	copy(batch, b.queue)
	b.queue = b.queue[n:]
	b.last = n
	return batch
}
