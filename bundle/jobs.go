package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/pdf"
)

// ErrNotFound is returned for a job or file that does not exist.
var ErrNotFound = errors.New("not found")

// Status is where a job stands.
type Status string

// The job statuses.
const (
	StatusQueued  Status = "queued"
	StatusRunning Status = "running"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	// StatusReplaced is a bundle whose archive was deleted because a
	// signature in it was erased; the job named by ReplacedBy builds it
	// again without that signature.
	StatusReplaced Status = "replaced"
	// StatusDiscarded is a bundle whose archive was deleted because a
	// signature in it was erased, before erasures rebuilt bundles; only
	// older jobs have it.
	StatusDiscarded Status = "discarded"
)

// Job is one bundle being built or built.
type Job struct {
	ID         string  `bson:"_id"`
	CampaignID string  `bson:"campaign_id"`
	Options    Options `bson:"options"`
	// Scope is what the bundle holds, fixed when it is asked for.
	Scope  `bson:",inline"`
	Status Status `bson:"status"`
	// Holds counts the erasures under way that hold a queued job back
	// until their signature is gone; a worker takes only a job with none.
	Holds int `bson:"holds"`
	// Attempt counts the claims of the job, so that a worker whose build
	// was restarted meanwhile cannot record its archive.
	Attempt    int       `bson:"attempt"`
	CreatedBy  string    `bson:"created_by"`
	CreatedAt  time.Time `bson:"created_at"`
	StartedAt  time.Time `bson:"started_at,omitempty"`
	FinishedAt time.Time `bson:"finished_at,omitempty"`
	LeaseUntil time.Time `bson:"lease_until,omitempty"`
	// Envelopes is how many envelopes of TotalEnvelopes are written (see
	// pdf.Envelope). Their stored names are those of jobs stored before
	// the envelope had its name.
	Envelopes      int `bson:"letters"`
	TotalEnvelopes int `bson:"total_letters"`
	// FileID is the GridFS file of the finished archive.
	FileID bson.ObjectID `bson:"file_id,omitempty"`
	Size   int64         `bson:"size"`
	SHA256 string        `bson:"sha256,omitempty"`
	Files  []pdf.File    `bson:"files,omitempty"`
	Pages  int           `bson:"pages"`
	Error  string        `bson:"error,omitempty"`

	// Replaces is the job whose bundle this one builds again after a
	// signature in it was erased at ErasedAt, and ReplacesSHA256 that
	// bundle's SHA-256.
	Replaces       string `bson:"replaces,omitempty"`
	ReplacesSHA256 string `bson:"replaces_sha256,omitempty"`
	// ReplacedBy is the job that builds this replaced bundle again.
	ReplacedBy string    `bson:"replaced_by,omitempty"`
	ErasedAt   time.Time `bson:"erased_at,omitempty"`
	// KeyID names the data key the stored archive is sealed with (its PDFs
	// hold supporters' names); empty for an archive stored before sealing.
	KeyID string `bson:"key_id,omitempty"`
}

// Held reports whether the job waits for an erasure to finish.
func (j *Job) Held() bool { return j.Status == StatusQueued && j.Holds > 0 }

// archiveAAD binds a stored archive to its job.
func archiveAAD(jobID string) []byte { return seal.AAD("bundles", jobID) }

// Percent is how far the job has come, 0 to 100.
func (j *Job) Percent() int {
	switch {
	case j.Status == StatusDone:
		return 100
	case j.TotalEnvelopes == 0:
		return 0
	}
	return j.Envelopes * 100 / j.TotalEnvelopes
}

// Recorder writes audit entries for finished jobs.
type Recorder interface {
	Record(ctx context.Context, actor string, action audit.Action, target, detail string) error
}

// Jobs queues and runs bundle builds.
type Jobs struct {
	store   *store
	builder *Builder
	audit   Recorder
	now     func() time.Time
	log     *slog.Logger
	// keys seal the stored archives, whose PDFs hold supporters' names.
	keys *seal.Keyring
	leasing
	// progressed, when set (tests), is called after each step of a build
	// is stored, in the build's context.
	progressed func(ctx context.Context, p pdf.Progress)
	// observe is told how long each build took (SetObserver).
	observe Observer
}

// Observer is told how long one run of a job took and whether it failed:
// job "bundle" or "print_run" (the metrics).
type Observer func(job string, took time.Duration, err error)

// SetObserver sets who is told how long each build takes; call it before
// Run.
func (j *Jobs) SetObserver(o Observer) { j.observe = o }

// lease is how long a running job is held without a renewal before another
// worker may take it over (its process died).
const lease = 2 * time.Minute

// leasing is how long a worker holds a running job or print run (lease)
// and how often it renews that while it works (renewEvery, a quarter of
// the lease): a live worker keeps its job however long a step takes, and
// one that died loses it within a lease.
type leasing struct {
	lease, renewEvery time.Duration
}

