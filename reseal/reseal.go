// Package reseal keeps every stored personal field sealed under the active
// data key: at start-up it seals what older versions stored plain (the
// migration), and in the background it seals anew what is still under a
// key that was rotated out. Both are one mechanism: each store names its
// sealed fields, and a pass walks them (see sealed.Reseal).
package reseal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"github.com/solidarity-letters/solidarity/letters"
)

// Interval is how often a background pass runs, on one node of all: the
// first node to look in each period of Interval does it.
const Interval = 10 * time.Minute

// The background passes' coordination between nodes: a pass reads every
// sealed collection, so one node of all does each period's, and a pass
// holds a lease (PassLease) renewed while it runs, so that a pass longer
// than its period does not run beside the next period's on another node,
// and a pass whose node crashed is done by a later period's node once its
// lease ran out.
const (
	claimsCollection = "reseal_claims"
	// PassLease is how long a pass is held without a renewal.
	PassLease = 2 * time.Minute
	// lookEvery is how often each node looks whether the period's pass
	// is done.
	lookEvery = time.Minute
)

// Resealer seals the stores' fields anew.
type Resealer struct {
	keys      *seal.Keyring
	fields    []sealed.Fields
	greetings *letters.Store
	bundles   *bundle.Jobs
	log       *slog.Logger
	now       func() time.Time
	claims    *claim.Records
	leases    *claim.Leases
	// renewEvery is how often a pass renews its lease; tests shorten it.
	renewEvery time.Duration
}

// New returns a resealer over the stores, which must all seal with keys;
// its background passes are coordinated through db on the clock now.
func New(db *mongo.Database, keys *seal.Keyring, signatures *campaign.Store, partners *campaign.Partners, greetings *letters.Store, users *account.Store, auditLog *audit.Log, bundles *bundle.Jobs, now func() time.Time, log *slog.Logger) *Resealer {
	fields := []sealed.Fields{signatures.SignatureFields(), partners.IdempotencyFields(), users.SealedFields(), auditLog.Fields()}
	fields = append(fields, greetings.SealedFields()...)
	coll := db.Collection(claimsCollection)
	return &Resealer{keys: keys, fields: fields, greetings: greetings, bundles: bundles, log: log, now: now,
		claims: claim.New(coll), leases: claim.NewLeases(coll), renewEvery: PassLease / 4}
}

// Add names more stores' sealed fields, for stores built after the
// resealer (the posts). Call it before Migrate, Pass, Run or Usage.
func (r *Resealer) Add(fields ...sealed.Fields) {
	r.fields = append(r.fields, fields...)
}

// Migrate seals every value stored plain by a version before sealing. It
// is for start-up, before requests: safe to repeat, and stopped half way it
// loses nothing and goes on where it stopped the next time. With exclusive
// (nothing else writes to the database meanwhile: the embedded one, whose
// socket admits one process) it copies each collection that needs it
// instead of updating document by document, which the embedded database
// makes slow (see sealed.Rewrite), and so seals anew the values under a
// rotated-out key as well, which Run would otherwise do one by one.
func (r *Resealer) Migrate(ctx context.Context, exclusive bool) (int64, error) {
	return r.pass(ctx, !exclusive, exclusive)
}

// Pass seals anew every value that is plain or under a key other than the
// active one, and drops the duplicate keys of greetings made with another
// key. It returns how many documents it wrote.
func (r *Resealer) Pass(ctx context.Context) (int64, error) {
	return r.pass(ctx, false, false)
}

func (r *Resealer) pass(ctx context.Context, plainOnly, exclusive bool) (int64, error) {
	var total int64
	for _, f := range r.fields {
		var n int64
		var err error
		if exclusive {
			n, err = sealed.Rewrite(ctx, r.keys, f, plainOnly)
		} else {
			n, err = sealed.Reseal(ctx, r.keys, f, plainOnly, nil)
		}
		total += n
		if err != nil {
			return total, err
		}
		if n > 0 {
			r.log.Info("sealed stored values anew", "collection", f.Collection.Name(), "documents", n)
		}
	}
	n, err := r.greetings.DropStaleTextKeys(ctx, plainOnly)
	if err != nil {
		return total, err
	}
	total += n
	n, err = r.bundles.Reseal(ctx, plainOnly)
	total += n
	if err != nil {
		return total, err
	}
	if n > 0 {
		r.log.Info("sealed stored bundles anew", "bundles", n)
	}
	return total, nil
}

// Run seals anew in the background what is under a rotated-out key: the
// pass of each period of Interval that no other node did (RunOnce), looked
// for now and every minute, until ctx ends. A failed pass is logged and
// done again in a later period.
func (r *Resealer) Run(ctx context.Context) error {
	t := time.NewTicker(lookEvery)
	defer t.Stop()
	for {
		if _, _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("seal stored values anew", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce does the current period's pass, if no node has claimed it and
// no earlier pass still runs, under a lease renewed while it runs. It
// reports whether this node did it, and how many documents it wrote. A
// pass stopped with ctx keeps its lease until it runs out, as a crashed
// node's does.
func (r *Resealer) RunOnce(ctx context.Context) (bool, int64, error) {
	now := r.now().UTC()
	period := fmt.Sprintf("pass/%d", now.Unix()/int64(Interval/time.Second))
	won, err := r.claims.Own(ctx, period, 1)
	if err != nil || !won {
		return false, 0, err
	}
	// Earlier periods' claims are no longer needed; a failure leaves a
	// few bytes behind.
	_, _ = r.claims.Prune(ctx, "pass/", period)
	held, err := r.leases.Take(ctx, "pass", now, PassLease)
	if err != nil || held == nil {
		return false, 0, err // an earlier pass runs on another node
	}
	work, stop := claim.Keep(ctx, r.renewEvery, func(ctx context.Context) (bool, error) {
		return held.Renew(ctx, r.now().UTC(), PassLease)
	}, func(err error) { r.log.Warn("renew the lease of the resealing pass", "error", err) })
	n, err := r.Pass(work)
	stopped := work.Err() != nil
	stop()
	if stopped {
		return true, n, errors.Join(err, context.Cause(work))
	}
	return true, n, errors.Join(err, held.Release(ctx))
}

// Usage counts the stored values under each key ID: every sealed field,
// every greeting duplicate key and every stored bundle. sealed.Plain counts
// values not sealed at all. A key that counts zero can be retired.
func (r *Resealer) Usage(ctx context.Context) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, f := range r.fields {
		if err := sealed.Usage(ctx, f, counts); err != nil {
			return nil, err
		}
	}
	if err := r.greetings.TextKeyUsage(ctx, counts); err != nil {
		return nil, err
	}
	if err := r.bundles.Usage(ctx, counts); err != nil {
		return nil, fmt.Errorf("count sealed bundles: %w", err)
	}
	return maps.Clone(counts), nil
}
