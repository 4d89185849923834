// Package claim makes the claim of a queued job exclusive among workers
// that share a database, on MongoDB and on the embedded database alike.
//
// A worker first moves the job on with a conditional update that raises
// its attempt number (MongoDB's findAndModify, which is atomic there).
// The embedded database runs such an update as a read and then an
// unconditional write, so two workers that look at once may both see the
// job waiting and both raise it to the same attempt. Records makes the
// difference: each claimed attempt is recorded under a unique _id, and only
// the worker whose insert succeeds owns the attempt; the other passes the
// job by. Inserts by _id are cheap on both databases.
package claim

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Records is a collection of claim records, one per claimed attempt of a
// job.
type Records struct {
	coll *mongo.Collection
}

// New returns the claim records kept in coll.
func New(coll *mongo.Collection) *Records { return &Records{coll: coll} }

// recordID is the _id of the record of one attempt of a job.
func recordID(job string, attempt int) string { return fmt.Sprintf("%s/%d", job, attempt) }

// Own records the claimed attempt of job and reports whether this worker
// won it. An error leaves the attempt unowned: the job waits until its
// lease runs out, then another worker claims it anew.
func (r *Records) Own(ctx context.Context, job string, attempt int) (bool, error) {
	_, err := r.coll.InsertOne(ctx, bson.M{"_id": recordID(job, attempt), "job": job, "attempt": attempt})
	if database.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s attempt %d: %w", job, attempt, err)
	}
	// Only the newest attempt's record matters; a failed clean-up leaves
	// a few bytes behind.
	if attempt > 1 {
		_, _ = r.coll.DeleteOne(ctx, bson.M{"_id": recordID(job, attempt-1)})
	}
	return true, nil
}

// Release deletes the record of a finished job's last attempt.
func (r *Records) Release(ctx context.Context, job string, attempt int) error {
	if _, err := r.coll.DeleteOne(ctx, bson.M{"_id": recordID(job, attempt)}); err != nil {
		return fmt.Errorf("release claim of %s: %w", job, err)
	}
	return nil
}

// Prune deletes the records of the jobs named prefix and something before
// before, in string order: the claims of past periods, whose names end in
// the period's number (of equal length). It returns how many it deleted.
func (r *Records) Prune(ctx context.Context, prefix, before string) (int64, error) {
	res, err := r.coll.DeleteMany(ctx, bson.M{"_id": bson.M{"$gte": prefix, "$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("prune claims %s: %w", prefix, err)
	}
	return res.DeletedCount, nil
}
