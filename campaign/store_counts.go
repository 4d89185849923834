package campaign

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of the counts: the counter documents that nodes share
// (counts.go) and the paper counts per campaign and country (paper.go).
const (
	countersCollection     = "counters"
	paperTalliesCollection = "paper_tallies"
)

// counterDoc is a campaign's counter document (counts.go, recount.go).
type counterDoc struct {
	ID        string           `bson:"_id"` // the campaign ID
	Total     int64            `bson:"total"`
	Countries map[string]int64 `bson:"countries"`
	// Paper is the part of Total and Countries that paper counts add.
	Paper bucketDoc `bson:"paper"`
	// Buckets hold what signatures added or erasures took away, by the
	// minute of the change ("m" and the Unix minute), for the minutes
	// since Sealed.
	Buckets map[string]bucketDoc `bson:"buckets"`
	// Sealed is the Unix minute of the last recount's cut-off: changes of
	// signatures signed before it are no longer added, as that recount
	// counted them.
	Sealed int64 `bson:"sealed"`
	// Lease is when the recount that set Sealed stops holding the
	// document; zero when none does.
	Lease time.Time `bson:"lease"`
	// Inflight holds, by batch, the signatures a batch of signing is
	// inserting and has not counted yet (Service.commit).
	Inflight map[string]inflightDoc `bson:"inflight,omitempty"`
}

// inflightDoc is a batch's record in a counter document: the IDs of the
// signatures it inserts, the time each was signed at, which tells the
// signature the batch stored from an earlier one with the same ID, and
// what the batch added to the counter in advance, by bucket (bucketKey).
type inflightDoc struct {
	At       time.Time            `bson:"at"`
	IDs      []string             `bson:"ids"`
	Signed   []time.Time          `bson:"signed"`
	Expected map[string]bucketDoc `bson:"expected"`
}

// bucketDoc is a part of a counter: a total and its countries.
type bucketDoc struct {
	T int64            `bson:"t"`
	C map[string]int64 `bson:"c"`
}

// SetCounterLock makes l guard every write of this store to the counter
// documents (by default a lock of its own). The embedded database (FerretDB
// v1) applies an update by reading the document and writing it back, so
// two updates of one document at once can lose one; it has a single
// client process, and the lock of that database (database.DB.WriteLock)
// serializes the process's counter writes. MongoDB updates a document
// atomically and needs no lock between nodes.
//
// Setting the lock also says that this process is the database's only
// client: then start-up settles every batch left in flight at once
// (LoadCounts), since none can be another node's, still being written.
func (s *Store) SetCounterLock(l sync.Locker) {
	s.counterMu = l
	s.onlyClient = true
}

func (s *Store) counters() *mongo.Collection {
	return s.campaigns.Database().Collection(countersCollection)
}

// bucketKey names the bucket of a Unix minute in a counter document.
func bucketKey(minute int64) string { return "m" + strconv.FormatInt(minute, 10) }

// incOf is the $inc that adds the tallies of minutes to the counter and
// each to its part: the paper part for paperMinute, else the bucket of
// its minute.
func incOf(minutes minutes) bson.D {
	sum := &tally{}
	var parts bson.D
	for minute, t := range minutes {
		sum.merge(t)
		path := "paper"
		if minute != paperMinute {
			path = "buckets." + bucketKey(minute)
		}
		parts = append(parts, bson.E{Key: path + ".t", Value: t.total})
		for k, v := range t.countries {
			parts = append(parts, bson.E{Key: path + ".c." + k, Value: v})
		}
	}
	inc := bson.D{{Key: "total", Value: sum.total}}
	for k, v := range sum.countries {
		inc = append(inc, bson.E{Key: "countries." + k, Value: v})
	}
	return append(inc, parts...)
}

// ensureCounter creates a campaign's counter document with zero counts,
// unless it exists, and reports whether it created it.
func (s *Store) ensureCounter(ctx context.Context, campaignID string) (created bool, err error) {
	err = s.withCounterLock(ctx, func(ctx context.Context) error {
		created, err = s.createCounter(ctx, campaignID)
		return err
	})
	return created, err
}

