package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/claim"
)

// Collections of the retention job: which campaigns it has done, and the
// claims that make each day's run happen on one node.
const (
	retentionCollection       = "retention"
	retentionClaimsCollection = "retention_claims"
)

// RetentionInterval is how often each node checks for campaigns that
// have become due; the first node to claim a day's run does it.
const RetentionInterval = time.Hour

// RetentionLease is how long a node holds a campaign's pass without
// renewing it. A pass can outlast an hour (the signatures are read with
// rests), so the next hour's run, on another node, would trim the same
// campaign beside it: the pass is leased per campaign, renewed while it
// runs, and taken over by a later run once a crashed node's lease ran out.
const RetentionLease = 2 * time.Minute

// PostedDay returns the day a campaign's letters were first posted (the
// delivery log's "posted" event), if they were.
type PostedDay func(ctx context.Context, c *Campaign) (time.Time, bool, error)

// Retention forgets, once a campaign's letters have been posted for a
// while (or it closed long ago and nothing was posted), what its
// signatures hold beyond what the printed letter showed: the stored
// address and its domain, the network hash, the domain and referrer keys,
// the marks, the wish for updates, and the name and city of a supporter
// who chose to be printed as "a supporter from" their country. The
// signature keeps its country, dates, source and what was printed.
type Retention struct {
	svc    *Service
	posted PostedDay
	// greetings finds and deletes the greetings never approved; nil:
	// greetings are left as they are.
	greetings UnapprovedGreetings
	// PostedAfter and UnpostedAfter: see Due.
	PostedAfter, UnpostedAfter time.Duration
	claims                     *claim.Records
	leases                     *claim.Leases
	done                       *mongo.Collection
	// pause is the rest between pages of signatures, as a share of the
	// time the page took (pace.go).
	pause float64
	// lease and renewEvery: see RetentionLease; tests shorten renewEvery.
	lease, renewEvery time.Duration
	// trimmed, when set (tests), is called after each signature is
	// trimmed, in the pass's context.
	trimmed func(ctx context.Context)
}

// UnapprovedGreetings is what retention needs of the greetings.
type UnapprovedGreetings interface {
	// UnapprovedIDs lists the IDs of a campaign's greetings that were
	// never approved.
	UnapprovedIDs(ctx context.Context, campaignID string) ([]string, error)
	// Delete deletes one greeting and nothing else: the decision on the
	// signature's held name stays, since later bundles print by it.
	Delete(ctx context.Context, id string) error
}

// NewRetention returns the retention job of svc's campaigns; it deletes
// the texts of greetings never approved from greetings (nil: none).
func NewRetention(svc *Service, posted PostedDay, greetings UnapprovedGreetings, postedAfter, unpostedAfter time.Duration) *Retention {
	db := svc.store.signatures.Database()
	return &Retention{
		svc: svc, posted: posted, greetings: greetings, PostedAfter: postedAfter, UnpostedAfter: unpostedAfter,
		claims: claim.New(db.Collection(retentionClaimsCollection)),
		leases: claim.NewLeases(db.Collection(retentionClaimsCollection)),
		done:   db.Collection(retentionCollection),
		pause:  recountPause,
		lease:  RetentionLease, renewEvery: RetentionLease / 4,
	}
}

// pass is one trimming of a campaign: what it is done for and which
// signatures it covers. The job records each pass it finished; a
// campaign whose closing date or posted day has changed since has a new
// pass, so that it is trimmed again once that one is due.
type pass struct {
	// ClosesAt and Posted are the campaign's closing date and the day
	// its letters were last posted (zero: never) that the pass is for.
	ClosesAt time.Time `bson:"closes_at"`
	Posted   time.Time `bson:"posted"`
	// Before limits the pass to the signatures made before it: those
	// the posted letters may carry, while the campaign is open; zero
	// (all of them) once it has closed.
	Before time.Time `bson:"before"`
	due    time.Time
}

// same reports whether p and o are one pass, whatever the time zones.
func (p pass) same(o pass) bool {
	return p.ClosesAt.Equal(o.ClosesAt) && p.Posted.Equal(o.Posted) && p.Before.Equal(o.Before)
}

// Due is when c's signatures are trimmed: PostedAfter after the day its
// letters were last posted, else UnpostedAfter after it closed.
func (r *Retention) Due(c *Campaign, postedOn time.Time, posted bool) time.Time {
	if posted {
		return postedOn.Add(r.PostedAfter)
	}
	return c.ClosesAt.Add(r.UnpostedAfter)
}

// passOf is the pass that c has at now, if it has one. A closed
// campaign's pass trims all its signatures. An open campaign whose
// letters have been posted has one too: it trims, PostedAfter after the
// posting, the signatures made before the posted day, which are those
// the letters may have carried; those made later wait for the next
// posting or the closing. An open campaign that posted nothing has none.
func (r *Retention) passOf(ctx context.Context, c *Campaign, now time.Time) (pass, bool, error) {
	status := c.Status(now)
	if status != StatusClosed && status != StatusOpen {
		return pass{}, false, nil
	}
	day, posted, err := r.posted(ctx, c)
	if err != nil {
		return pass{}, false, fmt.Errorf("posted day of %s: %w", c.Slug, err)
	}
	p := pass{ClosesAt: c.ClosesAt.UTC(), due: r.Due(c, day, posted)}
	if posted {
		p.Posted = day.UTC()
	}
	if status == StatusOpen {
		if !posted {
			return pass{}, false, nil
		}
		p.Before = p.Posted
	}
	return p, true, nil
}

