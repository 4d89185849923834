package abuse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// spentCollection holds the form tokens that signed, by hash.
const spentCollection = "spent_tokens"

// ErrSpent is a form token that has signed already.
var ErrSpent = errors.New("form token spent already")

// SweepEvery is how often the expired spent tokens are removed, by one
// node of all.
const SweepEvery = 15 * time.Minute

// Spent records the form tokens that signed, so that each signs once,
// across every app node: a token's SHA-256 is the _id of a small document,
// and the unique _id refuses it a second time, on the embedded database as
// on MongoDB. A document lives until its token expires; Run removes it
// then (the embedded database has no TTL indexes).
type Spent struct {
	coll *mongo.Collection
	now  func() time.Time
}

type spentDoc struct {
	ID        string    `bson:"_id"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// NewSpent returns the record of spent tokens in db.
func NewSpent(db *mongo.Database, now func() time.Time) *Spent {
	return &Spent{coll: db.Collection(spentCollection), now: now}
}

// EnsureIndexes creates the collection and its expiry index: a TTL index
// on MongoDB, which removes expired documents itself; the embedded
// database has none, and Run's sweep does it there.
func (s *Spent) EnsureIndexes(ctx context.Context) error {
	_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires_at", Value: 1}},
		Options: options.Index().SetName("expires").SetExpireAfterSeconds(0),
	})
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Name == "NotImplemented" {
		_, err = s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys:    bson.D{{Key: "expires_at", Value: 1}},
			Options: options.Index().SetName("expires"),
		})
	}
	if err != nil {
		return fmt.Errorf("create spent token index: %w", err)
	}
	return nil
}

// Spend records that token signed; it is kept until expires. A token
// spent before is ErrSpent.
func (s *Spent) Spend(ctx context.Context, token string, expires time.Time) error {
	sum := sha256.Sum256([]byte(token))
	_, err := s.coll.InsertOne(ctx, spentDoc{ID: hex.EncodeToString(sum[:]), ExpiresAt: expires.UTC()})
	if database.IsDuplicate(err) {
		return ErrSpent
	}
	if err != nil {
		return fmt.Errorf("spend form token: %w", err)
	}
	return nil
}

// Sweep removes the expired documents, if no node has swept in this
// period of SweepEvery: the period's claim is a document of the same
// collection, whose unique _id lets one node win. It reports whether this
// node swept, and how many documents it removed.
func (s *Spent) Sweep(ctx context.Context) (bool, int64, error) {
	now := s.now().UTC()
	period := now.Unix() / int64(SweepEvery/time.Second)
	claim := spentDoc{ID: fmt.Sprintf("sweep:%d", period), ExpiresAt: now.Add(2 * SweepEvery)}
	if _, err := s.coll.InsertOne(ctx, claim); database.IsDuplicate(err) {
		return false, 0, nil
	} else if err != nil {
		return false, 0, fmt.Errorf("claim the spent token sweep: %w", err)
	}
	res, err := s.coll.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lt": now}})
	if err != nil {
		return true, 0, fmt.Errorf("remove expired spent tokens: %w", err)
	}
	return true, res.DeletedCount, nil
}

// Run sweeps every SweepEvery until ctx ends. A failed sweep is logged
// and tried again the next time.
func (s *Spent) Run(ctx context.Context, log *slog.Logger) error {
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	for {
		if swept, n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Error("sweep spent form tokens", "error", err)
		} else if swept && n > 0 {
			log.Info("swept spent form tokens", "removed", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Collection is the collection of spent tokens, for tests.
func (s *Spent) Collection() *mongo.Collection { return s.coll }
