package campaign

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Counts are kept in memory so that pages and the API never count on the
// database. Every change is also added to a counter document per campaign
// (one $inc by _id, with a part per minute signed in, for recounts) before
// the request that made it is answered: a batch of signatures adds its
// count in one write per campaign (batch_count.go), an erasure or a paper count
// in one of its own (countNow). So whatever was answered is counted in the
// database too, and a node killed at any moment leaves its counters exact.
// Each node reads every counter document back each second (Run), so a
// signature made on one node shows on every node within RefreshInterval.
//
// A change whose counter write failed is kept in memory and written again
// each second (flush) until it succeeds. Start-up reads the counter
// documents (LoadCounts) and is ready at once. Anything that made a counter
// drift from the signatures anyway (a write that failed, then a crash), a
// background recount corrects (Recount, recount.go), safely while other
// nodes write.
//
// The memory is the counter documents as last read plus this node's
// changes since. Reads and the writes of countNow are ordered by the
// counter lock (Store.readCounters), so that no change is in both the
// documents read and the changes since, or in neither.

// RefreshInterval is how often Run writes this node's new counts and reads
// everybody's.
const RefreshInterval = time.Second

// tally is a campaign's counts in memory.
type tally struct {
	total     int64
	countries map[string]int64
}

// live is the service's memory: counts, the deltas whose counter write
// failed and is to be made again (by campaign, then by the Unix minute their signatures
// were signed in, or paperMinute), and the last campaign list read.
type live struct {
	mu      sync.RWMutex
	counts  map[string]*tally
	pending map[string]map[int64]*tally
	version map[string]uint64
	// unsettled holds, by campaign and batch, what a batch counted in
	// advance and did not store, to take off its counter with its record
	// (batch_count.go); clean names, by campaign, the last batch whose
	// record is to be dropped by the next write.
	unsettled map[string]map[string]minutes
	clean     map[string]string
	// fold names, by campaign, the buckets of its counter document, as
	// last read, that no recount needs any more: the next batch's counter
	// write drops them (foldable).
	fold map[string][]string

	memory memory
}