// Planned is a campaign whose next pass the job has not done yet, when
// it will, and what it would remove if it ran now.
type Planned struct {
	Campaign *Campaign
	Due      time.Time
	Posted   bool
	// Open is true for an open campaign's pass, which trims only the
	// signatures made before its letters' posted day.
	Open bool
	Removed
}

// Plan lists the campaigns whose next pass is not done yet, with when
// each will be and what it would remove: a dry run of the job, which
// reads every signature of those campaigns, so it is for the console
// only.
func (r *Retention) Plan(ctx context.Context, now time.Time) ([]Planned, error) {
	var out []Planned
	for _, c := range r.svc.Campaigns().All {
		p, ok, err := r.pending(ctx, &c, now)
		if err != nil {
			return nil, fmt.Errorf("retention plan: %w", err)
		}
		if !ok {
			continue
		}
		removed, err := r.trim(ctx, &c, p, true)
		if err != nil {
			return nil, fmt.Errorf("retention plan: %w", err)
		}
		out = append(out, Planned{Campaign: &c, Due: p.due, Posted: !p.Posted.IsZero(), Open: !p.Before.IsZero(), Removed: removed})
	}
	return out, nil
}

// pending is c's pass at now, if it has one the job has not done.
func (r *Retention) pending(ctx context.Context, c *Campaign, now time.Time) (pass, bool, error) {
	p, ok, err := r.passOf(ctx, c, now)
	if err != nil || !ok {
		return pass{}, false, err
	}
	done, err := r.isDone(ctx, c.ID, p)
	if err != nil || done {
		return pass{}, false, err
	}
	return p, true, nil
}

// Trimmed is what one run removed from one campaign.
type Trimmed struct {
	Campaign *Campaign
	Removed
}

// RunOnce trims every campaign whose pass is due at now and not done
// yet, if this node claims the run of now's hour (else it returns
// nothing): one node does each run. Each campaign's pass is leased
// besides (RetentionLease), so that a pass still going on another node
// (an earlier hour's) is passed over. It is safe to repeat, and a run cut
// short is finished by a later one.
func (r *Retention) RunOnce(ctx context.Context, now time.Time) ([]Trimmed, error) {
	job := "retention/" + now.UTC().Format("2006-01-02T15")
	own, err := r.claims.Own(ctx, job, 1)
	if err != nil || !own {
		return nil, err
	}
	var out []Trimmed
	for _, c := range r.svc.Campaigns().All {
		p, ok, err := r.pending(ctx, &c, now)
		if err != nil {
			return out, fmt.Errorf("retention: %w", err)
		}
		if !ok || now.Before(p.due) {
			continue
		}
		removed, ok, err := r.leased(ctx, &c, now)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, Trimmed{Campaign: &c, Removed: removed})
		}
	}
	return out, nil
}

// leased trims c, if no other node's pass holds it, under a lease renewed
// while it trims, and reports whether it did. A pass whose lease was
// taken over stops. A pass stopped with ctx keeps its lease until it runs
// out, as a crashed node's does.
func (r *Retention) leased(ctx context.Context, c *Campaign, now time.Time) (Removed, bool, error) {
	held, err := r.leases.Take(ctx, "retention/"+c.ID, r.svc.now().UTC(), r.lease)
	if err != nil || held == nil {
		return Removed{}, false, err
	}
	work, stop := claim.Keep(ctx, r.renewEvery, func(ctx context.Context) (bool, error) {
		return held.Renew(ctx, r.svc.now().UTC(), r.lease)
	}, nil)
	removed, ok, err := r.passUnder(work, c, now)
	stopped := work.Err() != nil
	stop()
	if stopped {
		return removed, false, errors.Join(err, context.Cause(work))
	}
	return removed, ok, errors.Join(err, held.Release(ctx))
}

// passUnder trims c's pass, read again under the lease (another node may
// have finished it since RunOnce looked), and records it done.
func (r *Retention) passUnder(ctx context.Context, c *Campaign, now time.Time) (Removed, bool, error) {
	p, ok, err := r.pending(ctx, c, now)
	if err != nil || !ok || now.Before(p.due) {
		return Removed{}, false, err
	}
	removed, err := r.trim(ctx, c, p, false)
	if err != nil {
		return removed, false, err
	}
	if err := r.markDone(ctx, c.ID, p); err != nil {
		return removed, false, err
	}
	return removed, true, nil
}

