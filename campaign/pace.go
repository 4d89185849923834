package campaign

import (
	"context"
	"time"
)

// A background scan of every signature (the recount) competes with
// signing for the database: on the embedded database a scan of a million
// signatures takes about a minute of one core. In a bench run on a busy
// machine the periodic recount fell on the measure of signing at 1M:
// three quarters of that measure's CPU profile was reading for scans, and
// signing fell to 25 a second. So the recount rests after
// each page of its scan, as long as the page took times recountPause,
// which leaves the database to signing at least half the time. The rest
// stops once the scan has run for recountPaceLimit, so that it still ends
// well within its lease (RecountLease): a recount past its lease corrects
// nothing.
const (
	recountPause     = 1.0
	recountPaceLimit = RecountLease / 3
	// scanPage is how many documents a scan reads a page (its batch size).
	scanPage = 1000
)

// pacer rests a scan between its pages (see above).
type pacer struct {
	pause float64
	limit time.Duration
	began time.Time // when the scan began
	page  time.Time // when the current page began
	n     int       // documents read in the current page
}

// newPacer returns a pacer for a scan beginning now that rests pause
// times as long as each page took, until limit has passed.
func newPacer(pause float64, limit time.Duration) *pacer {
	now := time.Now()
	return &pacer{pause: pause, limit: limit, began: now, page: now}
}

// rest is the pause after a page that took took, when the scan has run
// for elapsed.
func rest(pause float64, limit, took, elapsed time.Duration) time.Duration {
	if elapsed >= limit || took <= 0 {
		return 0
	}
	return time.Duration(float64(took) * pause)
}

// read notes one document read, and after each scanPage of them rests as
// long as rest says. It returns ctx's error if ctx ends while it rests.
func (p *pacer) read(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if p.n++; p.n < scanPage {
		return nil
	}
	now := time.Now()
	d := rest(p.pause, p.limit, now.Sub(p.page), now.Sub(p.began))
	p.n = 0
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	p.page = time.Now()
	return nil
}