// createCounter is ensureCounter for a caller that holds the counter lock.
func (s *Store) createCounter(ctx context.Context, campaignID string) (bool, error) {
	doc := counterDoc{ID: campaignID, Countries: map[string]int64{}, Paper: bucketDoc{C: map[string]int64{}}, Buckets: map[string]bucketDoc{}}
	_, err := s.counters().InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create counter of %s: %w", campaignID, err)
	}
	return true, nil
}

// counterHold bounds how long one holder keeps the counter lock: the
// database work it does under the lock gets this deadline, when its own is
// later. Without it, a write to a database that stopped answering held the
// lock for as long as its context lived, which for Run is until it stops,
// and every other counter write of the process waited behind it: the
// final write at shutdown timed out so (its 5 s), as the test servers of
// a package share one lock.
const counterHold = 5 * time.Second

// withCounterLock calls fn holding the counter lock, for writes of
// incCounter and what goes with them in the memory (counts.go), with a
// context that ends within counterHold. It waits for the lock only as long
// as ctx lives, when the lock can tell (sync.Mutex can).
func (s *Store) withCounterLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := s.lockCounters(ctx); err != nil {
		return err
	}
	defer s.counterMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, counterHold)
	defer cancel()
	return fn(ctx)
}

// lockCounters takes the counter lock, or gives up when ctx ends. A
// sync.Locker cannot wait on a context; one that can TryLock is polled,
// from every millisecond to every 20.
func (s *Store) lockCounters(ctx context.Context) error {
	try, ok := s.counterMu.(interface{ TryLock() bool })
	if !ok {
		s.counterMu.Lock()
		return nil
	}
	for wait := time.Millisecond; !try.TryLock(); wait = min(2*wait, 20*time.Millisecond) {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for the counter lock: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// incCounter adds the tallies of minutes (by Unix minute, or
// paperMinute) to a campaign's counter document, in one $inc by _id, but
// not those of minutes a recount sealed: it counted those signatures
// itself. With settle, the name of a batch in flight (startCount), it
// removes the batch's record in the same update, and adds nothing when
// the record is gone: whoever removed it counted the batch. The caller
// holds the counter lock (withCounterLock).
func (s *Store) incCounter(ctx context.Context, campaignID string, m minutes, settle string) (bool, error) {
	m = maps.Clone(m)
	for minute, t := range m {
		if t.total == 0 && len(t.countries) == 0 {
			delete(m, minute)
		}
	}
	if len(m) == 0 && settle == "" {
		return true, nil
	}
	for range 4 {
		filter := bson.D{{Key: "_id", Value: campaignID}}
		if earliest, ok := m.earliest(); ok {
			filter = append(filter, bson.E{Key: "$or", Value: bson.A{
				bson.D{{Key: "sealed", Value: bson.D{{Key: "$lte", Value: earliest}}}},
				bson.D{{Key: "sealed", Value: bson.D{{Key: "$exists", Value: false}}}},
			}})
		}
		var update bson.D
		if len(m) > 0 {
			update = append(update, bson.E{Key: "$inc", Value: incOf(m)})
		}
		if settle != "" {
			filter = append(filter, bson.E{Key: inflightKey(settle), Value: bson.D{{Key: "$exists", Value: true}}})
			update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: inflightKey(settle), Value: ""}}})
		}
		res, err := s.counters().UpdateOne(ctx, filter, update)
		if err != nil {
			return false, fmt.Errorf("write counter of %s: %w", campaignID, err)
		}
		if res.MatchedCount > 0 {
			return true, nil
		}
		// Why not: no counter yet, the batch settled by another, or a
		// recount sealed some of the minutes (counting them itself).
		var doc counterDoc
		err = s.counters().FindOne(ctx, bson.D{{Key: "_id", Value: campaignID}}).Decode(&doc)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			if _, err := s.createCounter(ctx, campaignID); err != nil {
				return false, err
			}
			continue
		case err != nil:
			return false, fmt.Errorf("write counter of %s: %w", campaignID, err)
		}
		if _, ok := doc.Inflight[settle]; settle != "" && !ok {
			return false, nil
		}
		for minute := range m {
			if minute != paperMinute && minute < doc.Sealed {
				delete(m, minute)
			}
		}
		if len(m) == 0 && settle == "" {
			return true, nil
		}
	}
	return false, fmt.Errorf("write counter of %s: it changed under every try", campaignID)
}

