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
	"github.com/solidarity-letters/solidarity/internal/groupcommit"
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
//
// Concurrent spends are written together (internal/groupcommit): one
// unordered InsertMany per hour's collection for a batch, each caller
// answered with its own token's result once the batch is acknowledged.
// On the embedded database each write is a transaction of its own, and a
// write of its own for every signature bounded the signing rate.
type Spent struct {
	db    *mongo.Database
	ttl   time.Duration
	now   func() time.Time
	batch *groupcommit.Batcher[spend]
}

// spend is a token's record waiting for its batch: its _id and the
// collection of the hour it was issued in.
type spend struct {
	id, collection string
}

// Bounds of a batch of spends: a form's answer waits at most spendWait
// for others to join it.
const (
	spendMax  = 256
	spendWait = 5 * time.Millisecond
)

// NewSpent returns the record of spent tokens in db, for tokens that live
// ttl after they are issued.
func NewSpent(db *mongo.Database, ttl time.Duration, now func() time.Time) *Spent {
	s := &Spent{db: db, ttl: ttl, now: now}
	s.batch = groupcommit.New(s.commit, groupcommit.Options{Max: spendMax, Wait: spendWait})
	return s
}

func hourName(t time.Time) string { return spentPrefix + t.UTC().Format("2006010215") }

// Prepare makes the collections of this hour and the next, so that the
// first tokens of an hour do not make theirs while others write to it.
// Safe to repeat.
func (s *Spent) Prepare(ctx context.Context) error {
	now := s.now()
	for _, hour := range []time.Time{now, now.Add(time.Hour)} {
		if err := database.EnsureCollection(ctx, s.db, hourName(hour)); err != nil {
			return fmt.Errorf("make the spent token collection: %w", err)
		}
	}
	return nil
}

// Spend records that token, issued at issued, signed. A token spent before,
// or twice in one batch, is ErrSpent (only the second time). It returns
// once the record is acknowledged, or with ctx's error when ctx ends
// before a batch took it (nothing spent then).
func (s *Spent) Spend(ctx context.Context, token string, issued time.Time) error {
	sum := sha256.Sum256([]byte(token))
	return s.batch.Do(ctx, spend{id: hex.EncodeToString(sum[:]), collection: hourName(issued)})
}

// commit writes a batch of spends, one unordered InsertMany per
// collection, and returns each one's result.
func (s *Spent) commit(ctx context.Context, batch []spend) []error {
	errs := make([]error, len(batch))
	byCollection := map[string][]int{}
	for i, sp := range batch {
		byCollection[sp.collection] = append(byCollection[sp.collection], i)
	}
	for name, at := range byCollection {
		docs := make([]any, len(at))
		for j, i := range at {
			docs[j] = bson.D{{Key: "_id", Value: batch[i].id}}
		}
		for j, err := range database.InsertEach(ctx, s.db.Collection(name), docs) {
			switch {
			case database.IsDuplicate(err):
				errs[at[j]] = ErrSpent
			case err != nil:
				errs[at[j]] = fmt.Errorf("spend form token: %w", err)
			}
		}
	}
	return errs
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
