package campaign

import (
	"context"
	"time"

	"github.com/solidarity-letters/solidarity/internal/groupcommit"
)

// Group commit. The embedded database has one writer, and an insert of many
// documents costs little more than an insert of one (see
// ../docs/performance.md), so concurrent signatures are stored together
// (internal/groupcommit): each Sign puts its document in a queue, and one
// of the waiting calls, the leader, stores the queue's documents in one
// unordered InsertMany and answers every call whose document was in it.
// A lone call stores its document at once; under load a batch waits at
// most batchWait for more, and holds at most batchMax documents.

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
	// err is the outcome, set by the batch's commit.
	err error
}

// batcher queues signatures for group commit (see above).
type batcher struct {
	b *groupcommit.Batcher[*pendingSignature]
}

// newBatcher returns a batcher that stores batches of at most max
// signatures (1 stores them one by one, for comparison) with commit.
func newBatcher(commit func(context.Context, []*pendingSignature) []error, max int, observe func(int)) batcher {
	return batcher{groupcommit.New(commit, groupcommit.Options{Max: max, Wait: batchWait, Timeout: commitTimeout, Observe: observe})}
}

// store queues p and returns once its document is stored or has failed,
// or, when ctx ends before a batch took it, with ctx's error (nothing
// stored). Once a batch holds it, it waits for the batch however long ctx
// lives: the document may be written by then, and the caller must know
// whether it was.
func (b batcher) store(ctx context.Context, p *pendingSignature) error {
	return b.b.Do(ctx, p)
}
