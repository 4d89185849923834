package bundle

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// claimsCollection holds one record per claimed attempt of a job, whose
// unique _id makes the claim exclusive. MongoDB's findAndModify alone would
// do, but the embedded database runs it as a read and then an unconditional
// write: two workers that look at once both see the job waiting and both
// set it running with the same attempt number. Only one of them can insert
// the record of that attempt; the other passes the job by.
const claimsCollection = "bundle_claims"

// own records the claimed attempt of job and reports whether this worker
// won it.
func (s *store) own(ctx context.Context, job *Job) (bool, error) {
	claims := s.jobs.Database().Collection(claimsCollection)
	_, err := claims.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("%s/%d", job.ID, job.Attempt), "job": job.ID, "attempt": job.Attempt})
	if database.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		// The job stays running until its lease runs out, then another
		// worker takes it over.
		return false, fmt.Errorf("claim bundle job %s: %w", job.ID, err)
	}
	// Only the newest attempt's record matters; a failed clean-up leaves a
	// few bytes behind.
	_, _ = claims.DeleteMany(ctx, bson.M{"job": job.ID, "attempt": bson.M{"$lt": job.Attempt}})
	return true, nil
}
