package bundle

import (
	"context"

	"github.com/solidarity-letters/solidarity/internal/claim"
)

// claimsCollection holds one record per claimed attempt of a job, whose
// unique _id makes the claim exclusive even where the embedded database
// lets two workers set the same job running (see package claim).
const claimsCollection = "bundle_claims"

// own records the claimed attempt of job and reports whether this worker
// won it.
func (s *store) own(ctx context.Context, job *Job) (bool, error) {
	return claim.New(s.jobs.Database().Collection(claimsCollection)).Own(ctx, job.ID, job.Attempt)
}
