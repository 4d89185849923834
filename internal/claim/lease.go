package claim

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Leases are named leases kept in one collection, for work that has no
// job document of its own to lease (a campaign's retention pass, a
// resealing pass): one worker of all holds a name until its lease runs
// out or it releases it, and another takes it over after that. The lease
// document's _id is "lease:" and the name; its attempt is owned through
// Records in the same collection (ids "held:" and the name and attempt),
// so that the take is exclusive on the embedded database too.
type Leases struct {
	coll    *mongo.Collection
	records *Records
}

// NewLeases returns the leases kept in coll.
func NewLeases(coll *mongo.Collection) *Leases {
	return &Leases{coll: coll, records: New(coll)}
}

// Lease is a lease this worker holds.
type Lease struct {
	leases  *Leases
	name    string
	attempt int
}

func leaseID(name string) string { return "lease:" + name }

// Take takes the lease called name until now+d, if no worker holds it
// (never taken, released, or run out), and returns it; nil when another
// worker holds it.
func (l *Leases) Take(ctx context.Context, name string, now time.Time, d time.Duration) (*Lease, error) {
	var doc struct {
		Attempt int `bson:"attempt"`
	}
	// A lease held by another worker does not match: the upsert then
	// inserts its _id again, which fails as a duplicate.
	err := l.coll.FindOneAndUpdate(ctx,
		bson.M{"_id": leaseID(name), "until": bson.M{"$lt": now}},
		bson.M{"$set": bson.M{"until": now.Add(d)}, "$inc": bson.M{"attempt": 1}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if database.IsDuplicate(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take lease %s: %w", name, err)
	}
	won, err := l.records.Own(ctx, "held:"+name, doc.Attempt)
	if err != nil || !won {
		return nil, err
	}
	return &Lease{leases: l, name: name, attempt: doc.Attempt}, nil
}

// Renew extends the lease until now+d and reports whether this worker
// still held it; false: another worker took it over.
func (h *Lease) Renew(ctx context.Context, now time.Time, d time.Duration) (bool, error) {
	res, err := h.leases.coll.UpdateOne(ctx, bson.M{"_id": leaseID(h.name), "attempt": h.attempt},
		bson.M{"$set": bson.M{"until": now.Add(d)}})
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", h.name, err)
	}
	return res.MatchedCount == 1, nil
}

// Release gives the lease up, if this worker still holds it, so that
// another worker may take it at once.
func (h *Lease) Release(ctx context.Context) error {
	_, err := h.leases.coll.UpdateOne(ctx, bson.M{"_id": leaseID(h.name), "attempt": h.attempt},
		bson.M{"$set": bson.M{"until": time.Time{}}})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", h.name, err)
	}
	return h.leases.records.Release(ctx, "held:"+h.name, h.attempt)
}
