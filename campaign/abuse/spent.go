package abuse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// spentPrefix begins the names of the collections of spent tokens, one
// per UTC hour in which the tokens were issued: spent_tokens_2027060114.
const spentPrefix = "spent_tokens_"

// ErrSpent is a form token that has signed already.
var ErrSpent = errors.New("form token spent already")

// SweepEvery is how often one node of all drops the spent tokens that
// have expired, and makes the next hour's collection.
const SweepEvery = 15 * time.Minute

// Spent records the form tokens that signed, so that each signs once,
// across every app node: a token's SHA-256 is the _id of a small document
// in the collection of the hour the token was issued in, and the unique
// _id refuses it a second time, on the embedded database as on MongoDB.
//
// Expired tokens go an hour's collection at a time, dropped once every
// token issued in that hour has expired. The embedded database has no TTL
// index, and deleting documents by a filter scans the whole collection
// there: at 40,000 tokens that took 9 s and held concurrent signatures up
// to 1.6 s; dropping a collection of 40,000 held them 1.5 s, hence one
// collection an hour rather than a day.
type Spent struct {
	db  *mongo.Database
	ttl time.Duration
	now func() time.Time
}

// NewSpent returns the record of spent tokens in db, for tokens that live
// ttl after they are issued.
func NewSpent(db *mongo.Database, ttl time.Duration, now func() time.Time) *Spent {
	return &Spent{db: db, ttl: ttl, now: now}
}

func hourName(t time.Time) string { return spentPrefix + t.UTC().Format("2006010215") }

// Prepare makes the collections of this hour and the next, so that the
// first tokens of an hour do not make theirs while others write to it.
// Safe to repeat.
func (s *Spent) Prepare(ctx context.Context) error {
	now := s.now()
	for _, hour := range []time.Time{now, now.Add(time.Hour)} {
		err := s.db.CreateCollection(ctx, hourName(hour))
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")) {
			return fmt.Errorf("make the spent token collection %s: %w", hourName(hour), err)
		}
	}
	return nil
}

// Spend records that token, issued at issued, signed. A token spent before
// is ErrSpent.
func (s *Spent) Spend(ctx context.Context, token string, issued time.Time) error {
	sum := sha256.Sum256([]byte(token))
	_, err := s.db.Collection(hourName(issued)).InsertOne(ctx, bson.M{"_id": hex.EncodeToString(sum[:])})
	if database.IsDuplicate(err) {
		return ErrSpent
	}
	if err != nil {
		return fmt.Errorf("spend form token: %w", err)
	}
	return nil
}

// Sweep, if no node has in this period of SweepEvery, drops the
// collections whose tokens have all expired and makes the next hour's.
// The period's claim is a document in this hour's collection, whose unique _id
// lets one node win. It reports whether this node swept, and the
// collections it dropped.
func (s *Spent) Sweep(ctx context.Context) (bool, []string, error) {
	now := s.now().UTC()
	if err := s.Prepare(ctx); err != nil {
		return false, nil, err
	}
	period := now.Unix() / int64(SweepEvery/time.Second)
	_, err := s.db.Collection(hourName(now)).InsertOne(ctx, bson.M{"_id": fmt.Sprintf("sweep:%d", period)})
	if database.IsDuplicate(err) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("claim the spent token sweep: %w", err)
	}
	names, err := s.db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		return true, nil, fmt.Errorf("list spent token collections: %w", err)
	}
	// Every token issued in an hour before this one has expired.
	keep := hourName(now.Add(-s.ttl))
	var dropped []string
	for _, name := range names {
		if !strings.HasPrefix(name, spentPrefix) || name >= keep {
			continue
		}
		if err := s.db.Collection(name).Drop(ctx); err != nil {
			return true, dropped, fmt.Errorf("drop expired spent tokens %s: %w", name, err)
		}
		dropped = append(dropped, name)
	}
	slices.Sort(dropped)
	return true, dropped, nil
}

// Run sweeps now and every SweepEvery until ctx ends. A failed sweep is
// logged and tried again the next time.
func (s *Spent) Run(ctx context.Context, log *slog.Logger) error {
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	for {
		if swept, dropped, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Error("sweep spent form tokens", "error", err)
		} else if swept && len(dropped) > 0 {
			log.Info("dropped expired spent form tokens", "collections", dropped)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