func defaultLeasing() leasing { return leasing{lease: lease, renewEvery: lease / 4} }

// keep renews a claimed job's lease while its work runs (claim.Keep):
// renew extends it and reports whether the job is still this attempt's.
// The work's context ends when the job is taken over.
func (l leasing) keep(ctx context.Context, log *slog.Logger, what, id string, renew func(context.Context) (bool, error)) (context.Context, func()) {
	return claim.Keep(ctx, l.renewEvery, renew, func(err error) {
		log.Warn("renew the lease of a "+what, "id", id, "error", err)
	})
}

// NewJobs returns the job queue of db; stored archives are sealed with keys.
func NewJobs(db *mongo.Database, keys *seal.Keyring, builder *Builder, audit Recorder, now func() time.Time, log *slog.Logger) *Jobs {
	return &Jobs{keys: keys, store: newStore(db), builder: builder, audit: audit, now: now, log: log, leasing: defaultLeasing()}
}

// Enqueue asks for a bundle of c; a worker builds it. It prints in
// opts.Lang, which must be one of Languages(c); empty is the original's.
func (j *Jobs) Enqueue(ctx context.Context, c *campaign.Campaign, opts Options, by string) (*Job, error) {
	if opts.Lang == "" {
		opts.Lang = c.TextLanguage()
	}
	if err := opts.Validate(j.builder.messages); err != nil {
		return nil, err
	}
	switch {
	case c.IsDrive() && !c.WritesTo(opts.Recipient):
		return nil, fmt.Errorf("%w: drive %s does not write to %q", ErrInvalid, c.Slug, opts.Recipient)
	case !c.IsDrive():
		opts.Recipient = ""
	}
	if langs := Languages(c, j.builder.messages); !slices.Contains(langs, opts.Lang) {
		return nil, fmt.Errorf("%w: campaign %s has no text in %q, only in %s", ErrInvalid, c.Slug, opts.Lang, strings.Join(langs, ", "))
	}
	now := j.now().UTC()
	scope, err := j.builder.ScopeAt(ctx, c.ID, now)
	if err != nil {
		return nil, fmt.Errorf("queue bundle of %s: %w", c.Slug, err)
	}
	job := &Job{ID: newJobID(), CampaignID: c.ID, Options: opts, Scope: scope, Status: StatusQueued,
		CreatedBy: by, CreatedAt: now}
	if err := j.store.insert(ctx, job); err != nil {
		return nil, fmt.Errorf("queue bundle of %s: %w", c.Slug, err)
	}
	return job, nil
}

// Job returns the job with that ID.
func (j *Jobs) Job(ctx context.Context, id string) (*Job, error) {
	return j.store.job(ctx, id)
}

// ForCampaign returns a campaign's jobs, newest first.
func (j *Jobs) ForCampaign(ctx context.Context, campaignID string) ([]Job, error) {
	return j.store.recent(ctx, campaignID, 20)
}

// Open returns the finished archive of a job.
func (j *Jobs) Open(ctx context.Context, job *Job) (io.ReadCloser, error) {
	if job.Status != StatusDone {
		return nil, fmt.Errorf("bundle job %s is %s: %w", job.ID, job.Status, ErrNotFound)
	}
	s, err := j.store.openArchive(ctx, job.FileID)
	if err != nil {
		return nil, fmt.Errorf("open bundle %s: %w", job.ID, err)
	}
	if job.KeyID == "" {
		return s, nil
	}
	r, err := j.keys.NewReader(s, archiveAAD(job.ID))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open bundle %s: %w", job.ID, err), s.Close())
	}
	return struct {
		io.Reader
		io.Closer
	}{r, s}, nil
}

// pollEvery is how often an idle worker looks for queued jobs.
const pollEvery = time.Second

// Run builds queued jobs, one at a time, until ctx ends. A job whose
// worker died (its lease ran out) is taken over and built again.
func (j *Jobs) Run(ctx context.Context) error {
	return work(ctx, j.RunOnce, func(err error) { j.log.Error("claim bundle job", "error", err) })
}

// work calls once until ctx ends: again at once after it found work, after
// pollEvery when it found none or failed, which it reports to fail.
func work(ctx context.Context, once func(context.Context) (bool, error), fail func(error)) error {
	for {
		ran, err := once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			fail(err)
		case ran:
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollEvery):
		}
	}
}

// RunOnce builds the next job, if there is one, and reports whether there
// was. A failed build is recorded on its job, not returned.
func (j *Jobs) RunOnce(ctx context.Context) (bool, error) {
	job, err := j.claim(ctx)
	if err != nil || job == nil {
		return false, err
	}
	j.run(ctx, job)
	return true, nil
}

