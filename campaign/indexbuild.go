package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// PreparingError is what the console's list and statistics answer while
// the index of signatures is being built at start-up (see index.go): Read
// of about Total signatures are read so far.
type PreparingError struct {
	Read, Total int64
}

func (e *PreparingError) Error() string {
	return fmt.Sprintf("the signature list is being prepared: %d of %d read", e.Read, e.Total)
}

// Percent is how much of the index is built, 0 to 99.
func (e *PreparingError) Percent() int {
	if e.Total <= 0 {
		return 0
	}
	return int(min(99, e.Read*100/e.Total))
}

// The states of the index.
const (
	indexNotBuilt = iota
	indexBuilding
	indexReady
)

// buildRetry is how long Run waits before it builds the index again after
// a failed build (the database was down, say).
const buildRetry = 5 * time.Second

// signatureIndex is the service's index of every campaign's signatures.
type signatureIndex struct {
	mu    sync.Mutex
	state int
	// done is closed when the build under way ends, however it ends.
	done      chan struct{}
	campaigns map[string]*campaignRows
	// While a build runs, the changes this node makes meanwhile, which
	// the build's read may or may not have seen: applied after it.
	added   []campaignRow
	removed []campaignKey
	// read and total are the build's progress.
	read, total atomic.Int64

	referrers interner
	// sync is where the read of other nodes' signatures stands
	// (indexsync.go).
	sync indexSync
}

type campaignRow struct {
	campaignID string
	row        indexRow
}

type campaignKey struct {
	campaignID string
	at         int64
	id         string
}

// interner shares equal strings.
type interner struct {
	mu sync.Mutex
	m  map[string]string
}

