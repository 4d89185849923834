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
// greetings, inserts the documents in one unordered InsertMany, counts the
// new ones, and does the decoy inserts that make every outcome cost the
// same (decoy.go). Each pending's err says what became of it.
func (s *Service) commit(ctx context.Context, batch []*pendingSignature) {
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
	settle := s.beginCounts(ctx, insert)
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
			m.add(minuteOf(p.sig.SignedAt), p.sig.Person.Country, 1)
			colliding++
		case errors.Is(p.err, ErrDuplicate):
			fresh++
		}
	}
	s.endCounts(ctx, settle, counted)
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
}

// Counting a batch. Its count goes to the counter documents before any of
// its requests is answered (counts.go), but the insert and that write are
// two writes, and a crash between them would leave signatures stored and
// not counted. So before the insert, each campaign's counter document
// records the batch in flight: its ID and the IDs and signing times of
// its signatures (beginCount). After the insert, one update per campaign
// adds the count and removes the record (endCounts). A record that a
// crash left behind is settled from the signatures it names (SettleCounts):
// those stored with its signing times are counted, in the same kind of
// update, so a batch is counted once, by whoever removes its record.
//
// A campaign whose signatures in a batch were all repeats makes the same
// two writes, adding nothing, so that its answer costs what a new one's
// does (decoy.go).

// beginCounts records the batch in flight in the counter document of each
// of its campaigns, and returns, by campaign, the name of the record to
// settle: empty when it could not be written, and then its count is added
// without it (a crash before that write leaves it to the recount).
func (s *Service) beginCounts(ctx context.Context, batch []*pendingSignature) map[string]string {
	recs := map[string]*inflightDoc{}
	at := s.now().UTC().Truncate(time.Millisecond)
	for _, p := range batch {
		rec, ok := recs[p.sig.CampaignID]
		if !ok {
			rec = &inflightDoc{At: at}
			recs[p.sig.CampaignID] = rec
		}
		rec.IDs = append(rec.IDs, p.sig.ID)
		rec.Signed = append(rec.Signed, p.sig.SignedAt.UTC().Truncate(time.Millisecond))
	}
	id := newID()
	settle := make(map[string]string, len(recs))
	for campaignID, rec := range recs {
		settle[campaignID] = ""
		if s.store.beginCount(ctx, campaignID, id, *rec) == nil {
			settle[campaignID] = id
		}
	}
	return settle
}

// endCounts adds the count of what the batch stored, by campaign, and
// settles its records. A failed write keeps the count in memory and: with
// a record, leaves it for SettleCounts; without one, for Run to write
// again (countNow).
func (s *Service) endCounts(ctx context.Context, settle map[string]string, counted map[string]minutes) {
	for campaignID, name := range settle {
		m := counted[campaignID]
		if name == "" {
			_ = s.countNow(ctx, campaignID, m)
			continue
		}
		if err := s.settleNow(ctx, campaignID, m, name); err != nil {
			s.live.count(campaignID, m, false)
		}
	}
}

// SettleCounts counts the batches of signing that the counter documents
// record in flight since before cutoff (all of them when cutoff is zero),
// as a crash between a batch's insert and its count leaves them: each
// signature a record names that is stored, signed at the time the record
// gives, is counted, and the record removed in the same update. Start-up
// settles them all when this process is the database's only client (the
// embedded database), and Run those older than journalGrace.
func (s *Service) SettleCounts(ctx context.Context, cutoff time.Time) error {
	docs, err := s.store.counterDocs(ctx)
	if err != nil {
		return err
	}
	for _, d := range docs {
		for name, rec := range d.Inflight {
			if !cutoff.IsZero() && !rec.At.Before(cutoff) {
				continue
			}
			m := minutes{}
			seen := map[string]bool{}
			for i, id := range rec.IDs {
				if seen[id] {
					continue // a repeat within the batch
				}
				seen[id] = true
				sig, err := s.store.Signature(ctx, id)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("settle counts of %s: %w", d.ID, err)
				}
				if i < len(rec.Signed) && sig.CampaignID == d.ID && sig.SignedAt.Equal(rec.Signed[i]) {
					m.add(minuteOf(sig.SignedAt), sig.Person.Country, 1)
				}
			}
			if err := s.settleNow(ctx, d.ID, m, name); err != nil {
				return fmt.Errorf("settle counts of %s: %w", d.ID, err)
			}
		}
	}
	return nil
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
