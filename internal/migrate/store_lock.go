package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// ErrLockLost is returned when another runner took the lock over while
// this one held it: this one stopped renewing it for a whole lease.
var ErrLockLost = errors.New("lost the migration lock to another runner")

// The lock is a line of documents "lock.1", "lock.2", ... in Collection,
// of which the one with the highest generation counts. A runner claims the
// lock by inserting the next generation when the current one is released
// or its lease has run out: the unique _id lets exactly one runner win. Only
// a generation's owner writes to its document afterwards (to renew its
// lease or release it), so no write races another. This is why the lock is
// not one document claimed with FindOneAndUpdate: the embedded database
// runs findAndModify as a read and then an unconditional write, so two
// runners could both take over the same expired lease.
type lockDoc struct {
	ID       string    `bson:"_id"`
	Kind     string    `bson:"kind"`
	Gen      int       `bson:"gen"`
	Owner    string    `bson:"owner"`
	Until    time.Time `bson:"until"`
	Released bool      `bson:"released"`
}

// lock is one runner's hold on the migration lock.
type lock struct {
	coll *mongo.Collection
	opts Options
	gen  int // the generation held, once acquired
}

// newOwner names a runner: the host, for whoever reads the lock document,
// and random bytes, so two processes on one host differ.
func newOwner() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("name the migration runner: %w", err)
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b)), nil
}

// acquire waits until the lock is free or expired and claims it, and
// reports whether it did. It stops waiting, without the lock, when
// finished reports that another runner did the work meanwhile.
func (l *lock) acquire(ctx context.Context, finished func(context.Context) (bool, error)) (bool, error) {
	for {
		ok, err := l.try(ctx)
		if err != nil || ok {
			return ok, err
		}
		if done, err := finished(ctx); err != nil || done {
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the migration lock: %w", ctx.Err())
		case <-time.After(l.opts.Poll):
		}
	}
}

// try claims the lock if it is free, and reports whether it did.
func (l *lock) try(ctx context.Context) (bool, error) {
	cur, err := l.current(ctx)
	if err != nil {
		return false, err
	}
	now := l.opts.Now().UTC()
	if cur != nil && !cur.Released && !cur.Until.Before(now) {
		return false, nil // held, and its holder is alive
	}
	gen := 1
	if cur != nil {
		gen = cur.Gen + 1
	}
	doc := lockDoc{ID: fmt.Sprintf("lock.%d", gen), Kind: lockID, Gen: gen, Owner: l.opts.Owner, Until: now.Add(l.opts.Lease)}
	_, err = l.coll.InsertOne(ctx, doc)
	if database.IsDuplicate(err) {
		return false, nil // another runner claimed this generation first
	}
	if err != nil {
		return false, fmt.Errorf("take the migration lock: %w", err)
	}
	l.gen = gen
	// The generations before are history; a failed clean-up costs nothing.
	_, _ = l.coll.DeleteMany(ctx, bson.M{"kind": lockID, "gen": bson.M{"$lt": gen}})
	return true, nil
}

// current returns the lock document that counts, or nil if there is none.
func (l *lock) current(ctx context.Context) (*lockDoc, error) {
	var doc lockDoc
	err := l.coll.FindOne(ctx, bson.M{"kind": lockID}, options.FindOne().SetSort(bson.D{{Key: "gen", Value: -1}})).Decode(&doc)
	if database.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the migration lock: %w", err)
	}
	return &doc, nil
}

// renew extends the lease and checks that no runner took the lock over.
func (l *lock) renew(ctx context.Context) error {
	_, err := l.coll.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("lock.%d", l.gen)},
		bson.M{"$set": bson.M{"until": l.opts.Now().UTC().Add(l.opts.Lease)}})
	if err != nil {
		return fmt.Errorf("renew the migration lock: %w", err)
	}
	return l.held(ctx)
}

// hold runs f while renewing the lease every third of it (claim.Keep). If
// a renewal finds the lock lost, f's context is cancelled and hold returns
// ErrLockLost; f's own error wins otherwise. A failed write is retried at
// the next renewal; only a lost lock stops the migrations.
func (l *lock) hold(ctx context.Context, f func(context.Context) error) error {
	work, stop := claim.Keep(ctx, l.opts.Lease/3, func(ctx context.Context) (bool, error) {
		err := l.renew(ctx)
		if errors.Is(err, ErrLockLost) {
			return false, nil
		}
		return err == nil, err
	}, nil)
	err := f(work)
	stop()
	if claim.Lost(work) {
		return ErrLockLost
	}
	return err
}

// held returns ErrLockLost unless this runner's generation still counts.
func (l *lock) held(ctx context.Context) error {
	cur, err := l.current(ctx)
	if err != nil {
		return err
	}
	if cur == nil || cur.Gen != l.gen {
		return ErrLockLost
	}
	return nil
}

// release frees the lock for the next runner.
func (l *lock) release(ctx context.Context) error {
	_, err := l.coll.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("lock.%d", l.gen), "owner": l.opts.Owner},
		bson.M{"$set": bson.M{"released": true}})
	if err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	return nil
}
