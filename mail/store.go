package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// The collections of the queue. The queue holds only the messages still
// to send, so that looking for due ones (a scan on the embedded database)
// stays cheap; the log keeps, by the same _id, how each one ended, which
// is what makes a key idempotent after its message left the queue.
const (
	queueCollection  = "mail_queue"
	logCollection    = "mail_log"
	statsCollection  = "mail_stats"
	claimsCollection = "mail_claims"
	statsID          = "totals"
)

// The sealed fields of a queued message, by path.
const (
	fieldTo      = "to"
	fieldSubject = "subject"
	fieldText    = "text"
	fieldHTML    = "html"
	fieldHeaders = "headers"
)

// stored is a queued message as the database keeps it. Its _id is the
// keyed hash of its idempotency key. Due is when a worker may take it: the
// time of its next try while queued, the end of its lease while sending.
type stored struct {
	ID      string `bson:"_id"`
	Kind    Kind   `bson:"kind"`
	Lang    string `bson:"lang"`
	State   State  `bson:"state"`
	Attempt int    `bson:"attempt"`
	// Claim is "<_id>/<attempt>", indexed: every write that moves the
	// message on matches it, and the embedded database finds a document
	// by an indexed string (the patched pushdown in third_party/ferretdb) but by
	// _id only when _id is all the filter says.
	Claim     string    `bson:"claim"`
	Due       time.Time `bson:"due"`
	CreatedAt time.Time `bson:"created_at"`
	// LastError is the last failure, without addresses (redact).
	LastError string      `bson:"last_error,omitempty"`
	To        sealed.Text `bson:"to"`
	Subject   sealed.Text `bson:"subject"`
	Text      sealed.Text `bson:"text"`
	HTML      sealed.Text `bson:"html,omitempty"`
	Headers   sealed.Text `bson:"headers,omitempty"`
	// About are the keyed hashes of the message's Message.About, which
	// Queue.Cancel looks for.
	About []string `bson:"about,omitempty"`
}

// logEntry is how a message ended: no address, subject or body. Its
// times are rounded down to the day, and it is deleted LogKeep after
// (logprune.go).
type logEntry struct {
	ID         string    `bson:"_id"`
	Kind       Kind      `bson:"kind"`
	State      State     `bson:"state"`
	Attempts   int       `bson:"attempts"`
	CreatedAt  time.Time `bson:"created_at"`
	FinishedAt time.Time `bson:"finished_at"`
}

// store keeps the queue. Every write that moves a message on matches the
// attempt its worker claimed, so that a worker whose lease ran out cannot
// undo the work of the one that took over.
type store struct {
	queue, log, stats *mongo.Collection
	claims            *claim.Records
	// claimsColl holds the claim records and the daily claims of the
	// log's pruning (logprune.go).
	claimsColl *mongo.Collection
	keys       *seal.Keyring
	// lock guards the conditional updates the embedded database does not
	// make atomic (database.DB.WriteLock); nil on MongoDB alone.
	lock sync.Locker
}

func newStore(db *mongo.Database, keys *seal.Keyring, lock sync.Locker) *store {
	return &store{
		queue: db.Collection(queueCollection), log: db.Collection(logCollection),
		stats: db.Collection(statsCollection), claims: claim.New(db.Collection(claimsCollection)),
		claimsColl: db.Collection(claimsCollection), keys: keys, lock: lock,
	}
}

// locked runs f under the write lock, if there is one.
func (s *store) locked(f func() error) error {
	if s.lock != nil {
		s.lock.Lock()
		defer s.lock.Unlock()
	}
	return f()
}

// ensure creates the collections and the index that finds due messages on
// MongoDB; the idempotency key is the _id, unique on both databases.
func (s *store) ensure(ctx context.Context) error {
	db := s.queue.Database()
	for _, name := range []string{queueCollection, logCollection, statsCollection, claimsCollection} {
		if err := database.EnsureCollection(ctx, db, name); err != nil {
			return err
		}
	}
	// One at a time: the embedded database drops the connection when
	// createIndexes names several indexes that exist already.
	for _, ix := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "due", Value: 1}}},
		{Keys: bson.D{{Key: "claim", Value: 1}}, Options: options.Index().SetUnique(true)},
	} {
		if _, err := s.queue.Indexes().CreateOne(ctx, ix); err != nil {
			return fmt.Errorf("index %s: %w", queueCollection, err)
		}
	}
	return nil
}