// Run trims due campaigns every RetentionInterval until ctx ends; record
// is told what each run removed (the audit log: counts only).
func (r *Retention) Run(ctx context.Context, log *slog.Logger, record func(context.Context, Trimmed) error) {
	tick := time.NewTicker(RetentionInterval)
	defer tick.Stop()
	for {
		start := time.Now()
		trimmed, err := r.RunOnce(ctx, r.svc.now())
		if ctx.Err() == nil {
			r.svc.observeJob("retention", start, err)
		}
		for _, t := range trimmed {
			if err := record(ctx, t); err != nil {
				log.Error("record retention", "campaign", t.Campaign.Slug, "error", err)
			}
		}
		if err != nil && ctx.Err() == nil {
			log.Error("retention", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// trim removes what the signatures of c that p covers need no more,
// page by page with rests, and the greetings never approved once c has
// closed; with dryRun it removes nothing and only counts, along the same
// path.
func (r *Retention) trim(ctx context.Context, c *Campaign, p pass, dryRun bool) (Removed, error) {
	var removed Removed
	pace := newPacer(r.pause, RecountLease)
	if dryRun {
		pace = nil // the console waits for it
	}
	if !dryRun {
		// No message about what is trimmed goes out after: about the
		// whole campaign when the pass covers it all, else about each
		// trimmed signature (below).
		if err := r.withdraw(ctx, c, p); err != nil {
			return removed, err
		}
	}
	if r.greetings != nil && p.Before.IsZero() {
		ids, err := r.greetings.UnapprovedIDs(ctx, c.ID)
		if err != nil {
			return removed, fmt.Errorf("retention of %s: %w", c.Slug, err)
		}
		if dryRun {
			removed.Greetings = len(ids)
			ids = nil
		}
		for _, id := range ids {
			// The signature's copy goes first, so that no repair makes
			// the greeting again from it.
			if err := r.svc.store.dropGreetingCopy(ctx, id); err != nil {
				return removed, fmt.Errorf("retention of %s: %w", c.Slug, err)
			}
			if err := r.greetings.Delete(ctx, id); err != nil {
				return removed, fmt.Errorf("retention of %s: erase greeting: %w", c.Slug, err)
			}
			removed.Greetings++
			if err := pace.read(ctx); err != nil {
				return removed, err
			}
		}
	}
	err := r.svc.store.eachTrimmable(ctx, c.ID, p.Before, func(t *trimming) error {
		if !dryRun {
			if !p.Before.IsZero() && t.removed.Addresses > 0 {
				if err := r.svc.withdraw(ctx, SignatureRef(t.id)); err != nil {
					return err
				}
			}
			if err := r.svc.store.trimSignature(ctx, t); err != nil {
				return err
			}
			if r.trimmed != nil {
				r.trimmed(ctx)
			}
		}
		removed.add(t.removed)
		return pace.read(ctx)
	})
	if err != nil {
		return removed, fmt.Errorf("retention of %s: %w", c.Slug, err)
	}
	return removed, nil
}

// doneDoc records the last pass the job finished for a campaign.
type doneDoc struct {
	ID   string    `bson:"_id"`
	At   time.Time `bson:"at"`
	Pass pass      `bson:"pass"`
}

// markDone records p as c's last pass done.
func (r *Retention) markDone(ctx context.Context, campaignID string, p pass) error {
	d := doneDoc{ID: campaignID, At: r.svc.now().UTC(), Pass: p}
	if _, err := r.done.ReplaceOne(ctx, bson.M{"_id": campaignID}, d, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("retention of %s: mark done: %w", campaignID, err)
	}
	return nil
}

// isDone reports whether the last pass done for the campaign is p. A
// record of an older shape, with no pass, is of none.
func (r *Retention) isDone(ctx context.Context, campaignID string, p pass) (bool, error) {
	var d doneDoc
	err := r.done.FindOne(ctx, bson.M{"_id": campaignID}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("retention state of %s: %w", campaignID, err)
	}
	return !d.Pass.ClosesAt.IsZero() && d.Pass.same(p), nil
}

// PrepareRetention creates the job's collections (a migration): the
// claims' unique _id is all they need.
func PrepareRetention(ctx context.Context, db *mongo.Database) error {
	names, err := db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range []string{retentionCollection, retentionClaimsCollection} {
		if have[n] {
			continue
		}
		if err := db.CreateCollection(ctx, n); err != nil {
			return fmt.Errorf("create %s: %w", n, err)
		}
	}
	return nil
}

// RetentionPasses removes the job's records of an older shape, which
// named the campaign only and not the pass done (a migration): each such
// campaign is trimmed again once its pass is due, which removes only
// what is left to remove.
func RetentionPasses(ctx context.Context, db *mongo.Database) error {
	if _, err := db.Collection(retentionCollection).DeleteMany(ctx, bson.M{"pass": bson.M{"$exists": false}}); err != nil {
		return fmt.Errorf("forget retention records without a pass: %w", err)
	}
	return nil
}

// withdraw withdraws the queued messages about c when pass p trims all of
// it; a pass over the signatures made before a day withdraws each
// trimmed signature's instead, since later ones may still get news.
func (r *Retention) withdraw(ctx context.Context, c *Campaign, p pass) error {
	if !p.Before.IsZero() {
		return nil
	}
	if err := r.svc.withdraw(ctx, CampaignRef(c.ID)); err != nil {
		return fmt.Errorf("retention of %s: %w", c.Slug, err)
	}
	return nil
}
