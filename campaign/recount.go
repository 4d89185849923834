package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"
)

// The recount corrects the counter documents from the signatures, while
// other nodes go on adding to them, without losing or doubling anything
// they add.
//
// Every addition to a counter goes, in the same $inc, to its total and to
// one part of it: the paper part for paper counts, else the bucket of the
// minute of the change: when its signatures were signed, or erased. A recount picks a cut-off minute
// RecountMargin in the past: by then every signature signed before it is
// stored, and any node alive has written its count. It then, per campaign:
//
//  1. seals the counter at the cut-off in one atomic update, which also
//     returns the document as sealed. From then on, additions for minutes
//     before the cut-off are no longer applied (addToCounter's filter):
//     those signatures are stored, and step 2 counts them. So what the
//     counter holds for before the cut-off is fixed at the seal: its total
//     less the paper part and less the buckets from the cut-off on;
//  2. counts the stored signatures signed before the cut-off (a scan of
//     every campaign at once);
//  3. adds the difference of the two to the counter, relatively ($inc),
//     and drops the buckets before the cut-off. Additions for the cut-off
//     and later, which other nodes make all the while, are in neither side
//     of the difference, and the $inc leaves them alone.
//
// The seal carries a lease (RecountLease): one recount at a time holds a
// counter, others skip it; a recount that outlived its lease finds the
// counter taken over and corrects nothing (step 3 names the seal and the
// lease in its filter), so two recounts never both correct. A recount
// that dies after its seal leaves the additions it blocked uncounted until
// the next recount. An erasure made in the margin before the cut-off or
// during the scan may be counted off by one until the next recount too. Each recount makes the part
// before its cut-off exact again, whatever came before.

// Timing of the recount (Run).
const (
	// RecountMargin is how far in the past the cut-off is: more than the
	// clocks of nodes differ plus the time a signature takes from its
	// signing time to its stored count.
	RecountMargin = 2 * time.Minute
	// RecountInterval is how often Run recounts, after a first recount at
	// its start.
	RecountInterval = 10 * time.Minute
	// RecountLease bounds how long a recount holds a counter; longer than
	// a scan of a million signatures on the embedded database (about 65 s).
	RecountLease = 10 * time.Minute
)

// Recount corrects every campaign's counter document from the stored
// signatures signed before a cut-off RecountMargin ago (see above), and
// returns how many it corrected. Campaigns another node is recounting are
// skipped. The memory takes the corrected counts at the next Refresh.
func (s *Service) Recount(ctx context.Context) (int, error) {
	return s.recount(ctx, minuteOf(s.now().Add(-RecountMargin)), recountPause)
}

// RecountAll is Recount with the cut-off at the next minute: it counts
// every signature stored so far. It is for the migration that gives an
// older database its counters, before this version's nodes sign; a
// signature an older node stores meanwhile is counted by the next Recount.
func (s *Service) RecountAll(ctx context.Context) (int, error) {
	return s.recount(ctx, minuteOf(s.now())+1, recountPause)
}

// RecountAllAtOnce is RecountAll without the rests between pages that
// leave room for requests: for a database no node serves yet, such as
// one `solidarity restore` has just loaded.
func (s *Service) RecountAllAtOnce(ctx context.Context) (int, error) {
	return s.recount(ctx, minuteOf(s.now())+1, 0)
}

func (s *Service) recount(ctx context.Context, cutoff int64, pause float64) (int, error) {
	now := s.now().UTC()
	cutoffTime := time.Unix(cutoff*60, 0)
	lease := now.Add(RecountLease).Truncate(time.Millisecond) // what BSON keeps

	ids := map[string]bool{}
	docs, err := s.store.counterDocs(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range docs {
		ids[d.ID] = true
	}
	campaigns, err := s.store.Campaigns(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range campaigns {
		if !ids[c.ID] {
			if _, err := s.store.ensureCounter(ctx, c.ID); err != nil {
				return 0, err
			}
			ids[c.ID] = true
		}
	}
	sealed := map[string]counterDoc{}
	for id := range ids {
		doc, ok, err := s.store.claimRecount(ctx, id, cutoff, now, lease)
		if err != nil {
			return 0, err
		}
		if ok {
			sealed[id] = doc
		}
	}
	if len(sealed) == 0 {
		return 0, nil
	}
	counted := map[string]*tally{}
	err = s.store.eachCountry(ctx, cutoffTime, newPacer(pause, recountPaceLimit), func(campaignID string, signedAt time.Time, country, recipient string) {
		if _, ok := sealed[campaignID]; ok && signedAt.Before(cutoffTime) {
			tallyOf(counted, campaignID).addCard(country, recipient, 1)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("recount signatures: %w", err)
	}
	corrected := 0
	var errs []error
	for id, doc := range sealed {
		fix, drop := correction(doc, cutoff, counted[id])
		ok, err := s.store.applyRecount(ctx, id, cutoff, lease, fix, drop)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok && (fix.total != 0 || len(fix.countries) > 0) {
			corrected++
		}
	}
	return corrected, errors.Join(errs...)
}

// correction is what to add to a counter sealed at cutoff (doc, as the seal
// returned it) so that its part before the cut-off is counted (nil: none),
// and the buckets it no longer needs.
func correction(doc counterDoc, cutoff int64, counted *tally) (fix *tally, drop []string) {
	// What the counter holds for before the cut-off.
	before := &tally{total: doc.Total, countries: maps.Clone(doc.Countries)}
	before.merge(negated(doc.Paper))
	for k, b := range doc.Buckets {
		m, ok := bucketMinute(k)
		if !ok {
			continue
		}
		if m >= cutoff {
			before.merge(negated(b))
		} else {
			drop = append(drop, k)
		}
	}
	fix = &tally{}
	if counted != nil {
		fix.merge(counted)
	}
	fix.merge(&tally{total: -before.total, countries: negate(before.countries)})
	return fix, drop
}

func negated(b bucketDoc) *tally { return &tally{total: -b.T, countries: negate(b.C)} }

func negate(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = -v
	}
	return out
}

// bucketMinute is the Unix minute a bucket key names (bucketKey).
func bucketMinute(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, "m")
	if !ok {
		return 0, false
	}
	var m int64
	if _, err := fmt.Sscan(rest, &m); err != nil {
		return 0, false
	}
	return m, true
}

// recountLoop recounts at once and then every RecountInterval until ctx
// ends; failures are logged and retried at the next turn.
func (s *Service) recountLoop(ctx context.Context, log *slog.Logger) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		n, err := s.Recount(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("recount", "error", err)
		case n > 0:
			log.Info("recount corrected counters", "campaigns", n, "took_ms", time.Since(start).Milliseconds())
		}
		t.Reset(RecountInterval)
	}
}