func newLive() live {
	return live{counts: map[string]*tally{}, pending: map[string]map[int64]*tally{}, version: map[string]uint64{},
		unsettled: map[string]map[string]minutes{}, clean: map[string]string{}, fold: map[string][]string{}}
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

// minutes is a campaign's change of counts by the minute its signatures
// were signed in (minuteOf), or paperMinute.
type minutes map[int64]*tally

// add adds n signatures (fewer when negative) from country to the minute.
func (m minutes) add(minute int64, country string, n int64) {
	tallyOf(m, minute).add(country, n)
}

// earliest is the first minute of signatures in m (not paperMinute).
func (m minutes) earliest() (int64, bool) {
	first, ok := int64(0), false
	for minute := range m {
		if minute != paperMinute && (!ok || minute < first) {
			first, ok = minute, true
		}
	}
	return first, ok
}

// add counts n more signatures (fewer when negative) from country, signed
// at signedAt, in the counter document too before it returns (countNow).
func (s *Service) add(ctx context.Context, campaignID, country string, n int64, signedAt time.Time) {
	s.addMinute(ctx, campaignID, country, n, minuteOf(signedAt))
}

// addPaper counts n more paper signatures (fewer when negative) from
// country, in the counter document too before it returns.
func (s *Service) addPaper(ctx context.Context, campaignID, country string, n int64) {
	s.addMinute(ctx, campaignID, country, n, paperMinute)
}

func (s *Service) addMinute(ctx context.Context, campaignID, country string, n, minute int64) {
	if n == 0 {
		return
	}
	m := minutes{}
	m.add(minute, country, n)
	_ = s.countNow(ctx, campaignID, m) // kept to write again when it fails
}

// countNow adds a campaign's change of counts to its counter document and
// then to the memory. When the write fails, the memory takes the change at
// once all the same, and Run writes it again each second until it
// succeeds: the change is stored already, and the counts show it. The
// error is returned for a caller that wants to log it; the change is not
// lost either way.
//
// A change of many minutes (an import) is written counterChunk minutes an
// update: FerretDB checks an update's fields pair by pair, and one of
// thousands of minutes took it minutes.
func (s *Service) countNow(ctx context.Context, campaignID string, m minutes) error {
	var failed error
	for _, part := range m.chunks(counterChunk) {
		if failed == nil {
			failed = s.store.withCounterLock(ctx, func(ctx context.Context) error {
				if _, err := s.store.incCounter(ctx, campaignID, part, ""); err != nil {
					return err
				}
				s.live.count(campaignID, part, false)
				return nil
			})
			if failed == nil {
				continue
			}
		}
		s.live.count(campaignID, part, true)
	}
	return failed
}

// counterChunk is how many minutes one counter update adds at most.
const counterChunk = 64

// chunks splits m into parts of at most n minutes, in no order.
func (m minutes) chunks(n int) []minutes {
	var out []minutes
	part := minutes{}
	for minute, t := range m {
		if len(part) == n {
			out = append(out, part)
			part = minutes{}
		}
		part[minute] = t
	}
	if len(part) > 0 {
		out = append(out, part)
	}
	return out
}

// count adds m to a campaign's counts in memory and, when pending, to the
// changes still to write.
func (l *live) count(campaignID string, m minutes, pending bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := false
	for minute, t := range m {
		if t.total == 0 && len(t.countries) == 0 {
			continue
		}
		changed = true
		tallyOf(l.counts, campaignID).merge(t)
		if pending {
			l.pendingOf(campaignID, minute).merge(t)
		}
	}
	if changed {
		l.version[campaignID]++
	}
}

// addSignatures counts the first n of sigs, which were stored in one batch;
// when some were skipped their countries and minutes are unknown and only
// the total counts them, in the minute of the last (a recount puts them
// right).
func (s *Service) addSignatures(ctx context.Context, campaignID string, sigs []Signature, n int) {
	// Minutes older than any coming recount's cut-off need no bucket of
	// their own (recount.go): the next recount counts them anyway. They
	// share the minute before the earliest cut-off, so that an import of
	// signatures a minute apart makes one bucket, not thousands in one
	// counter document.
	floor := minuteOf(s.now().Add(-RecountMargin)) - 1
	minute := func(t time.Time) int64 { return max(minuteOf(t), floor) }
	m := minutes{}
	switch {
	case n == len(sigs):
		for i := range sigs {
			m.add(minute(sigs[i].SignedAt), sigs[i].Person.Country, 1)
		}
	case n > 0:
		m.add(minute(sigs[len(sigs)-1].SignedAt), "", int64(n))
	}
	if len(m) > 0 {
		_ = s.countNow(ctx, campaignID, m) // kept to write again when it fails
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
		for k, v := range t.countries {
			if !isRecipientKey(k) {
				out[k] = v
			}
		}
	}
	return out
}

// LoadCounts settles the batches of signing a stopped node left in flight
// (SettleCounts), then reads the counter documents, so that Count answers
// from memory afterwards, and the campaign list. Call it at start-up: it reads
// one small document per campaign, however many signatures there are; the
// recount (Run) corrects what the documents missed.
func (s *Service) LoadCounts(ctx context.Context) error {
	cutoff := s.now().Add(-journalGrace)
	if s.store.onlyClient {
		cutoff = time.Time{}
	}
	if err := s.SettleCounts(ctx, cutoff); err != nil {
		return err
	}
	if err := s.store.readCounters(ctx, s.setCounts); err != nil {
		return err
	}
	return s.LoadCampaigns(ctx)
}

// setCounts makes the counter documents the counts in memory, with what
// this node counted and has not written yet.
func (s *Service) setCounts(docs []counterDoc) {
	l := &s.live
	floor := foldFloor(s.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range docs {
		if keys := foldable(d, floor); len(keys) > 0 {
			l.fold[d.ID] = keys
		} else {
			delete(l.fold, d.ID)
		}
		t := &tally{total: d.Total, countries: map[string]int64{}}
		for k, v := range d.Countries {
			if v != 0 {
				t.countries[k] = v
			}
		}
		for _, p := range l.pending[d.ID] {
			t.merge(p)
		}
		for _, m := range l.unsettled[d.ID] {
			for _, p := range m {
				t.merge(p)
			}
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
			// Write what this node counted; the signatures are stored
			// already. Long enough to wait out one holder of the counter
			// lock (counterHold) and still write.
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*counterHold)
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
				if err := s.SettleCounts(ctx, s.now().Add(-journalGrace)); err != nil && ctx.Err() == nil {
					log.Warn("settle counts", "error", err)
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
	if err := s.store.readCounters(ctx, s.setCounts); err != nil {
		return err
	}
	return s.LoadCampaigns(ctx)
}

// flush writes again the changes whose counter write failed, one $inc
// per campaign, and settles the batches that counted in advance what they
// did not store (batch_count.go). Those that fail again are kept for the
// next time; those of a minute a recount sealed meanwhile are dropped, as
// the recount counted their signatures.
//
// A change leaves the memory's list under the counter lock, and goes back
// to it if the write fails, so a read of the counters (readCounters)
// finds each change either listed or in the documents.
func (s *Service) flush(ctx context.Context) error {
	type job struct{ campaignID, batch string }
	l := &s.live
	l.mu.RLock()
	var jobs []job
	for id := range l.pending {
		jobs = append(jobs, job{id, ""})
	}
	for id, batches := range l.unsettled {
		for b := range batches {
			jobs = append(jobs, job{id, b})
		}
	}
	l.mu.RUnlock()
	var errs []error
	for _, j := range jobs {
		err := s.store.withCounterLock(ctx, func(ctx context.Context) error {
			m := l.take(j.campaignID, j.batch)
			if j.batch == "" {
				parts := m.chunks(counterChunk)
				for i, part := range parts {
					if _, err := s.store.incCounter(ctx, j.campaignID, part, ""); err != nil {
						for _, left := range parts[i:] {
							l.putBack(j.campaignID, "", left)
						}
						return err
					}
				}
				return nil
			}
			if _, err := s.store.incCounter(ctx, j.campaignID, m, j.batch); err != nil {
				l.putBack(j.campaignID, j.batch, m)
				return err
			}
			return nil
		})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// take removes and returns a campaign's pending changes (batch empty) or
// what a batch is to take off its counter.
func (l *live) take(campaignID, batch string) minutes {
	l.mu.Lock()
	defer l.mu.Unlock()
	if batch == "" {
		m := l.pending[campaignID]
		delete(l.pending, campaignID)
		return m
	}
	m := l.unsettled[campaignID][batch]
	delete(l.unsettled[campaignID], batch)
	if len(l.unsettled[campaignID]) == 0 {
		delete(l.unsettled, campaignID)
	}
	return m
}

// putBack undoes take.
func (l *live) putBack(campaignID, batch string, m minutes) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if batch == "" {
		for minute, t := range m {
			l.pendingOf(campaignID, minute).merge(t)
		}
		return
	}
	if l.unsettled[campaignID] == nil {
		l.unsettled[campaignID] = map[string]minutes{}
	}
	l.unsettled[campaignID][batch] = m
}
