package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// runStore keeps the print runs (collection print_runs), the outcome of
// each of their recipients (print_parts, by run and recipient as _id, so
// that a worker finds a part with a read by _id) and their files (GridFS
// bucket print_files). As in store, every write that moves a run on
// matches the attempt its worker claimed.
type runStore struct {
	runs   *mongo.Collection
	parts  *mongo.Collection
	claims *claim.Records
	chunks *mongo.Collection
	files  *mongo.GridFSBucket
	// writes makes this node's updates of a run one at a time (see
	// store.writes).
	writes sync.Mutex
}

// updateRun updates one run, after this node's other updates of runs.
func (s *runStore) updateRun(ctx context.Context, filter, update any) (*mongo.UpdateResult, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.runs.UpdateOne(ctx, filter, update)
}

func newRunStore(db *mongo.Database) *runStore {
	return &runStore{
		runs:   db.Collection("print_runs"),
		parts:  db.Collection("print_parts"),
		claims: claim.New(db.Collection("print_run_claims")),
		chunks: db.Collection("print_chunks"),
		files:  db.GridFSBucket(options.GridFSBucket().SetName("print_files")),
	}
}

func (s *runStore) insert(ctx context.Context, run *PrintRun) error {
	if _, err := s.runs.InsertOne(ctx, run); err != nil {
		return fmt.Errorf("insert print run %s: %w", run.ID, err)
	}
	return nil
}

func (s *runStore) run(ctx context.Context, id string) (*PrintRun, error) {
	var run PrintRun
	err := s.runs.FindOne(ctx, bson.M{"_id": id}).Decode(&run)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("print run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("print run %s: %w", id, err)
	}
	return &run, nil
}

// recent returns up to limit runs of a campaign, newest first.
func (s *runStore) recent(ctx context.Context, campaignID string, limit int) ([]PrintRun, error) {
	cur, err := s.runs.Find(ctx, bson.M{"campaign_id": campaignID},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("print runs of %s: %w", campaignID, err)
	}
	var out []PrintRun
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("print runs of %s: %w", campaignID, err)
	}
	return out, nil
}

// claim takes the oldest queued run, or one whose lease ran out, in one
// atomic update, and leases it until now+lease; nil when there is none.
// Its parts stay: the run goes on where it stopped.
func (s *runStore) claim(ctx context.Context, now time.Time, lease time.Duration) (*PrintRun, error) {
	filter := bson.M{"$or": bson.A{
		bson.M{"status": StatusQueued},
		bson.M{"status": StatusRunning, "lease_until": bson.M{"$lt": now}},
	}}
	update := bson.M{
		"$set": bson.M{"status": StatusRunning, "started_at": now, "lease_until": now.Add(lease)},
		"$inc": bson.M{"attempt": 1},
	}
	var run PrintRun
	s.writes.Lock()
	err := s.runs.FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetReturnDocument(options.After)).Decode(&run)
	s.writes.Unlock()
	if database.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim print run: %w", err)
	}
	return &run, nil
}

// own records the claimed attempt of run and reports whether this worker
// won it (see package claim).
func (s *runStore) own(ctx context.Context, run *PrintRun) (bool, error) {
	return s.claims.Own(ctx, run.ID, run.Attempt)
}

func runAttempt(run *PrintRun) bson.M {
	return bson.M{"_id": run.ID, "status": StatusRunning, "attempt": run.Attempt}
}

// progress records that done recipients have their part and renews the
// lease; errLost when the run is no longer this attempt's.
func (s *runStore) progress(ctx context.Context, run *PrintRun, done int, leaseUntil time.Time) error {
	res, err := s.updateRun(ctx, runAttempt(run), bson.M{"$set": bson.M{"done": done, "lease_until": leaseUntil}})
	if err != nil {
		return fmt.Errorf("record progress of print run %s: %w", run.ID, err)
	}
	if res.MatchedCount == 0 {
		return errLost
	}
	return nil
}

// renew renews the lease of the running attempt and reports whether the
// run is still this attempt's: running, or finished by it (a renewal may
// come between the finish and the audit entry).
func (s *runStore) renew(ctx context.Context, run *PrintRun, leaseUntil time.Time) (bool, error) {
	filter := bson.M{"_id": run.ID, "attempt": run.Attempt, "status": bson.M{"$in": bson.A{StatusRunning, StatusDone}}}
	res, err := s.updateRun(ctx, filter, bson.M{"$set": bson.M{"lease_until": leaseUntil}})
	if err != nil {
		return false, fmt.Errorf("renew lease of print run %s: %w", run.ID, err)
	}
	return res.MatchedCount == 1, nil
}

func (s *runStore) fail(ctx context.Context, run *PrintRun, message string, at time.Time) error {
	_, err := s.updateRun(ctx, runAttempt(run),
		bson.M{"$set": bson.M{"status": StatusFailed, "error": message, "finished_at": at}})
	if err != nil {
		return fmt.Errorf("record failed print run %s: %w", run.ID, err)
	}
	return nil
}

// finish records the archive of the running attempt and reports whether
// the attempt was still this worker's.
func (s *runStore) finish(ctx context.Context, run *PrintRun, at time.Time, t *PrintRun) (bool, error) {
	res, err := s.updateRun(ctx, runAttempt(run), bson.M{"$set": bson.M{
		"status": StatusDone, "finished_at": at, "done": len(run.Recipients), "file_id": t.FileID, "key_id": t.KeyID,
		"size": t.Size, "sha256": t.SHA256, "bundles": t.Bundles, "cards": t.Cards, "pages": t.Pages}})
	if err != nil {
		return false, fmt.Errorf("record finished print run %s: %w", run.ID, err)
	}
	return res.MatchedCount == 1, nil
}

