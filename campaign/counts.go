package campaign

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Counts are kept in memory so that pages and the API never count on the
// database. With one application node that is all; with several, each
// node adds what it stored to a counter document per campaign (one $inc
// by _id per campaign, second and minute signed in, however many
// signatures arrived) and reads every counter document back each second
// (Run). A signature made on one node shows on every node within
// RefreshInterval plus one write.
//
// Start-up reads the counter documents (LoadCounts) and is ready at once.
// What a node counted but could not write before it died, and anything
// else that made a counter drift from the signatures, a background recount
// corrects (Recount, recount.go), safely while other nodes write.

// RefreshInterval is how often Run writes this node's new counts and reads
// everybody's.
const RefreshInterval = time.Second

// tally is a campaign's counts in memory.
type tally struct {
	total     int64
	countries map[string]int64
}

// live is the service's memory: counts, the deltas not yet written to the
// counter documents (by campaign, then by the Unix minute their signatures
// were signed in, or paperMinute), and the last campaign list read.
type live struct {
	mu      sync.RWMutex
	counts  map[string]*tally
	pending map[string]map[int64]*tally
	version map[string]uint64

	memory memory
}

func newLive() live {
	return live{counts: map[string]*tally{}, pending: map[string]map[int64]*tally{}, version: map[string]uint64{}}
}

// paperMinute stands for the minute of a change of a paper count: those
// are not signatures, and recounts leave them alone.
const paperMinute int64 = -1

// minuteOf is the Unix minute of t, which names its counter bucket.
func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// pendingOf returns the pending tally of a campaign's minute.
func (l *live) pendingOf(campaignID string, minute int64) *tally {
	m, ok := l.pending[campaignID]
	if !ok {
		m = map[int64]*tally{}
		l.pending[campaignID] = m
	}
	return tallyOf(m, minute)
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

func tallyOf[K comparable](m map[K]*tally, id K) *tally {
	t, ok := m[id]
	if !ok {
		t = &tally{}
		m[id] = t
	}
	return t
}

// add counts n more signatures (fewer when negative) from country, signed
// at signedAt.
func (s *Service) add(campaignID, country string, n int64, signedAt time.Time) {
	s.addMinute(campaignID, country, n, minuteOf(signedAt))
}

// addPaper counts n more paper signatures (fewer when negative) from
// country.
func (s *Service) addPaper(campaignID, country string, n int64) {
	s.addMinute(campaignID, country, n, paperMinute)
}

func (s *Service) addMinute(campaignID, country string, n, minute int64) {
	if n == 0 {
		return
	}
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	tallyOf(l.counts, campaignID).add(country, n)
	l.pendingOf(campaignID, minute).add(country, n)
	l.version[campaignID]++
}

// addSignatures counts the first n of sigs, which were stored in one batch;
// when some were skipped their countries and minutes are unknown and only
// the total counts them, in the minute of the last (a recount puts them
// right).
func (s *Service) addSignatures(campaignID string, sigs []Signature, n int) {
	if n == len(sigs) {
		for i := range sigs {
			s.add(campaignID, sigs[i].Person.Country, 1, sigs[i].SignedAt)
		}
		return
	}
	if n > 0 {
		s.add(campaignID, "", int64(n), sigs[len(sigs)-1].SignedAt)
	}
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

// LoadCounts reads the counter documents, so that Count answers from
// memory afterwards, and the campaign list. Call it at start-up: it reads
// one small document per campaign, however many signatures there are; the
// recount (Run) corrects what the documents missed.
func (s *Service) LoadCounts(ctx context.Context) error {
	docs, err := s.store.counterDocs(ctx)
	if err != nil {
		return err
	}
	s.setCounts(docs)
	return s.LoadCampaigns(ctx)
}

// setCounts makes the counter documents the counts in memory, with what
// this node counted and has not written yet.
func (s *Service) setCounts(docs []counterDoc) {
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range docs {
		t := &tally{total: d.Total, countries: map[string]int64{}}
		for k, v := range d.Countries {
			if v != 0 {
				t.countries[k] = v
			}
		}
		for _, p := range l.pending[d.ID] {
			t.merge(p)
		}
		if old, ok := l.counts[d.ID]; !ok || old.total != t.total || !maps.Equal(old.countries, t.countries) {
			l.version[d.ID]++
		}
		l.counts[d.ID] = t
	}
}

// Run keeps the memory in step with the other nodes until ctx ends: every
// RefreshInterval it writes this node's new counts, reads every campaign's
// counts and reads the campaign list, it clears the decoys repeats wrote
// (decoy.go), keeps the signing journal (commit.go) and reads other nodes'
// signatures into the console's index (indexsync.go); beside that it
// recounts (recountLoop, recount.go) and builds the index (buildLoop,
// indexbuild.go). Failures are logged and retried at the next tick; it
// returns nil when ctx ends, after a last write.
func (s *Service) Run(ctx context.Context, log *slog.Logger) error {
	recounted := make(chan struct{})
	go func() {
		defer close(recounted)
		s.recountLoop(ctx, log)
	}()
	defer func() { <-recounted }()
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		s.buildLoop(ctx, log)
	}()
	defer func() { <-indexed }()
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
			if err := s.syncIndex(ctx); err != nil && ctx.Err() == nil {
				log.Warn("read other nodes' signatures into the index", "error", err)
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
	s.setCounts(docs)
	return s.LoadCampaigns(ctx)
}

// flush writes the deltas counted since the last flush, one $inc per
// campaign and minute. Deltas that could not be written are kept for the
// next time; those of a minute a recount sealed meanwhile are dropped, as
// the recount counted their signatures.
func (s *Service) flush(ctx context.Context) error {
	l := &s.live
	l.mu.Lock()
	pending := l.pending
	l.pending = map[string]map[int64]*tally{}
	l.mu.Unlock()
	var failed error
	for id, minutes := range pending {
		for minute, t := range minutes {
			if t.total == 0 && len(t.countries) == 0 {
				continue
			}
			if _, err := s.store.addToCounter(ctx, id, minute, t); err != nil {
				failed = err
				l.mu.Lock()
				l.pendingOf(id, minute).merge(t)
				l.mu.Unlock()
			}
		}
	}
	return failed
}
