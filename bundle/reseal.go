package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// Reseal stores every finished archive that is plain (built before
// sealing) or sealed under a key other than the active one again, sealed
// under the active key: it writes a new file, points the job at it with a
// conditional update (the job must still be done with the old file, so a
// discard meanwhile wins) and then deletes the old file. Stopped half way,
// it leaves at most an unreferenced new file, and runs again from the
// jobs. With plainOnly it passes over sealed archives. It returns how many
// archives it stored again.
func (j *Jobs) Reseal(ctx context.Context, plainOnly bool) (int64, error) {
	jobs, err := j.store.done(ctx)
	if err != nil {
		return 0, fmt.Errorf("reseal bundles: %w", err)
	}
	var n int64
	for i := range jobs {
		job := &jobs[i]
		if job.KeyID == j.keys.Active() || plainOnly && job.KeyID != "" {
			continue
		}
		if err := j.resealOne(ctx, job); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (j *Jobs) resealOne(ctx context.Context, job *Job) error {
	r, err := j.Open(ctx, job)
	if err != nil {
		return fmt.Errorf("reseal bundle %s: %w", job.ID, err)
	}
	defer r.Close()
	up, err := j.store.newArchive(ctx, "bundle-"+job.ID+".zip")
	if err != nil {
		return fmt.Errorf("reseal bundle %s: %w", job.ID, err)
	}
	w, err := j.keys.NewWriter(up, archiveAAD(job.ID))
	if err == nil {
		_, err = io.Copy(w, r)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("reseal bundle %s: %w", job.ID, err), up.Abort())
	}
	if err := up.Close(); err != nil {
		return fmt.Errorf("reseal bundle %s: %w", job.ID, err)
	}
	newID := archiveID(up)
	repointed, err := j.store.repoint(ctx, job.ID, job.FileID, newID, j.keys.Active())
	if err != nil {
		return fmt.Errorf("reseal bundle %s: %w", job.ID, err)
	}
	old := job.FileID
	if !repointed {
		old = newID // changed meanwhile: keep what is there
	}
	if err := j.store.dropArchive(ctx, old); err != nil {
		return fmt.Errorf("reseal bundle %s: delete old archive: %w", job.ID, err)
	}
	return nil
}

// Usage adds to counts how many finished archives are sealed under each
// key ID (sealed.Plain for archives stored before sealing).
func (j *Jobs) Usage(ctx context.Context, counts map[string]int64) error {
	jobs, err := j.store.done(ctx)
	if err != nil {
		return fmt.Errorf("count sealed bundles: %w", err)
	}
	for _, job := range jobs {
		id := job.KeyID
		if id == "" {
			id = sealed.Plain
		}
		counts[id]++
	}
	return nil
}
