package bundle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// ErrNoNumbers is a bundle whose map of printed numbers to signatures is
// not stored (it was built before bundles kept one, and no signature list
// could be made for it).
var ErrNoNumbers = errors.New("the bundle's signature numbers are not stored")

func isNoNumbers(err error) bool { return errors.Is(err, ErrNoNumbers) }

// Numbered is a built bundle's numbering: Count signatures printed by
// name, numbered 1 to Count.
type Numbered struct {
	Job   *Job
	Count int
	// Total counts every signature the cover letter counts: those printed
	// by name and those collected on paper.
	Total int
}

// Numbered returns the bundle job of c with that ID, finished (or finished
// and replaced or discarded since after an erasure: the letter posted may
// be the one built first), and how it numbers its signatures, as stored
// when it was built. A job that does not exist, is not c's or was never
// finished is ErrNotFound; one whose numbers are not stored is
// ErrNoNumbers.
func (j *Jobs) Numbered(ctx context.Context, c *campaign.Campaign, jobID string) (Numbered, error) {
	job, err := j.Job(ctx, jobID)
	if err != nil {
		return Numbered{}, err
	}
	built := job.Status == StatusDone || job.Status == StatusReplaced || job.Status == StatusDiscarded
	if job.CampaignID != c.ID || !built || job.SHA256 == "" {
		return Numbered{}, fmt.Errorf("numbered bundle %s of %s: %w", jobID, c.Slug, ErrNotFound)
	}
	first, err := j.store.numbers(ctx, jobID, 0)
	if err != nil {
		return Numbered{}, err
	}
	n := Numbered{Job: job, Count: first.Count, Total: first.Count}
	for _, t := range job.Tallies {
		n.Total += int(t.Count)
	}
	return n, nil
}

// Signatures returns the IDs of the signatures the job printed as numbers
// (each from 1 to its Numbered.Count), in the order given; a number whose
// signature was erased since has none. A number out of range is an error.
func (j *Jobs) Signatures(ctx context.Context, jobID string, numbers []int) ([]string, error) {
	docs := map[int]*numbersDoc{}
	out := make([]string, 0, len(numbers))
	for _, num := range numbers {
		k := (num - 1) / numbersChunk
		d, ok := docs[k]
		if !ok {
			var err error
			if d, err = j.store.numbers(ctx, jobID, k); err != nil {
				return nil, err
			}
			docs[k] = d
		}
		i := (num - 1) % numbersChunk
		if num < 1 || i >= len(d.IDs) {
			return nil, fmt.Errorf("bundle %s has no signature number %d", jobID, num)
		}
		if id := d.IDs[i]; id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// ForgetSignature takes an erased signature out of the numbers of every
// bundle of the campaign, whatever its state, that printed it; its number
// stays, with no signature.
func (j *Jobs) ForgetSignature(ctx context.Context, campaignID, sigID string) error {
	jobs, err := j.store.ofCampaign(ctx, campaignID)
	if err != nil {
		return err
	}
	for _, job := range jobs {
		if err := j.store.forgetNumber(ctx, job.ID, sigID); err != nil {
			return err
		}
	}
	return nil
}

// orderedIDs returns the IDs of the signatures of c that a bundle of
// scope prints, in print order, read without opening a name.
func (b *Builder) orderedIDs(ctx context.Context, c *campaign.Campaign, scope Scope) ([]string, error) {
	var rows []row
	err := b.campaigns.Store().EachSignatureRef(ctx, c.ID, func(id string, signedAt time.Time) error {
		if scope.Contains(signedAt) {
			rows = append(rows, row{id: id, at: signedAt})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortRows(rows)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	return ids, nil
}

// FillNumbers stores the numbers of every finished bundle built before
// bundles kept them, read from the signatures as they are now (the best
// there is: a signature invalidated since such a bundle was built moves
// the numbers after it). Bundles with numbers keep them; it may run again.
func (j *Jobs) FillNumbers(ctx context.Context) error {
	jobs, err := j.store.done(ctx)
	if err != nil {
		return err
	}
	for _, job := range jobs {
		if _, err := j.store.numbers(ctx, job.ID, 0); !isNoNumbers(err) {
			if err != nil {
				return err
			}
			continue
		}
		c, err := j.builder.campaigns.Campaign(ctx, job.CampaignID)
		if errors.Is(err, campaign.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		scope := job.Scope
		if scope.Cutoff.IsZero() {
			scope.Cutoff = job.StartedAt
		}
		ids, err := j.builder.orderedIDs(ctx, c, scope)
		if err != nil {
			return fmt.Errorf("numbers of bundle %s: %w", job.ID, err)
		}
		if err := j.store.saveNumbers(ctx, job.ID, job.Attempt, ids); err != nil {
			return err
		}
	}
	return nil
}