// inflightKey is the path of a batch's record in a counter document.
func inflightKey(batch string) string { return "inflight." + batch }

// startCount adds m, what a batch is about to insert (Service.commit), to
// a campaign's counter document and records the batch in flight as name,
// in one update by _id, which also drops the record of the batch drop (if
// not empty) and the buckets fold (bucket keys, see foldable). It reports
// false, and writes nothing, when a recount has sealed the earliest minute
// of m. The caller holds the counter lock.
func (s *Store) startCount(ctx context.Context, campaignID, name string, rec inflightDoc, m minutes, drop string, fold []string) (bool, error) {
	filter := bson.D{{Key: "_id", Value: campaignID}}
	if earliest, ok := m.earliest(); ok {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "sealed", Value: bson.D{{Key: "$lte", Value: earliest}}}},
			bson.D{{Key: "sealed", Value: bson.D{{Key: "$exists", Value: false}}}},
		}})
	}
	update := bson.D{{Key: "$inc", Value: incOf(m)}, {Key: "$set", Value: bson.D{{Key: inflightKey(name), Value: rec}}}}
	var unset bson.D
	if drop != "" {
		unset = append(unset, bson.E{Key: inflightKey(drop), Value: ""})
	}
	for _, k := range fold {
		// Never a bucket this update adds to: the paths would conflict.
		if minute, ok := bucketMinute(k); ok && m[minute] == nil {
			unset = append(unset, bson.E{Key: "buckets." + k, Value: ""})
		}
	}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	for range 2 {
		res, err := s.counters().UpdateOne(ctx, filter, update)
		if err != nil {
			return false, fmt.Errorf("count batch in counter of %s: %w", campaignID, err)
		}
		if res.MatchedCount > 0 {
			return true, nil
		}
		created, err := s.createCounter(ctx, campaignID)
		if err != nil {
			return false, err
		}
		if !created {
			return false, nil // sealed past the earliest minute
		}
	}
	return false, fmt.Errorf("count batch in counter of %s: not found after creating it", campaignID)
}

// readCounters reads every counter document and, still holding the
// counter lock, gives them to then: so each write of incCounter, and
// what its caller did to the memory, is either wholly before the read or
// wholly after.
func (s *Store) readCounters(ctx context.Context, then func([]counterDoc)) error {
	return s.withCounterLock(ctx, func(ctx context.Context) error {
		docs, err := s.counterDocs(ctx)
		if err != nil {
			return err
		}
		then(docs)
		return nil
	})
}

// counterDocs reads every counter document.
func (s *Store) counterDocs(ctx context.Context) ([]counterDoc, error) {
	cur, err := s.counters().Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	var docs []counterDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	return docs, nil
}

// claimRecount seals a campaign's counter at cut-off (a Unix minute) for a
// recount that holds it until lease, unless a recount holds it already or
// sealed it at cut-off or later, and returns the document as it was
// sealed; ok is false when another recount has it.
func (s *Store) claimRecount(ctx context.Context, campaignID string, cutoff int64, now, lease time.Time) (doc counterDoc, ok bool, err error) {
	filter := bson.D{{Key: "_id", Value: campaignID}, {Key: "$and", Value: bson.A{
		bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "sealed", Value: bson.D{{Key: "$lt", Value: cutoff}}}},
			bson.D{{Key: "sealed", Value: bson.D{{Key: "$exists", Value: false}}}},
		}}},
		bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "lease", Value: bson.D{{Key: "$lt", Value: now}}}},
			bson.D{{Key: "lease", Value: bson.D{{Key: "$exists", Value: false}}}},
		}}},
	}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "sealed", Value: cutoff}, {Key: "lease", Value: lease}}}}
	err = s.withCounterLock(ctx, func(ctx context.Context) error {
		return s.counters().FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return doc, false, nil
	}
	if err != nil {
		return doc, false, fmt.Errorf("seal counter of %s: %w", campaignID, err)
	}
	return doc, true, nil
}