func (in *interner) intern(s string) string {
	if s == "" {
		return ""
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.m[s]; ok {
		return v
	}
	if in.m == nil {
		in.m = map[string]string{}
	}
	in.m[s] = s
	return s
}

// rowsOf returns a campaign's rows, made when missing. Call it with x.mu
// held.
func (x *signatureIndex) rowsOf(campaignID string) *campaignRows {
	c, ok := x.campaigns[campaignID]
	if !ok {
		c = &campaignRows{}
		x.campaigns[campaignID] = c
	}
	return c
}

// indexSignature puts a signature this node has just stored into the
// index.
func (s *Service) indexSignature(sig *Signature) {
	x := &s.index
	r := newRow(sig, x.referrers.intern)
	x.mu.Lock()
	defer x.mu.Unlock()
	switch x.state {
	case indexBuilding:
		x.added = append(x.added, campaignRow{sig.CampaignID, r})
	case indexReady:
		c := x.rowsOf(sig.CampaignID)
		c.mu.Lock()
		c.insert(r)
		c.mu.Unlock()
	}
	// Not built: the build will read it.
}

// unindexSignature takes an erased signature out of the index.
func (s *Service) unindexSignature(campaignID string, signedAt time.Time, id string) {
	x := &s.index
	k := campaignKey{campaignID, signedAt.UnixMilli(), id}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.noteErased(k)
	switch x.state {
	case indexBuilding:
		x.removed = append(x.removed, k)
	case indexReady:
		if c, ok := x.campaigns[campaignID]; ok {
			c.mu.Lock()
			c.remove(k.at, k.id)
			c.mu.Unlock()
		}
	}
}

// indexed returns the campaign's rows once the index is built. While Run
// builds it the answer is a *PreparingError; a service that nobody
// started building (commands and tests, which do not Run) builds it here,
// within ctx.
func (s *Service) indexed(ctx context.Context, campaignID string) (*campaignRows, error) {
	x := &s.index
	x.mu.Lock()
	state := x.state
	if state == indexReady {
		defer x.mu.Unlock()
		return x.rowsOf(campaignID), nil
	}
	x.mu.Unlock()
	if state == indexBuilding {
		return nil, &PreparingError{Read: x.read.Load(), Total: x.total.Load()}
	}
	if err := s.BuildIndex(ctx); err != nil {
		return nil, err
	}
	return s.indexed(ctx, campaignID)
}

// IndexReady reports whether the console's index of signatures is built.
func (s *Service) IndexReady() bool {
	x := &s.index
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state == indexReady
}

// BuildIndex reads every signature into the console's index (index.go),
// once: when it is built already it returns at once, and when another call
// is building it, it waits for that one. Run calls it at start; a failed
// build leaves the index unbuilt, for the next call.
func (s *Service) BuildIndex(ctx context.Context) error {
	x := &s.index
	for {
		x.mu.Lock()
		switch x.state {
		case indexReady:
			x.mu.Unlock()
			return nil
		case indexBuilding:
			done := x.done
			x.mu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		x.state, x.done, x.added, x.removed = indexBuilding, make(chan struct{}), nil, nil
		x.mu.Unlock()
		return s.build(ctx)
	}
}

// build reads every signature and makes the index of them, then applies
// what this node changed meanwhile.
func (s *Service) build(ctx context.Context) (err error) {
	x := &s.index
	started := s.now()
	var total int64
	for _, c := range s.Campaigns().All {
		total += s.Count(c.ID)
	}
	x.read.Store(0)
	x.total.Store(total)
	all := map[string][]indexRow{}
	err = s.store.eachListed(ctx, nil, time.Time{}, func(sig *Signature) error {
		rows, ok := all[sig.CampaignID]
		if !ok {
			rows = make([]indexRow, 0, s.Count(sig.CampaignID)+64)
		}
		all[sig.CampaignID] = append(rows, newRow(sig, x.referrers.intern))
		x.read.Add(1)
		return nil
	})
	x.mu.Lock()
	defer x.mu.Unlock()
	defer close(x.done)
	if err != nil {
		x.state, x.added, x.removed = indexNotBuilt, nil, nil
		return fmt.Errorf("build the signature index: %w", err)
	}
	x.campaigns = make(map[string]*campaignRows, len(all))
	for id, rows := range all {
		slices.SortFunc(rows, func(a, b indexRow) int { return compareKey(a.at, a.id, &b) })
		x.campaigns[id] = chunked(rows)
	}
	for _, a := range x.added {
		x.rowsOf(a.campaignID).insert(a.row)
	}
	for _, k := range x.removed {
		x.rowsOf(k.campaignID).remove(k.at, k.id)
	}
	x.state, x.added, x.removed = indexReady, nil, nil
	// The next read of other nodes' signatures starts where the build's
	// did, and only when counts say it is needed (indexsync.go).
	x.sync.since, x.sync.last = started.Add(-syncMargin), time.Now()
	x.sync.gaps = map[string]int64{}
	for _, c := range s.Campaigns().All {
		x.sync.gaps[c.ID] = s.Count(c.ID) - int64(x.rowsOf(c.ID).n)
	}
	return nil
}

// chunked cuts sorted rows into chunks, which share rows' array: each
// chunk's capacity ends where it does, so that an insertion into one never
// writes over the next.
func chunked(rows []indexRow) *campaignRows {
	c := &campaignRows{n: len(rows), chunks: make([][]indexRow, 0, len(rows)/chunkMax+1)}
	for i := 0; i < len(rows); i += chunkMax {
		end := min(i+chunkMax, len(rows))
		c.chunks = append(c.chunks, rows[i:end:end])
	}
	return c
}

// buildLoop builds the index, again after buildRetry while it fails,
// until it is built or ctx ends (Run).
func (s *Service) buildLoop(ctx context.Context, log *slog.Logger) {
	for {
		start := time.Now()
		err := s.BuildIndex(ctx)
		if err == nil {
			log.Info("signature index built", "signatures", s.index.read.Load(), "took", time.Since(start).Round(time.Millisecond))
			return
		}
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return
		}
		log.Warn("build signature index", "error", err)
		t := time.NewTimer(buildRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// indexStored puts into the index the signatures of sigs that were stored:
// those whose error in errs is nil.
func (s *Service) indexStored(sigs []Signature, errs []error) {
	for i := range errs {
		if errs[i] == nil {
			s.indexSignature(&sigs[i])
		}
	}
}

// IndexProgress returns how far the build of the index is while it runs,
// and nil when none runs.
func (s *Service) IndexProgress() *PreparingError {
	x := &s.index
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != indexBuilding {
		return nil
	}
	return &PreparingError{Read: x.read.Load(), Total: x.total.Load()}
}
