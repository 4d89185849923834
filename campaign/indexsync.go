package campaign

import (
	"context"
	"time"
)

// Other nodes' signatures reach this node's index through Run: it reads
// the signatures signed since a little before its previous read (by the
// (campaign_id, signed_at) index on MongoDB) and adds those it lacks.
//
// The margin is the longest a stored signature's signing time can lie
// before its insert is acknowledged: a batch is stamped before it is
// written, and its write may take up to commitTimeout.
//
// Erasures on other nodes come through the collection of erasures
// (store_erasures.go), read with the signatures: a row erased there is
// taken out here, and kept out of later reads. A node that could read
// neither for erasureKeep (an hour) may miss an erasure until it restarts.
//
// A read is due when a campaign's count (which Run reads from the counter
// documents every RefreshInterval) moved apart from its rows in the index
// since the last read: this node's own signatures move both together, so
// only other nodes' changes (and paper counts, and recounts) start one;
// and at least every syncEvery in any case. A read waits syncPause times
// as long as the previous one took.
//
// On MongoDB the read costs a few rows, so a signature shows on every node
// within about two RefreshIntervals. On the embedded database the read
// scans the collection (about 65 s at a million signatures), and the delay
// is up to about eleven scans: 10 to 20 s at 100k signatures. The embedded
// database belongs to one process, so there other nodes exist only in
// tests, and a single node reads once per syncEvery at most.

// Pace of the read.
const (
	syncMargin = commitTimeout + 5*time.Second
	syncPause  = 10
	syncEvery  = time.Minute
)

// indexSync is where the read of other nodes' signatures stands.
type indexSync struct {
	// since is where the next read starts.
	since time.Time
	// next is the earliest wall time of the next read.
	next time.Time
	// last is the wall time of the last read.
	last time.Time
	// gaps are the campaigns' counts less their rows, as they were before
	// the last read.
	gaps map[string]int64
	// dropped is the wall time old erasures were last deleted.
	dropped time.Time
	// erased holds this node's erasures by when they were made (wall
	// time): a read that began before an erasure may still return the
	// erased row, and must not put it back.
	erased map[campaignKey]time.Time
}

// syncIndex adds to the index the signatures other nodes stored since the
// last read, when the pace allows (see above).
func (s *Service) syncIndex(ctx context.Context) error {
	x := &s.index
	wall := time.Now()
	x.mu.Lock()
	if x.state != indexReady || wall.Before(x.sync.next) {
		x.mu.Unlock()
		return nil
	}
	since := x.sync.since
	all := s.Campaigns().All
	ids := make([]string, len(all))
	gaps := make(map[string]int64, len(all))
	due := wall.Sub(x.sync.last) >= syncEvery
	for i := range all {
		id := all[i].ID
		ids[i] = id
		var n int
		if c, ok := x.campaigns[id]; ok {
			c.mu.RLock()
			n = c.n
			c.mu.RUnlock()
		}
		gaps[id] = s.Count(id) - int64(n)
		if old, ok := x.sync.gaps[id]; !ok || old != gaps[id] {
			due = true
		}
	}
	x.mu.Unlock()
	if !due || len(ids) == 0 {
		return nil
	}
	start := s.now()
	var found []campaignRow
	err := s.store.eachListed(ctx, ids, since, func(sig *Signature) error {
		found = append(found, campaignRow{sig.CampaignID, newRow(sig, x.referrers.intern)})
		return nil
	})
	var erased []erasureDoc
	if err == nil {
		// After the signatures: an erasure made in between is read.
		erased, err = s.store.erasuresSince(ctx, since)
	}
	if err == nil && wall.Sub(x.sync.dropped) > erasureKeep/4 {
		if err = s.store.dropErasures(ctx, start.Add(-erasureKeep)); err == nil {
			x.sync.dropped = wall
		}
	}
	took := time.Since(wall)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.sync.next = time.Now().Add(syncPause * took)
	if err != nil {
		return err
	}
	x.sync.last, x.sync.gaps = wall, gaps
	for _, e := range erased {
		k := campaignKey{e.CampaignID, e.SignedAt.UnixMilli(), e.Signature}
		if c, ok := x.campaigns[k.campaignID]; ok {
			c.mu.Lock()
			c.remove(k.at, k.id)
			c.mu.Unlock()
		}
		x.noteErased(k)
	}
	for _, f := range found {
		if _, gone := x.sync.erased[campaignKey{f.campaignID, f.row.at, f.row.id}]; gone {
			continue
		}
		c := x.rowsOf(f.campaignID)
		c.mu.Lock()
		c.insert(f.row)
		c.mu.Unlock()
	}
	for k, at := range x.sync.erased {
		if at.Before(wall) {
			delete(x.sync.erased, k) // every later read begins after it
		}
	}
	x.sync.since = start.Add(-syncMargin)
	return nil
}

// noteErased keeps an erasure from being undone by a read that began
// before it. Call it with x.mu held.
func (x *signatureIndex) noteErased(k campaignKey) {
	if x.sync.erased == nil {
		x.sync.erased = map[campaignKey]time.Time{}
	}
	x.sync.erased[k] = time.Now()
}
