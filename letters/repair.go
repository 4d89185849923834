package letters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// What every start does with the greetings after it is ready: Repair
// reads them all once, in the background, and puts right what the
// requests' paths keep beside them.
//
// Why a rebuild after start rather than a marker written before each
// list change: a marker would add two writes to every change, signing's
// greeting included, where the embedded database has one writer; a
// greeting stored otherwise (the demo seed, an import, an older version)
// has no marker; and the greetings stored unchecked can only be found by
// reading them all anyway. Until Repair has run, an unchecked greeting is
// in no list, cannot be decided on (Store.Decide) and is not shown
// (toShown), so nothing waits for it but the moderators.

// RepairReport says what Repair read and put right.
type RepairReport struct {
	// Read is how many greetings were read.
	Read int
	// Checked is how many greetings got their flags.
	Checked int
	// Relisted is how many greetings had their entries in the console's
	// lists put right.
	Relisted int
	// Rebuilt is how many campaigns' lists of public greetings missed
	// approved greetings, read again from the greetings.
	Rebuilt int
	// Skipped are the greetings that could not be checked (one that
	// cannot be read, say), by ID, with why: left unchecked, in no list,
	// for the next start to try again, not a reason to stop the others.
	Skipped map[string]error
}

// Repair computes the flags of greetings stored without them (demo data,
// imports, greetings from before flags existed), oldest first so that the
// first of a text is the original; puts right the console's lists where a
// change was cut short; and adds to a campaign's list of public greetings
// the approved ones it misses (a crash between a decision and its note),
// from a read of the campaign's newest. It reads
// every greeting once, as it was at the time, and before each write reads
// the greeting it writes for again by _id, so that it is safe while
// requests and other nodes change greetings.
func (s *Service) Repair(ctx context.Context) (RepairReport, error) {
	var r RepairReport
	var unchecked []shownRef
	queue, translate := map[string]bool{}, map[string]bool{}
	approved := map[string][]shownRef{}
	err := s.store.eachState(ctx, func(g *greetingState) error {
		r.Read++
		if g.Status == StatusApproved {
			approved[g.CampaignID] = keepNewest(approved[g.CampaignID], shownRef{ID: g.ID, At: g.CreatedAt})
		}
		if !g.Checked {
			unchecked = append(unchecked, shownRef{ID: g.ID, At: g.CreatedAt})
			return nil
		}
		inQueue, inTranslate := g.listed()
		if inQueue {
			queue[g.ID] = true
		}
		if inTranslate {
			translate[g.ID] = true
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("repair greetings: %w", err)
	}

	slices.SortFunc(unchecked, olderRef)
	done := map[string]bool{}
	show := map[string]bool{}
	for _, u := range unchecked {
		g, checked, err := s.checkStored(ctx, u.ID)
		if err != nil && (ctx.Err() != nil || database.Unavailable(err)) {
			return r, fmt.Errorf("check greetings: %w", err)
		}
		if err != nil {
			if r.Skipped == nil {
				r.Skipped = map[string]error{}
			}
			r.Skipped[u.ID] = err
			done[u.ID] = true // the lists leave it alone too
			continue
		}
		done[u.ID] = true
		if checked {
			r.Checked++
			if g.Status == StatusApproved {
				show[g.CampaignID] = true
			}
		}
	}

	for _, l := range []struct {
		name string
		want map[string]bool
	}{{queueCollection, queue}, {translateCollection, translate}} {
		have, err := s.store.listIDs(ctx, l.name)
		if err != nil {
			return r, err
		}
		var differ []string
		for id := range have {
			if !l.want[id] && !done[id] {
				differ = append(differ, id)
			}
		}
		for id := range l.want {
			if !have[id] && !done[id] {
				differ = append(differ, id)
			}
		}
		slices.Sort(differ)
		for _, id := range differ {
			if err := s.store.resync(ctx, id); err != nil {
				return r, err
			}
			done[id] = true
			r.Relisted++
		}
	}

	docs, err := s.store.shownDocs(ctx)
	if err != nil {
		return r, err
	}
	for id := range docs {
		if _, ok := approved[id]; !ok {
			approved[id] = nil
		}
	}
	ids := make([]string, 0, len(approved))
	for id := range approved {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d, ok := docs[id]
		switch {
		case !ok && len(approved[id]) == 0:
		case !ok || missesApproved(d.IDs, approved[id]):
			if err := s.shownChanged(ctx, id, shownChange{rebuild: true}); err != nil {
				return r, err
			}
			r.Rebuilt++
		case show[id]:
			// Approved greetings that were not shown unchecked now are.
			if err := s.shownChanged(ctx, id, shownChange{}); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// missesApproved reports whether a campaign's stored list of public
// greetings lacks an approved greeting that the read of all greetings
// found and that belongs in it. What the list has and the read had not is
// newer than the read, or erased since.
func missesApproved(list, read []shownRef) bool {
	read = slices.Clone(read)
	slices.SortFunc(read, newerRef)
	read = read[:min(len(read), ShownListed)]
	for _, r := range read {
		if slices.ContainsFunc(list, func(x shownRef) bool { return x.ID == r.ID }) {
			continue
		}
		// A full list names the newest: an approval older than its last
		// is rightly not in it.
		if len(list) >= ShownListed && newerRef(r, list[len(list)-1]) > 0 {
			continue
		}
		return true
	}
	return false
}

// checkStored computes and stores the flags of an unchecked greeting, as
// stored now, and lists it; it reports false when the greeting is gone or
// checked already. A moderator's change of the language meanwhile makes it
// read the greeting again and check that.
func (s *Service) checkStored(ctx context.Context, id string) (*Greeting, bool, error) {
	for range 3 {
		g, err := s.store.Greeting(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if g.Checked {
			return g, false, nil
		}
		rules, err := s.Rules(ctx, g.CampaignID)
		if errors.Is(err, campaign.ErrNotFound) {
			rules, err = campaign.Rules{CampaignID: g.CampaignID}, nil
		}
		if err != nil {
			return nil, false, err
		}
		if err := s.check(ctx, g, rules); err != nil {
			return nil, false, err
		}
		saved, err := s.store.SaveCheck(ctx, g)
		if err != nil {
			return nil, false, err
		}
		if saved {
			return g, true, s.store.resync(ctx, id)
		}
	}
	return nil, false, fmt.Errorf("check greeting %s: it kept changing", id)
}

// RunRepair runs Repair once, again after repairRetry while it fails,
// until it has run or ctx ends; it logs how long it took.
func (s *Service) RunRepair(ctx context.Context, log *slog.Logger) {
	for {
		start := time.Now()
		r, err := s.Repair(ctx)
		if err == nil {
			for id, err := range r.Skipped {
				log.Warn("greeting left unchecked", "greeting", id, "error", err)
			}
			log.Info("greetings checked and listed", "read", r.Read, "checked", r.Checked, "relisted", r.Relisted,
				"public_lists_rebuilt", r.Rebuilt, "skipped", len(r.Skipped), "took", time.Since(start).Round(time.Millisecond))
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("check and list greetings", "error", err)
		t := time.NewTimer(repairRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// repairRetry is how long RunRepair waits after a failure.
const repairRetry = 30 * time.Second

// olderRef orders references oldest first.
func olderRef(a, b shownRef) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
