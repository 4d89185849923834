package campaign

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Counting a batch of signing. Its count must be in the counter documents
// before any of its requests is answered (counts.go), and a crash must
// leave the counters exact: nothing stored left uncounted, nothing counted
// twice. The insert and a counter write are two writes, and each write
// costs the embedded database a commit, so one counter write a batch is
// all it does:
//
//  1. Before the insert, one update per campaign adds, in advance, the
//     count of the batch's signatures and records the batch in flight: its
//     ID, the IDs and signing times of its signatures, and what it added
//     (startCount). The same update drops the record of the campaign's
//     previous batch, when that one stored every signature it counted.
//  2. The insert. Then the requests are answered: their count is stored.
//  3. When some signatures were not stored (repeats, errors), the memory
//     takes them off at once, and Run's next flush takes them off the
//     counter and drops the record, in one update (incCounter with
//     settle): until then, for at most a RefreshInterval, the counter
//     document, and so the other nodes, count them.
//
// A record that a crash leaves is settled from the signatures it names
// (SettleCounts): those stored with the signing times it gives are counted,
// what it added is taken off, and the record dropped in the same update,
// so each batch is counted once, by whoever drops its record.
//
// A lone repeat makes the one counter write a lone new signature makes,
// so that its answer costs the same (decoy.go).

// batchCount is a batch's count in progress for one campaign: what it
// counted in advance, under which record ("" when the advance write
// failed and the count is to be written after the insert).
type batchCount struct {
	record   string
	expected minutes
}

// beginCounts counts in advance, per campaign, the signatures a batch is
// about to insert (step 1), and returns what endCounts needs.
func (s *Service) beginCounts(ctx context.Context, batch []*pendingSignature) map[string]*batchCount {
	recs := map[string]*inflightDoc{}
	counts := map[string]*batchCount{}
	at := s.now().UTC().Truncate(time.Millisecond)
	for _, p := range batch {
		id := p.sig.CampaignID
		rec, ok := recs[id]
		if !ok {
			rec = &inflightDoc{At: at}
			recs[id] = rec
			counts[id] = &batchCount{expected: minutes{}}
		}
		rec.IDs = append(rec.IDs, p.sig.ID)
		rec.Signed = append(rec.Signed, p.sig.SignedAt.UTC().Truncate(time.Millisecond))
		counts[id].expected.addCard(minuteOf(p.sig.SignedAt), p.sig.Person.Country, p.sig.RecipientID, 1)
	}
	name := newID()
	l := &s.live
	for id, rec := range recs {
		c := counts[id]
		rec.Expected = c.expected.buckets()
		_ = s.store.withCounterLock(ctx, func(ctx context.Context) error {
			l.mu.RLock()
			drop, fold := l.clean[id], l.fold[id]
			l.mu.RUnlock()
			ok, err := s.store.startCount(ctx, id, name, *rec, c.expected, drop, fold)
			if err != nil || !ok {
				return err // counted after the insert instead
			}
			c.record = name
			l.mu.Lock()
			delete(l.clean, id)
			delete(l.fold, id)
			l.mu.Unlock()
			l.count(id, c.expected, false)
			return nil
		})
	}
	return counts
}

// endCounts finishes the batch's counts with what it stored, by campaign
// (step 3).
func (s *Service) endCounts(ctx context.Context, counts map[string]*batchCount, stored map[string]minutes) {
	l := &s.live
	for id, c := range counts {
		if c.record == "" {
			if m := stored[id]; len(m) > 0 {
				_ = s.countNow(ctx, id, m) // kept to write again when it fails
			}
			continue
		}
		missing := c.expected.minus(stored[id])
		if len(missing) == 0 {
			l.mu.Lock()
			l.clean[id] = c.record
			l.mu.Unlock()
			continue
		}
		l.mu.Lock()
		if l.unsettled[id] == nil {
			l.unsettled[id] = map[string]minutes{}
		}
		l.unsettled[id][c.record] = missing
		for _, t := range missing {
			tallyOf(l.counts, id).merge(t)
		}
		l.version[id]++
		l.mu.Unlock()
	}
}

