package bundle

import (
	"context"
	"fmt"

	"github.com/solidarity-letters/solidarity/campaign"
)

// Numbered is a finished bundle's signatures in the order its letter
// numbers them: IDs[n-1] is the signature printed as number n.
type Numbered struct {
	Job *Job
	IDs []string
	// Total counts every signature the cover letter counts: those printed
	// by name and those collected on paper.
	Total int
}

// Numbered returns the finished bundle job of c with that ID and its
// signatures by number, read as Build reads them (the signatures in the
// job's scope, in signing order), so that a number an organizer reads on
// the printed letter finds its signature. A signature erased since is
// gone and the ones after it move up, as in the bundle built again after
// the erasure. A job that does not exist, is not c's or is not finished is
// ErrNotFound.
func (j *Jobs) Numbered(ctx context.Context, c *campaign.Campaign, jobID string) (Numbered, error) {
	job, err := j.Job(ctx, jobID)
	if err != nil {
		return Numbered{}, err
	}
	if job.CampaignID != c.ID || job.Status != StatusDone {
		return Numbered{}, fmt.Errorf("numbered bundle %s of %s: %w", jobID, c.Slug, ErrNotFound)
	}
	d := &data{countries: map[string]bool{}}
	if _, _, err := j.builder.readSignatures(ctx, c, job.Scope, d); err != nil {
		return Numbered{}, fmt.Errorf("numbered bundle %s: %w", jobID, err)
	}
	sortRows(d.rows)
	n := Numbered{Job: job, IDs: make([]string, len(d.rows)), Total: len(d.rows)}
	for i, r := range d.rows {
		n.IDs[i] = r.id
	}
	for _, t := range job.Tallies {
		n.Total += int(t.Count)
	}
	return n, nil
}