// applyRecount adds a recount's correction to a counter it sealed at
// cutoff and still holds until lease, drops the buckets before cutoff and
// ends the lease; it reports false when another recount took the counter
// over meanwhile, and then changes nothing.
func (s *Store) applyRecount(ctx context.Context, campaignID string, cutoff int64, lease time.Time, fix *tally, drop []string) (bool, error) {
	filter := bson.D{{Key: "_id", Value: campaignID}, {Key: "sealed", Value: cutoff}, {Key: "lease", Value: lease}}
	inc := bson.D{{Key: "total", Value: fix.total}}
	for k, v := range fix.countries {
		inc = append(inc, bson.E{Key: "countries." + k, Value: v})
	}
	update := bson.D{{Key: "$inc", Value: inc}, {Key: "$set", Value: bson.D{{Key: "lease", Value: time.Time{}}}}}
	if len(drop) > 0 {
		unset := bson.D{}
		for _, k := range drop {
			unset = append(unset, bson.E{Key: "buckets." + k, Value: ""})
		}
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	var res *mongo.UpdateResult
	err := s.withCounterLock(ctx, func(ctx context.Context) (err error) {
		res, err = s.counters().UpdateOne(ctx, filter, update)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("correct counter of %s: %w", campaignID, err)
	}
	return res.MatchedCount > 0, nil
}

// SealCounters gives the counter documents of an older version the fields
// of recounts (sealed, lease, paper, buckets): nothing sealed, no lease,
// and their paper part from the paper counts, which an older version's
// start-up recount added to them.
func (s *Store) SealCounters(ctx context.Context) error {
	docs, err := s.counterDocs(ctx)
	if err != nil {
		return err
	}
	tallies, err := s.paperTallies(ctx, "")
	if err != nil {
		return err
	}
	paper := map[string]*tally{}
	for _, t := range tallies {
		tallyOf(paper, t.CampaignID).add(t.Country, t.Count)
	}
	for _, d := range docs {
		p := bucketDoc{C: map[string]int64{}}
		if t, ok := paper[d.ID]; ok {
			p.T = t.total
			maps.Copy(p.C, t.countries)
		}
		filter := bson.D{{Key: "_id", Value: d.ID}, {Key: "sealed", Value: bson.D{{Key: "$exists", Value: false}}}}
		update := bson.D{{Key: "$set", Value: bson.D{{Key: "sealed", Value: int64(0)}, {Key: "lease", Value: time.Time{}},
			{Key: "paper", Value: p}, {Key: "buckets", Value: bson.D{}}}}}
		if _, err := s.counters().UpdateOne(ctx, filter, update); err != nil {
			return fmt.Errorf("seal counter of %s: %w", d.ID, err)
		}
	}
	return nil
}

func (s *Store) tallies() *mongo.Collection {
	return s.signatures.Database().Collection(paperTalliesCollection)
}

// paperTallies reads the paper counts of a campaign, or of every campaign
// when campaignID is empty, in no particular order.
func (s *Store) paperTallies(ctx context.Context, campaignID string) ([]PaperTally, error) {
	filter, what := bson.M{}, "paper counts"
	if campaignID != "" {
		filter, what = bson.M{"campaign_id": campaignID}, "paper counts of "+campaignID
	}
	cur, err := s.tallies().Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var all []PaperTally
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return all, nil
}

// errBelowZero says a negative change was larger than the count.
var errBelowZero = errors.New("paper count would go below zero")

// addTally adds n to a country's paper count in one atomic update on _id
// and returns the new count. A negative n that would take the count below
// zero changes nothing and is errBelowZero.
func (s *Store) addTally(ctx context.Context, campaignID, code string, n int64, now time.Time) (int64, error) {
	id := campaignID + "/" + code
	filter := bson.D{{Key: "_id", Value: id}}
	if n < 0 {
		filter = append(filter, bson.E{Key: "count", Value: bson.D{{Key: "$gte", Value: -n}}})
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "count", Value: n}}},
		{Key: "$set", Value: bson.D{{Key: "campaign_id", Value: campaignID}, {Key: "country", Value: code}, {Key: "updated_at", Value: now}}},
	}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After).SetUpsert(n > 0)
	var t PaperTally
	err := s.tallies().FindOneAndUpdate(ctx, filter, update, opts).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, errBelowZero
	}
	if err != nil {
		return 0, fmt.Errorf("update paper count %s: %w", id, err)
	}
	return t.Count, nil
}
