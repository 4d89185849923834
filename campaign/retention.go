package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
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
	// unapproved lists the IDs of a campaign's greetings that were not
	// approved; nil: greetings are left as they are.
	unapproved func(ctx context.Context, campaignID string) ([]string, error)
	// PostedAfter and UnpostedAfter: see Due.
	PostedAfter, UnpostedAfter time.Duration
	claims                     *claim.Records
	done                       *mongo.Collection
	// pause is the rest between pages of signatures, as a share of the
	// time the page took (pace.go).
	pause float64
}

// NewRetention returns the retention job of svc's campaigns; unapproved
// lists the IDs of a campaign's greetings that were never approved, whose
// texts it deletes.
func NewRetention(svc *Service, posted PostedDay, unapproved func(ctx context.Context, campaignID string) ([]string, error), postedAfter, unpostedAfter time.Duration) *Retention {
	db := svc.store.signatures.Database()
	return &Retention{
		svc: svc, posted: posted, unapproved: unapproved, PostedAfter: postedAfter, UnpostedAfter: unpostedAfter,
		claims: claim.New(db.Collection(retentionClaimsCollection)),
		done:   db.Collection(retentionCollection),
		pause:  recountPause,
	}
}

// Due is when c's signatures are trimmed: PostedAfter after the day its
// letters were first posted, else UnpostedAfter after it closed.
func (r *Retention) Due(c *Campaign, postedOn time.Time, posted bool) time.Time {
	if posted {
		return postedOn.Add(r.PostedAfter)
	}
	return c.ClosesAt.Add(r.UnpostedAfter)
}

// Planned is a campaign the job has not trimmed yet, and when it will.
type Planned struct {
	Campaign *Campaign
	Due      time.Time
	Posted   bool
	// Addresses is how many signatures hold a stored address now.
	Addresses int
}

// Plan lists the campaigns that have closed and are not trimmed yet,
// with when each will be; counting the addresses reads every signature
// of those campaigns, so it is for the console only.
func (r *Retention) Plan(ctx context.Context, now time.Time) ([]Planned, error) {
	var out []Planned
	for _, c := range r.svc.Campaigns().All {
		if c.Status(now) != StatusClosed {
			continue
		}
		if done, err := r.isDone(ctx, c.ID); err != nil || done {
			if err != nil {
				return nil, err
			}
			continue
		}
		day, posted, err := r.posted(ctx, &c)
		if err != nil {
			return nil, fmt.Errorf("retention plan of %s: %w", c.Slug, err)
		}
		n, err := r.svc.store.countAddresses(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Planned{Campaign: &c, Due: r.Due(&c, day, posted), Posted: posted, Addresses: n})
	}
	return out, nil
}

// Trimmed is what one run removed from one campaign.
type Trimmed struct {
	Campaign *Campaign
	// Signatures is how many signatures lost something, Addresses how
	// many of them a stored email address, Greetings how many of them
	// a greeting that was never approved.
	Signatures, Addresses, Greetings int
}

// RunOnce trims every campaign that is due at now and not trimmed yet,
// if this node claims the run of now's hour (else it returns nothing):
// one node does each run. It is safe to repeat, and a run cut short is
// finished by the next one.
func (r *Retention) RunOnce(ctx context.Context, now time.Time) ([]Trimmed, error) {
	job := "retention/" + now.UTC().Format("2006-01-02T15")
	own, err := r.claims.Own(ctx, job, 1)
	if err != nil || !own {
		return nil, err
	}
	var out []Trimmed
	for _, c := range r.svc.Campaigns().All {
		if c.Status(now) != StatusClosed {
			continue
		}
		done, err := r.isDone(ctx, c.ID)
		if err != nil {
			return out, err
		}
		if done {
			continue
		}
		day, posted, err := r.posted(ctx, &c)
		if err != nil {
			return out, fmt.Errorf("retention of %s: %w", c.Slug, err)
		}
		if now.Before(r.Due(&c, day, posted)) {
			continue
		}
		t, err := r.trim(ctx, &c)
		if err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Run trims due campaigns every RetentionInterval until ctx ends; record
// is told what each run removed (the audit log: counts only).
func (r *Retention) Run(ctx context.Context, log *slog.Logger, record func(context.Context, Trimmed) error) {
	tick := time.NewTicker(RetentionInterval)
	defer tick.Stop()
	for {
		trimmed, err := r.RunOnce(ctx, r.svc.now())
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

// trim removes what c's signatures need no more, page by page with
// rests, then records c as done.
func (r *Retention) trim(ctx context.Context, c *Campaign) (Trimmed, error) {
	t := Trimmed{Campaign: c}
	// No message about the campaign goes out once it is trimmed.
	if err := r.svc.withdraw(ctx, CampaignRef(c.ID)); err != nil {
		return t, fmt.Errorf("retention of %s: %w", c.Slug, err)
	}
	p := newPacer(r.pause, RecountLease)
	if r.unapproved != nil {
		ids, err := r.unapproved(ctx, c.ID)
		if err != nil {
			return t, fmt.Errorf("retention of %s: %w", c.Slug, err)
		}
		for _, id := range ids {
			// The signature's copy goes first, so that no repair makes
			// the greeting again from it.
			if err := r.svc.store.dropGreetingCopy(ctx, id); err != nil {
				return t, fmt.Errorf("retention of %s: %w", c.Slug, err)
			}
			if err := r.svc.greetings.EraseGreeting(ctx, id); err != nil {
				return t, fmt.Errorf("retention of %s: erase greeting: %w", c.Slug, err)
			}
			t.Greetings++
			if err := p.read(ctx); err != nil {
				return t, err
			}
		}
	}
	err := r.svc.store.eachTrimmable(ctx, c.ID, func(id string, unset bson.M, hadEmail bool) error {
		if err := r.svc.store.trimSignature(ctx, id, unset); err != nil {
			return err
		}
		t.Signatures++
		if hadEmail {
			t.Addresses++
		}
		return p.read(ctx)
	})
	if err != nil {
		return t, fmt.Errorf("retention of %s: %w", c.Slug, err)
	}
	if _, err := r.done.InsertOne(ctx, bson.M{"_id": c.ID, "at": r.svc.now().UTC()}); err != nil && !database.IsDuplicate(err) {
		return t, fmt.Errorf("retention of %s: mark done: %w", c.Slug, err)
	}
	return t, nil
}

func (r *Retention) isDone(ctx context.Context, campaignID string) (bool, error) {
	err := r.done.FindOne(ctx, bson.M{"_id": campaignID}).Err()
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("retention state of %s: %w", campaignID, err)
	}
	return true, nil
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
