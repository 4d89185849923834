// Package reseal keeps every stored personal field sealed under the active
// data key: at start-up it seals what older versions stored plain (the
// migration), and in the background it seals anew what is still under a
// key that was rotated out. Both are one mechanism: each store names its
// sealed fields, and a pass walks them (see sealed.Reseal).
package reseal

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"github.com/solidarity-letters/solidarity/letters"
)

// Interval is how long the background loop waits between passes.
const Interval = 10 * time.Minute

// Resealer seals the stores' fields anew.
type Resealer struct {
	keys      *seal.Keyring
	fields    []sealed.Fields
	greetings *letters.Store
	bundles   *bundle.Jobs
	log       *slog.Logger
}

// New returns a resealer over the stores, which must all seal with keys.
func New(keys *seal.Keyring, signatures *campaign.Store, partners *campaign.Partners, greetings *letters.Store, users *account.Store, auditLog *audit.Log, bundles *bundle.Jobs, log *slog.Logger) *Resealer {
	fields := []sealed.Fields{signatures.SignatureFields(), partners.IdempotencyFields(), users.SealedFields(), auditLog.Fields()}
	fields = append(fields, greetings.SealedFields()...)
	return &Resealer{keys: keys, fields: fields, greetings: greetings, bundles: bundles, log: log}
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

// Run seals anew in the background what is under a rotated-out key: a pass
// now, then one every Interval, until ctx ends. A failed pass is logged
// and tried again at the next.
func (r *Resealer) Run(ctx context.Context) error {
	for {
		if _, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("seal stored values anew", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(Interval):
		}
	}
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
