package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Counts are kept in memory so that pages and the API never count on the
// database. With one application node that is all; with several, each
// node adds what it stored to a counter document per campaign (one $inc
// by _id per campaign and second, however many signatures arrived) and
// reads every counter document back each second (Run). A signature made on
// one node shows on every node within RefreshInterval plus one write.
//
// The counter documents are seeded from the signatures themselves at
// start-up (LoadCounts), which also repairs the deltas a crashed node had
// not yet written. A node that starts while others take signatures may
// count the signatures of that one second twice until the next start-up;
// the console's statistics always count the signatures themselves.

// RefreshInterval is how often Run writes this node's new counts and reads
// everybody's.
const RefreshInterval = time.Second

// tally is a campaign's counts in memory.
type tally struct {
	total     int64
	countries map[string]int64
}

// live is the service's memory: counts, the deltas not yet written to the
// counter documents, and the last campaign list read.
type live struct {
	mu      sync.RWMutex
	counts  map[string]*tally
	pending map[string]*tally
	version map[string]uint64

	memory memory
}

func newLive() live {
	return live{counts: map[string]*tally{}, pending: map[string]*tally{}, version: map[string]uint64{}}
}

func (t *tally) add(country string, n int64) {
	t.total += n
	if country == "" {
		return
	}
	if t.countries == nil {
		t.countries = map[string]int64{}
	}
	t.countries[country] += n
	if t.countries[country] == 0 {
		delete(t.countries, country)
	}
}

// merge adds the counts of o.
func (t *tally) merge(o *tally) {
	t.total += o.total
	for k, v := range o.countries {
		if t.countries == nil {
			t.countries = map[string]int64{}
		}
		t.countries[k] += v
		if t.countries[k] == 0 {
			delete(t.countries, k)
		}
	}
}

func tallyOf(m map[string]*tally, id string) *tally {
	t, ok := m[id]
	if !ok {
		t = &tally{}
		m[id] = t
	}
	return t
}

// add counts n more signatures (fewer when negative) from country.
func (s *Service) add(campaignID, country string, n int64) {
	if n == 0 {
		return
	}
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	tallyOf(l.counts, campaignID).add(country, n)
	tallyOf(l.pending, campaignID).add(country, n)
	l.version[campaignID]++
}

// addSignatures counts the first n of sigs, which were stored in one batch;
// when some were skipped their countries are unknown and only the total
// counts them.
func (s *Service) addSignatures(campaignID string, sigs []Signature, n int) {
	if n == len(sigs) {
		for i := range sigs {
			s.add(campaignID, sigs[i].Person.Country, 1)
		}
		return
	}
	s.add(campaignID, "", int64(n))
}

// Count returns the number of signatures of a campaign.
func (s *Service) Count(campaignID string) int64 {
	l := &s.live
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t, ok := l.counts[campaignID]; ok {
		return t.total
	}
	return 0
}

// CountVersion changes whenever the campaign's counts change, so that
// callers can keep what they built from them until it does.
func (s *Service) CountVersion(campaignID string) uint64 {
	l := &s.live
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.version[campaignID]
}

// Countries returns the campaign's signatures by country code (a copy).
// Signatures whose country is unknown are in Count only.
func (s *Service) Countries(campaignID string) map[string]int64 {
	l := &s.live
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := map[string]int64{}
	if t, ok := l.counts[campaignID]; ok {
		maps.Copy(out, t.countries)
	}
	return out
}

// LoadCounts counts the stored signatures and paper counts of every
// campaign once, by country, so that Count answers from memory afterwards,
// writes the counts to the counter documents, and reads the campaign list.
// Call it at start-up, before signatures arrive; it scans the signatures.
func (s *Service) LoadCounts(ctx context.Context) error {
	counts := map[string]*tally{}
	err := s.store.eachCountry(ctx, func(campaignID, country string) {
		tallyOf(counts, campaignID).add(country, 1)
	})
	if err != nil {
		return fmt.Errorf("count signatures: %w", err)
	}
	tallies, err := s.store.paperTallies(ctx, "")
	if err != nil {
		return err
	}
	for _, t := range tallies {
		tallyOf(counts, t.CampaignID).add(t.Country, t.Count)
	}
	for id, t := range counts {
		if err := s.store.setCounter(ctx, id, t.total, t.countries); err != nil {
			return err
		}
	}
	l := &s.live
	l.mu.Lock()
	l.counts = counts
	l.pending = map[string]*tally{}
	for id := range counts {
		l.version[id]++
	}
	l.mu.Unlock()
	return s.LoadCampaigns(ctx)
}

// Run keeps the memory in step with the other nodes until ctx ends: every
// RefreshInterval it writes this node's new counts, reads every campaign's
// counts and reads the campaign list, it clears the decoys repeats wrote
// (decoy.go) and keeps the signing journal (commit.go). Failures are logged and retried at the next tick; it
// returns nil when ctx ends, after a last write.
func (s *Service) Run(ctx context.Context, log *slog.Logger) error {
	tick := time.NewTicker(RefreshInterval)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			// Write what this node counted; the signatures are stored already.
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return s.flush(last)
		case <-tick.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refresh counts", "error", err)
			}
			// The signing journal (commit.go): entries done, and now and
			// then those an error or another node's crash left.
			if err := s.clearJournal(ctx); err != nil && ctx.Err() == nil {
				log.Warn("clear signing journal", "error", err)
			}
			if n%journalRepairEvery == 0 {
				if err := s.RepairGreetings(ctx, s.now().Add(-journalGrace)); err != nil && ctx.Err() == nil {
					log.Warn("repair greetings", "error", err)
				}
			}
			if s.decoysWritten.Swap(false) {
				if err := s.store.ClearDecoys(ctx); err != nil && ctx.Err() == nil {
					s.decoysWritten.Store(true) // next time
					log.Warn("clear decoys", "error", err)
				}
			}
		}
	}
}

// Refresh writes this node's new counts to the counter documents, then
// reads every counter document and the campaign list into memory.
func (s *Service) Refresh(ctx context.Context) error {
	if err := s.flush(ctx); err != nil {
		return err
	}
	docs, err := s.store.counterDocs(ctx)
	if err != nil {
		return err
	}
	l := &s.live
	l.mu.Lock()
	for _, d := range docs {
		t := &tally{total: d.Total, countries: map[string]int64{}}
		for k, v := range d.Countries {
			if v != 0 {
				t.countries[k] = v
			}
		}
		// What this node counted since the flush is not in the document yet.
		if p, ok := l.pending[d.ID]; ok {
			t.merge(p)
		}
		if old, ok := l.counts[d.ID]; !ok || old.total != t.total || !maps.Equal(old.countries, t.countries) {
			l.version[d.ID]++
		}
		l.counts[d.ID] = t
	}
	l.mu.Unlock()
	return s.LoadCampaigns(ctx)
}

// flush writes the deltas counted since the last flush, one $inc per
// campaign. Deltas that could not be written are kept for the next time.
func (s *Service) flush(ctx context.Context) error {
	l := &s.live
	l.mu.Lock()
	pending := l.pending
	l.pending = map[string]*tally{}
	l.mu.Unlock()
	var failed error
	for id, t := range pending {
		if err := s.store.addToCounter(ctx, id, t.total, t.countries); err != nil {
			failed = err
			l.mu.Lock()
			tallyOf(l.pending, id).merge(t)
			l.mu.Unlock()
		}
	}
	return failed
}