// part returns a stored part, ErrNotFound when there is none.
func (s *runStore) part(ctx context.Context, id string) (*Part, error) {
	var p Part
	err := s.parts.FindOne(ctx, bson.M{"_id": id}).Decode(&p)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("print part %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("print part %s: %w", id, err)
	}
	return &p, nil
}

// insertPart stores a part and reports whether it was the first: a part
// is built once.
func (s *runStore) insertPart(ctx context.Context, p *Part) (bool, error) {
	_, err := s.parts.InsertOne(ctx, p)
	if database.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store print part %s: %w", p.ID, err)
	}
	return true, nil
}

// dropFile deletes a stored file, if there is one.
func (s *runStore) dropFile(ctx context.Context, id bson.ObjectID) error {
	if id.IsZero() {
		return nil
	}
	if err := s.files.Delete(ctx, id); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
		return fmt.Errorf("delete print file %s: %w", id.Hex(), err)
	}
	return nil
}

// discard marks every run of a campaign asked for at or after cutoff as
// discarded and deletes its files and parts: they may hold a signature
// signed by then that is being erased. It returns how many it discarded.
func (s *runStore) discard(ctx context.Context, campaignID string, cutoff time.Time, at time.Time) (int, error) {
	cur, err := s.runs.Find(ctx, bson.M{"campaign_id": campaignID})
	if err != nil {
		return 0, fmt.Errorf("print runs of %s: %w", campaignID, err)
	}
	var runs []PrintRun
	if err := cur.All(ctx, &runs); err != nil {
		return 0, fmt.Errorf("print runs of %s: %w", campaignID, err)
	}
	n := 0
	for _, run := range runs {
		if run.Cutoff.Before(cutoff) || run.Status == StatusDiscarded {
			continue
		}
		// First the run, so that its worker stops; then what it wrote.
		if _, err := s.updateRun(ctx, bson.M{"_id": run.ID}, bson.M{
			"$set":   bson.M{"status": StatusDiscarded, "finished_at": at},
			"$unset": bson.M{"file_id": ""}}); err != nil {
			return n, fmt.Errorf("discard print run %s: %w", run.ID, err)
		}
		n++
		if err := s.dropFile(ctx, run.FileID); err != nil {
			return n, err
		}
		for _, rid := range run.Recipients {
			p, err := s.part(ctx, partID(run.ID, rid))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return n, err
			}
			if err := s.dropChunks(ctx, p.ID, p.Attempt, p.Chunks); err != nil {
				return n, err
			}
			if _, err := s.parts.DeleteOne(ctx, bson.M{"_id": p.ID}); err != nil {
				return n, fmt.Errorf("delete print part %s: %w", p.ID, err)
			}
		}
	}
	return n, nil
}

// partChunk is how much of a part's sealed bundle one document holds.
// Parts are stored in documents read by _id, not in GridFS, whose reads
// and deletes find chunks by file: on the embedded database each would
// scan every chunk of every part.
const partChunk = 1 << 20

func chunkID(part string, attempt, n int) string { return fmt.Sprintf("%s/%d/%06d", part, attempt, n) }

// chunkWriter stores what is written to it as the chunks of one part.
type chunkWriter struct {
	ctx     context.Context
	s       *runStore
	part    string
	attempt int
	buf     []byte
	n       int // chunks stored
}

func (s *runStore) newChunkWriter(ctx context.Context, part string, attempt int) *chunkWriter {
	return &chunkWriter{ctx: ctx, s: s, part: part, attempt: attempt, buf: make([]byte, 0, partChunk)}
}

func (w *chunkWriter) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		k := min(len(b), partChunk-len(w.buf))
		w.buf = append(w.buf, b[:k]...)
		b, written = b[k:], written+k
		if len(w.buf) == partChunk {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.s.chunks.InsertOne(w.ctx, bson.M{"_id": chunkID(w.part, w.attempt, w.n), "data": w.buf})
	if err != nil {
		return fmt.Errorf("store print part %s: %w", w.part, err)
	}
	w.n++
	w.buf = w.buf[:0]
	return nil
}

// Close stores the last chunk.
func (w *chunkWriter) Close() error { return w.flush() }

// abort deletes the chunks stored so far.
func (w *chunkWriter) abort(ctx context.Context) error {
	return w.s.dropChunks(ctx, w.part, w.attempt, w.n)
}

// chunkReader reads the chunks of a part in order.
type chunkReader struct {
	ctx     context.Context
	s       *runStore
	part    string
	attempt int
	count   int
	next    int
	buf     []byte
}

func (s *runStore) openChunks(ctx context.Context, p *Part) *chunkReader {
	return &chunkReader{ctx: ctx, s: s, part: p.ID, attempt: p.Attempt, count: p.Chunks}
}

func (r *chunkReader) Read(b []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next == r.count {
			return 0, io.EOF
		}
		var doc struct {
			Data []byte `bson:"data"`
		}
		if err := r.s.chunks.FindOne(r.ctx, bson.M{"_id": chunkID(r.part, r.attempt, r.next)}).Decode(&doc); err != nil {
			return 0, fmt.Errorf("read print part %s: %w", r.part, err)
		}
		r.buf, r.next = doc.Data, r.next+1
	}
	n := copy(b, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// dropChunks deletes n chunks of a part's attempt.
func (s *runStore) dropChunks(ctx context.Context, part string, attempt, n int) error {
	for i := range n {
		if _, err := s.chunks.DeleteOne(ctx, bson.M{"_id": chunkID(part, attempt, i)}); err != nil {
			return fmt.Errorf("delete print part %s: %w", part, err)
		}
	}
	return nil
}