// buckets is m as a counter document's buckets (bucketKey).
func (m minutes) buckets() map[string]bucketDoc {
	out := make(map[string]bucketDoc, len(m))
	for minute, t := range m {
		out[bucketKey(minute)] = bucketDoc{T: t.total, C: maps.Clone(t.countries)}
	}
	return out
}

// minus is o taken from m: what to add to m to make it o, empty when they
// are the same.
func (m minutes) minus(o minutes) minutes {
	out := minutes{}
	for minute, t := range o {
		tallyOf(out, minute).merge(t)
	}
	for minute, t := range m {
		tallyOf(out, minute).merge(&tally{total: -t.total, countries: negate(t.countries)})
	}
	for minute, t := range out {
		if t.total == 0 && len(t.countries) == 0 {
			delete(out, minute)
		}
	}
	return out
}

// SettleCounts settles the batches of signing that the counter documents
// record in flight since before cutoff (all of them when cutoff is zero),
// as a crash leaves them: each signature a record names that is stored,
// signed at the time the record gives, is counted, what the batch added
// in advance is taken off, and the record is dropped in the same update.
// Start-up settles them all when this process is the database's only
// client (the embedded database), and Run those older than journalGrace.
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
			stored, err := s.storedOf(ctx, d.ID, rec)
			if err != nil {
				return fmt.Errorf("settle counts of %s: %w", d.ID, err)
			}
			expected := minutes{}
			for k, b := range rec.Expected {
				if minute, ok := bucketMinute(k); ok {
					tallyOf(expected, minute).merge(&tally{total: b.T, countries: b.C})
				}
			}
			fix := expected.minus(stored)
			if err := s.settle(ctx, d.ID, name, fix); err != nil {
				return fmt.Errorf("settle counts of %s: %w", d.ID, err)
			}
		}
	}
	return nil
}

// storedOf counts the signatures of a record that are stored, signed at
// the times it gives, each ID once.
func (s *Service) storedOf(ctx context.Context, campaignID string, rec inflightDoc) (minutes, error) {
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
			return nil, err
		}
		if i < len(rec.Signed) && sig.CampaignID == campaignID && sig.SignedAt.Equal(rec.Signed[i]) {
			m.addCard(minuteOf(sig.SignedAt), sig.Person.Country, sig.RecipientID, 1)
		}
	}
	return m, nil
}

// settle adds fix to a campaign's counter and drops the record name, in
// one update; the memory takes fix too, unless this node had it already
// (as a batch of its own that Run had not settled yet).
func (s *Service) settle(ctx context.Context, campaignID, name string, fix minutes) error {
	l := &s.live
	return s.store.withCounterLock(ctx, func(ctx context.Context) error {
		counted, err := s.store.incCounter(ctx, campaignID, fix, name)
		if err != nil || !counted {
			return err
		}
		l.mu.Lock()
		_, own := l.unsettled[campaignID][name]
		delete(l.unsettled[campaignID], name)
		if l.clean[campaignID] == name {
			own = true
			delete(l.clean, campaignID)
		}
		l.mu.Unlock()
		if !own {
			l.count(campaignID, fix, false)
		}
		return nil
	})
}

// Folding a counter document's buckets. Every batch's counter write is an
// update of the campaign's counter document, which the embedded database
// applies by reading the whole document and writing it back; and each
// minute of signing adds a bucket (with its countries) that only the next
// recount, every RecountInterval, drops. A recount needs only the buckets
// of its cut-off minute and later (recount.go: the ones before are in the
// total either way), and every recount's cut-off is at least RecountMargin
// in the past on its node's clock. So the buckets older than twice the
// margin, which no coming recount needs even on a node whose clock is a
// margin behind, are dropped by the next batch's counter write, in the
// same update: the document stays a few minutes of buckets long.

// foldFloor is the earliest minute whose bucket a coming recount may need.
func foldFloor(now time.Time) int64 { return minuteOf(now.Add(-2 * RecountMargin)) }

// foldable returns the keys of d's buckets older than floor, in no
// particular order.
func foldable(d counterDoc, floor int64) []string {
	var keys []string
	for k := range d.Buckets {
		if m, ok := bucketMinute(k); ok && m < floor {
			keys = append(keys, k)
		}
	}
	return keys
}