// claimOf is the claim of a message's attempt.
func claimOf(id string, attempt int) string { return fmt.Sprintf("%s/%d", id, attempt) }

func aad(id, field string) []byte { return sealed.AAD(queueCollection, id, field) }

// seal maps a message to its stored form.
func (s *store) seal(id string, m *Message, now time.Time) (*stored, error) {
	d := &stored{ID: id, Kind: m.Kind, Lang: m.Lang, State: StateQueued, Claim: claimOf(id, 0), Due: now, CreatedAt: now}
	var headers []byte
	if len(m.Headers) > 0 {
		var err error
		if headers, err = json.Marshal(m.Headers); err != nil {
			return nil, fmt.Errorf("encode headers: %w", err)
		}
	}
	for _, f := range []struct {
		dst   *sealed.Text
		value []byte
		path  string
	}{
		{&d.To, []byte(m.To), fieldTo},
		{&d.Subject, []byte(m.Subject), fieldSubject},
		{&d.Text, []byte(m.Text), fieldText},
		{&d.HTML, []byte(m.HTML), fieldHTML},
		{&d.Headers, headers, fieldHeaders},
	} {
		t, err := sealed.SealBytes(s.keys, f.value, aad(id, f.path))
		if err != nil {
			return nil, fmt.Errorf("seal message: %w", err)
		}
		*f.dst = t
	}
	return d, nil
}

// open maps a stored message back to the plain one.
func (s *store) open(d *stored) (Message, error) {
	m := Message{Kind: d.Kind, Lang: d.Lang}
	var headers string
	for _, f := range []struct {
		dst  *string
		src  sealed.Text
		path string
	}{
		{&m.To, d.To, fieldTo},
		{&m.Subject, d.Subject, fieldSubject},
		{&m.Text, d.Text, fieldText},
		{&m.HTML, d.HTML, fieldHTML},
		{&headers, d.Headers, fieldHeaders},
	} {
		v, err := f.src.Open(s.keys, aad(d.ID, f.path))
		if err != nil {
			return Message{}, fmt.Errorf("open %s of message %s: %w", f.path, d.ID, err)
		}
		*f.dst = v
	}
	if headers != "" {
		if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
			return Message{}, fmt.Errorf("decode headers of message %s: %w", d.ID, err)
		}
	}
	return m, nil
}

// fields names the sealed fields of the queue.
func (s *store) fields() sealed.Fields {
	return sealed.Fields{Collection: s.queue, Paths: []string{fieldTo, fieldSubject, fieldText, fieldHTML, fieldHeaders}}
}

func (s *store) insert(ctx context.Context, d *stored) error {
	_, err := s.queue.InsertOne(ctx, d)
	if database.IsDuplicate(err) {
		return fmt.Errorf("queue %s message %s: %w", d.Kind, d.ID, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("queue %s message %s: %w", d.Kind, d.ID, err)
	}
	return nil
}

// ended reports whether the message with that _id was sent or given up.
func (s *store) ended(ctx context.Context, id string) (bool, error) {
	err := s.log.FindOne(ctx, bson.M{"_id": id}).Err()
	if database.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up message %s: %w", id, err)
	}
	return true, nil
}

// candidate is a due message as the scan for them sees it.
type candidate struct {
	ID      string `bson:"_id"`
	Attempt int    `bson:"attempt"`
}

