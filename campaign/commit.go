package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// A signature's greeting is sealed in the signature's own document, so the
// one insert that stores the signature stores its greeting: a crash can
// no longer keep a signature that says it has a greeting without one. The
// greetings collection, which moderation, the bundles and the public pages
// read, gets its copy right after (GreetingRecorder.RecordGreeting, before
// the supporter's answer). For the case where a crash or an error comes
// between the two, each batch with greetings is first written to a small
// journal, naming those signatures; a batch's entry is removed once every
// greeting in it is recorded. What remains is repaired from the signatures
// themselves (RepairGreetings): at start-up, reading the journal only, and
// by Run for entries older than journalGrace. A repair copies the greeting
// the signature holds, never the words of a later submission, so nobody
// can add words under someone else's signature.

// Journal upkeep, in Run.
const (
	// journalGrace is how old an entry is before Run repairs it: by then
	// the requests that wrote it have answered, on any node.
	journalGrace = time.Minute
	// journalRepairEvery is how many RefreshIntervals apart Run looks for
	// such entries.
	journalRepairEvery = 30
)

// journalBatch follows one batch's journal entry until every greeting in
// it is recorded.
type journalBatch struct {
	id   string
	left atomic.Int32
}

// journalDone holds the entries whose greetings are all recorded, for Run
// to delete together.
type journalDone struct {
	mu  sync.Mutex
	ids []string
}

// greetingDone notes that a greeting of the batch j is recorded (or, for a
// repeat, that there is nothing to record).
func (s *Service) greetingDone(j *journalBatch) {
	if j == nil || j.left.Add(-1) != 0 {
		return
	}
	s.journalDone.mu.Lock()
	s.journalDone.ids = append(s.journalDone.ids, j.id)
	s.journalDone.mu.Unlock()
}

// clearJournal deletes the entries whose greetings are all recorded; those
// it could not delete are kept for the next time.
func (s *Service) clearJournal(ctx context.Context) error {
	s.journalDone.mu.Lock()
	ids := s.journalDone.ids
	s.journalDone.ids = nil
	s.journalDone.mu.Unlock()
	if err := s.store.deleteJournal(ctx, ids); err != nil {
		s.journalDone.mu.Lock()
		s.journalDone.ids = append(s.journalDone.ids, ids...)
		s.journalDone.mu.Unlock()
		return err
	}
	return nil
}

// commit stores one batch of signatures (batch.go): it journals the
// greetings, counts the documents in advance (batch_count.go), inserts
// them in one unordered InsertMany, takes off the count what was not
// stored, and does the decoy inserts that make every outcome cost the
// same (decoy.go). It returns what became of each pending, as its err
// says too.
func (s *Service) commit(ctx context.Context, batch []*pendingSignature) []error {
	var greeted []string
	for _, p := range batch {
		if p.sig.Greeting != "" {
			greeted = append(greeted, p.sig.ID)
		}
	}
	if len(greeted) > 0 {
		id, err := s.store.addJournal(ctx, greeted, s.now())
		var j *journalBatch
		if err == nil {
			j = &journalBatch{id: id}
			j.left.Store(int32(len(greeted)))
		}
		for _, p := range batch {
			if p.sig.Greeting != "" {
				p.journal, p.err = j, err
			}
		}
	}
	insert := make([]*pendingSignature, 0, len(batch))
	docs := make([]*storedSignature, 0, len(batch))
	for _, p := range batch {
		if p.err == nil {
			insert = append(insert, p)
			docs = append(docs, p.doc)
		}
	}
	counting := s.beginCounts(ctx, insert)
	errs := s.store.insertBatch(ctx, docs)
	fresh, colliding := 0, 0
	counted := map[string]minutes{}
	for i, p := range insert {
		p.err = errs[i]
		switch {
		case p.err == nil:
			m, ok := counted[p.sig.CampaignID]
			if !ok {
				m = minutes{}
				counted[p.sig.CampaignID] = m
			}
			m.addCard(minuteOf(p.sig.SignedAt), p.sig.Person.Country, p.sig.RecipientID, 1)
			s.indexSignature(p.sig)
			colliding++
		case errors.Is(p.err, ErrDuplicate):
			fresh++
		}
	}
	s.endCounts(ctx, counting, counted)
	// Errors of decoy work are ignored: it stores nothing, and an answer
	// that failed only for new signatures, or only for repeats, would
	// tell them apart. One colliding decoy stands for all the batch's new
	// signatures: on the embedded database each colliding document of an
	// insert costs a transaction of its own (decoy.go), and one per new
	// signature halved the signing rate. A lone signature, new or
	// repeated, still costs one stored document and one collision.
	_ = s.store.decoyBatch(ctx, fresh, min(colliding, 1))
	if fresh > 0 {
		s.decoysWritten.Store(true)
	}
	out := make([]error, len(batch))
	for i, p := range batch {
		out[i] = p.err
	}
	return out
}

// RepairGreetings records the greetings that signatures in the journal
// hold and the greetings collection lacks, as a crash or an error between
// the two writes leaves them, and removes the entries. It reads the
// journal's entries written before cutoff (all when cutoff is zero), and
// each of their signatures and greetings by _id: never the whole
// signatures collection. Start-up calls it before the first request, Run
// now and then.
func (s *Service) RepairGreetings(ctx context.Context, cutoff time.Time) error {
	entries, err := s.store.journalEntries(ctx, cutoff)
	if err != nil {
		return err
	}
	done := make([]string, 0, len(entries))
	for _, e := range entries {
		for _, id := range e.IDs {
			if err := s.repairGreeting(ctx, id); err != nil {
				return err
			}
		}
		done = append(done, e.ID)
	}
	return s.store.deleteJournal(ctx, done)
}

// repairGreeting records the greeting the signature id holds, if it holds
// one and it is not recorded yet.
func (s *Service) repairGreeting(ctx context.Context, id string) error {
	sig, err := s.store.Signature(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil // the batch's insert did not store it
	}
	if err != nil {
		return fmt.Errorf("repair greeting: %w", err)
	}
	if sig.Greeting == "" {
		return nil
	}
	has, err := s.greetings.HasGreeting(ctx, id)
	if err != nil || has {
		return err
	}
	if err := s.greetings.RecordGreeting(ctx, sig.CampaignID, sig.ID, sig.Greeting, sig.SignedAt); err != nil {
		return fmt.Errorf("repair greeting: %w", err)
	}
	return nil
}