// claim takes the oldest queued job that no erasure holds back, or one
// whose lease ran out, in one update, made exclusive by own.
func (j *Jobs) claim(ctx context.Context) (*Job, error) {
	// A claim lost to another worker means: look again.
	for range 8 {
		job, err := j.store.claim(ctx, j.now().UTC(), j.lease)
		if err != nil || job == nil {
			return nil, err
		}
		won, err := j.store.own(ctx, job)
		if err != nil {
			return nil, err
		}
		if won {
			return job, nil
		}
	}
	return nil, nil
}

// run builds one job into GridFS and records how it ended. Its lease is
// renewed while it builds; a build whose job was taken over by another
// worker (or restarted by an erasure) meanwhile stops.
func (j *Jobs) run(ctx context.Context, job *Job) {
	start := time.Now()
	work, stop := j.keep(ctx, j.log, "bundle job", job.ID, func(ctx context.Context) (bool, error) {
		return j.store.renew(ctx, job, j.now().UTC().Add(j.lease))
	})
	err := j.build(work, job)
	stopped, lost := work.Err() != nil, claim.Lost(work)
	stop()
	if j.observe != nil && !stopped {
		j.observe("bundle", time.Since(start), err)
	}
	if lost {
		j.log.Warn("bundle job taken over by another worker: this build stopped", "job", job.ID)
	}
	if err == nil || stopped {
		return // a stopped build is taken over when its lease runs out
	}
	j.log.Error("bundle job failed", "job", job.ID, "error", err)
	// A job restarted meanwhile (an erasure) stays queued.
	if uerr := j.store.fail(context.WithoutCancel(ctx), job, err.Error(), j.now().UTC()); uerr != nil {
		j.log.Error("record failed bundle job", "job", job.ID, "error", uerr)
	}
}

func (j *Jobs) build(ctx context.Context, job *Job) error {
	c, err := j.builder.campaigns.Campaign(ctx, job.CampaignID)
	if err != nil {
		return err
	}
	if job.Cutoff.IsZero() {
		// Queued before bundles had a cut-off: it holds what was there
		// when it was asked for.
		if job.Scope, err = j.builder.ScopeAt(ctx, job.CampaignID, job.CreatedAt); err != nil {
			return err
		}
	}
	up, err := j.store.newArchive(ctx, "bundle-"+c.Slug+".zip")
	if err != nil {
		return err
	}
	progress := func(p pdf.Progress) {
		// Progress also renews the lease; a failed write only delays the bar.
		_ = j.store.progress(ctx, job, p.Envelopes, p.TotalEnvelopes, j.now().UTC().Add(j.lease))
		if j.progressed != nil {
			j.progressed(ctx, p)
		}
	}
	w, err := j.keys.NewWriter(up, archiveAAD(job.ID))
	if err != nil {
		return errors.Join(err, up.Abort())
	}
	m, ids, err := j.builder.build(ctx, c, job.Options, job.Scope, w, progress)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return errors.Join(err, up.Abort())
	}
	if err := up.Close(); err != nil {
		return fmt.Errorf("store bundle: %w", err)
	}
	fileID := archiveID(up)
	// The numbers are stored before the job is finished, so that every
	// finished bundle has them: a reply names supporters by them.
	if err := j.store.saveNumbers(ctx, job.ID, job.Attempt, ids); err != nil {
		return errors.Join(err, j.store.deleteArchive(context.WithoutCancel(ctx), fileID))
	}
	finished, err := j.store.finish(ctx, job, j.now().UTC(), fileID, j.keys.Active(), m)
	if err != nil {
		// What was written may hold a name erased meanwhile: it goes.
		return errors.Join(err, j.store.deleteArchive(context.WithoutCancel(ctx), fileID),
			j.store.deleteNumbers(context.WithoutCancel(ctx), job.ID, job.Attempt))
	}
	if !finished {
		// Restarted while it was built (a signature in it was erased), or
		// taken over: this build's archive goes, whether or not the lease's
		// loss has stopped the work's context yet.
		ctx := context.WithoutCancel(ctx)
		if err := j.store.deleteArchive(ctx, fileID); err != nil {
			return fmt.Errorf("delete restarted bundle: %w", err)
		}
		return j.store.deleteNumbers(ctx, job.ID, job.Attempt)
	}
	// The audit log says "letters", as the people who post them do.
	detail := fmt.Sprintf("%d letters, %d pages, sha256 %s", len(m.Envelopes), m.Pages, m.SHA256)
	action := audit.BundleBuilt
	if job.Replaces != "" {
		action = audit.BundleRebuilt
		detail = fmt.Sprintf("rebuilt after an erasure: sha256 %s replaces sha256 %s; %s", m.SHA256, job.ReplacesSHA256, detail)
	}
	return j.audit.Record(ctx, job.CreatedBy, action, c.Slug, detail)
}

// Summarize counts what a bundle of c would hold.
func (j *Jobs) Summarize(ctx context.Context, c *campaign.Campaign) (Summary, error) {
	return j.builder.Summarize(ctx, c)
}