// due returns up to limit messages due at now, the longest due first.
func (s *store) due(ctx context.Context, now time.Time, limit int) ([]candidate, error) {
	cur, err := s.queue.Find(ctx, bson.M{"due": bson.M{"$lte": now}}, options.Find().
		SetProjection(bson.M{"_id": 1, "attempt": 1}).
		SetSort(bson.D{{Key: "due", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find due messages: %w", err)
	}
	var out []candidate
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read due messages: %w", err)
	}
	return out, nil
}

// take claims a due message for one more attempt, leased until
// now+lease, and returns it; nil when another worker was first.
func (s *store) take(ctx context.Context, c candidate, now time.Time, lease time.Duration) (*stored, error) {
	var d stored
	err := s.locked(func() error {
		// The claim names the attempt the scan saw.
		return s.queue.FindOneAndUpdate(ctx,
			bson.M{"claim": claimOf(c.ID, c.Attempt), "due": bson.M{"$lte": now}},
			bson.M{"$set": bson.M{"state": StateSending, "due": now.Add(lease), "claim": claimOf(c.ID, c.Attempt+1)},
				"$inc": bson.M{"attempt": 1}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	})
	if database.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim message %s: %w", c.ID, err)
	}
	won, err := s.claims.Own(ctx, d.ID, d.Attempt)
	if err != nil || !won {
		return nil, err
	}
	return &d, nil
}

// attemptOf matches a message while it is in the attempt its worker
// claimed.
func attemptOf(d *stored) bson.M {
	return bson.M{"claim": d.Claim, "state": StateSending}
}

// renew extends the lease of a message being sent until until, and
// reports whether the message is still in the attempt its worker claimed.
func (s *store) renew(ctx context.Context, d *stored, until time.Time) (bool, error) {
	held := false
	err := s.locked(func() error {
		res, err := s.queue.UpdateOne(ctx, attemptOf(d), bson.M{"$set": bson.M{"due": until}})
		if err != nil {
			return fmt.Errorf("renew lease of message %s: %w", d.ID, err)
		}
		held = res.MatchedCount == 1
		return nil
	})
	return held, err
}

// retry puts a message back in the queue, due at due, after a failure
// at at.
func (s *store) retry(ctx context.Context, d *stored, due, at time.Time, failure string) error {
	err := s.locked(func() error {
		_, err := s.queue.UpdateOne(ctx, attemptOf(d), bson.M{"$set": bson.M{"state": StateQueued, "due": due, "last_error": failure}})
		return err
	})
	if err != nil {
		return fmt.Errorf("put message %s back: %w", d.ID, err)
	}
	return s.count(ctx, bson.M{"$set": bson.M{"last_error": failure, "last_error_at": at}})
}

// count applies update to the counters, under the write lock: the
// embedded database loses one of two concurrent increments.
func (s *store) count(ctx context.Context, update bson.M) error {
	err := s.locked(func() error {
		_, err := s.stats.UpdateOne(ctx, bson.M{"_id": statsID}, update, options.UpdateOne().SetUpsert(true))
		if database.IsDuplicate(err) {
			// Two first counts raced to create the document: it is there.
			_, err = s.stats.UpdateOne(ctx, bson.M{"_id": statsID}, update)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("count mail: %w", err)
	}
	return nil
}

// finish records how a message ended (state sent or failed, with the
// failure), counts it once, and deletes it from the queue: its address,
// subject and bodies go with it.
func (s *store) finish(ctx context.Context, d *stored, state State, at time.Time, failure string) error {
	// By the day only: the log says little about when a supporter
	// signed.
	_, err := s.log.InsertOne(ctx, logEntry{ID: d.ID, Kind: d.Kind, State: state, Attempts: d.Attempt,
		CreatedAt: logDay(d.CreatedAt), FinishedAt: logDay(at)})
	switch {
	case database.IsDuplicate(err):
		// Recorded by an attempt that crashed before it deleted the
		// message: counted then.
	case err != nil:
		return fmt.Errorf("record %s message %s: %w", state, d.ID, err)
	default:
		update := bson.M{"$inc": bson.M{string(state) + "." + string(d.Kind): 1}}
		if failure != "" {
			update["$set"] = bson.M{"last_error": failure, "last_error_at": at}
		}
		if err := s.count(ctx, update); err != nil {
			return err
		}
	}
	return s.drop(ctx, d)
}

// claimed reports whether the attempt its worker claimed of d is still
// in the queue: Cancel deletes it.
func (s *store) claimed(ctx context.Context, d *stored) (bool, error) {
	err := s.queue.FindOne(ctx, attemptOf(d), options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if database.IsNotFound(err) {
		return false, s.claims.Release(ctx, d.ID, d.Attempt)
	}
	if err != nil {
		return false, fmt.Errorf("look up message %s: %w", d.ID, err)
	}
	return true, nil
}

// drop deletes a message of the attempt its worker claimed from the queue.
func (s *store) drop(ctx context.Context, d *stored) error {
	if _, err := s.queue.DeleteOne(ctx, bson.M{"claim": d.Claim}); err != nil {
		return fmt.Errorf("delete message %s: %w", d.ID, err)
	}
	return s.claims.Release(ctx, d.ID, d.Attempt)
}
