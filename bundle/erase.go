package bundle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Erase erases a signature of the campaign, signed at signedAt, by calling
// erase, and builds again without it every bundle that holds it (see
// Scope.Contains), with the same options and scope; bundles that do not
// hold it stay as they are. by is the account that asked; the rebuilt
// bundles are recorded under it. Erase returns how many bundles that held
// the signature, finished or being built, are being built again.
//
// Before erase runs, the archives that hold the signature are deleted from
// GridFS, each finished one is replaced by a job that builds it again, and
// bundles waiting or being built are restarted; all of these are held back
// until erase has returned, so that no worker reads the signature into a
// new archive. A bundle whose build started while erase ran is restarted
// after it. If erase fails, the held bundles are built as before: the
// signature is still there to erase again.
func (j *Jobs) Erase(ctx context.Context, campaignID string, signedAt time.Time, by string, erase func(context.Context) error) (int, error) {
	at := j.now().UTC()
	held := map[string]bool{}
	release := func() error {
		var errs []error
		for id := range held {
			if err := j.store.release(context.WithoutCancel(ctx), id); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	jobs, err := j.holding(ctx, campaignID, signedAt)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, job := range jobs {
		id, rebuilt, err := j.takeBack(ctx, job, 1, by, at)
		if id != "" {
			held[id] = true
		}
		if rebuilt {
			n++
		}
		if err != nil {
			return 0, errors.Join(err, release())
		}
	}
	if err := erase(ctx); err != nil {
		return 0, errors.Join(err, release())
	}
	// A drive's print runs that may hold the signature are not rebuilt:
	// their archives go, and the organizer starts a new run.
	if _, err := newRunStore(j.store.jobs.Database()).discard(ctx, campaignID, signedAt, j.now().UTC()); err != nil {
		return n, errors.Join(err, release())
	}
	// A bundle asked for or taken up while the first pass ran may have
	// read the signature: one that started before the erasure ended is
	// built again.
	erased := j.now().UTC()
	jobs, err = j.holding(ctx, campaignID, signedAt)
	if err != nil {
		return n, errors.Join(err, release())
	}
	for _, job := range jobs {
		if held[job.ID] || job.StartedAt.IsZero() || job.StartedAt.After(erased) {
			continue
		}
		_, rebuilt, err := j.takeBack(ctx, job, 0, by, at)
		if rebuilt {
			n++
		}
		if err != nil {
			return n, errors.Join(err, release())
		}
	}
	return n, release()
}

// holding returns the campaign's jobs whose bundle holds, or will hold, a
// signature signed at signedAt: those waiting, being built or finished
// whose scope contains it.
func (j *Jobs) holding(ctx context.Context, campaignID string, signedAt time.Time) ([]Job, error) {
	all, err := j.store.ofCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	var out []Job
	for _, job := range all {
		switch job.Status {
		case StatusQueued, StatusRunning, StatusDone:
			if job.Contains(signedAt) {
				out = append(out, job)
			}
		}
	}
	return out, nil
}

// takeBack makes sure the bundle of job will not hold a signature about to
// be erased, or just erased: a waiting job is held back, a running one is
// restarted (its worker then deletes what it wrote) and a finished one
// loses its archive and is replaced by a new job with its options and
// scope. Jobs it holds or creates get hold holds. It returns the ID of the
// job it held, if any, and whether a bundle that had read the signature is
// being built again.
func (j *Jobs) takeBack(ctx context.Context, job Job, hold int, by string, at time.Time) (string, bool, error) {
	heldID := func(id string) string {
		if hold == 0 {
			return ""
		}
		return id
	}
	// A worker may move the job on between reading and writing it: each
	// step matches the state it saw, and on a miss looks again.
	for range 5 {
		switch job.Status {
		case StatusQueued:
			if hold == 0 {
				return "", false, nil // it reads the data after the erasure
			}
			held, err := j.store.hold(ctx, job.ID, hold)
			if err != nil {
				return "", false, err
			}
			if held {
				return heldID(job.ID), false, nil
			}
		case StatusRunning:
			restarted, err := j.store.restart(ctx, &job, hold)
			if err != nil {
				return "", false, err
			}
			if restarted {
				return heldID(job.ID), true, nil
			}
		case StatusDone:
			id, ok, err := j.replace(ctx, job, hold, by, at)
			if err != nil || ok {
				return heldID(id), ok, err
			}
		default:
			return "", false, nil // failed, replaced or discarded: no archive
		}
		next, err := j.Job(ctx, job.ID)
		if err != nil {
			return "", false, err
		}
		job = *next
	}
	return "", false, fmt.Errorf("bundle job %s keeps changing", job.ID)
}

// replace deletes the archive of a finished job and queues a job that
// builds it again, with hold holds, and marks the old one replaced. It
// reports false if the job was no longer finished.
func (j *Jobs) replace(ctx context.Context, job Job, hold int, by string, at time.Time) (string, bool, error) {
	if err := j.store.dropArchive(ctx, job.FileID); err != nil {
		return "", false, fmt.Errorf("delete bundle %s: %w", job.ID, err)
	}
	scope := job.Scope
	if scope.Cutoff.IsZero() {
		// Built before bundles had a cut-off: it read the data when it
		// started.
		var err error
		if scope, err = j.builder.ScopeAt(ctx, job.CampaignID, job.StartedAt); err != nil {
			return "", false, err
		}
	}
	next := &Job{ID: newJobID(), CampaignID: job.CampaignID, Options: job.Options, Scope: scope,
		Status: StatusQueued, Holds: hold, CreatedBy: by, CreatedAt: at,
		Replaces: job.ID, ReplacesSHA256: job.SHA256, ErasedAt: at}
	if err := j.store.insert(ctx, next); err != nil {
		return "", false, fmt.Errorf("queue rebuilt bundle of %s: %w", job.ID, err)
	}
	marked, err := j.store.markReplaced(ctx, job.ID, next.ID, at)
	if err != nil {
		return next.ID, false, err
	}
	if !marked {
		// Replaced by another erasure meanwhile: it rebuilds the bundle.
		if err := j.store.delete(ctx, next.ID); err != nil {
			return next.ID, false, fmt.Errorf("drop rebuilt bundle of %s: %w", job.ID, err)
		}
		return "", false, nil
	}
	return next.ID, true, nil
}

// Retry queues again a job that failed, or one still held back by an
// erasure that never finished (its process stopped). It builds the same
// bundle: same options and scope.
func (j *Jobs) Retry(ctx context.Context, id string) error {
	return j.store.retry(ctx, id)
}

// Current follows a replaced job to the job that now builds or holds its
// bundle; for any other job it is the job itself.
func (j *Jobs) Current(ctx context.Context, job *Job) (*Job, error) {
	// Each erasure adds at most one step; the bound only guards a loop.
	for range 64 {
		if job.Status != StatusReplaced || job.ReplacedBy == "" {
			return job, nil
		}
		next, err := j.Job(ctx, job.ReplacedBy)
		if err != nil {
			return nil, err
		}
		job = next
	}
	return nil, fmt.Errorf("bundle job %s: replaced too many times", job.ID)
}
