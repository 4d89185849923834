package posts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/markdown"
	"github.com/solidarity-letters/solidarity/internal/scanimage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Recorder writes audit entries (audit.Log).
type Recorder interface {
	Record(ctx context.Context, actor string, action audit.Action, target, detail string) error
}

// Service writes posts, keeps the public ones in memory (cache.go) and
// records publications in the audit log.
type Service struct {
	store     *Store
	campaigns *campaign.Service
	audit     Recorder
	now       func() time.Time
	md        *markdown.Renderer
	rules     rules
	mem       memory
	// decoding holds a token while a scan is decoded: one at a time, as
	// each may take up to scanimage.MaxMemory.
	decoding chan struct{}
}

// MaxDecoding is how many scans are decoded at once.
const MaxDecoding = 1

// NewService returns the posts service over store; campaigns tells which
// recipients and campaigns exist.
func NewService(store *Store, campaigns *campaign.Service, rec Recorder, now func() time.Time) *Service {
	return &Service{store: store, campaigns: campaigns, audit: rec, now: now, md: markdown.New(), rules: newRules(),
		decoding: make(chan struct{}, MaxDecoding)}
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// Markdown returns the renderer the public pages use, for previews.
func (s *Service) Markdown() *markdown.Renderer { return s.md }

// refs answers from the campaigns in memory.
type refs struct{ set *campaign.CampaignSet }

func (r refs) RecipientExists(id string) bool { _, ok := r.set.Recipient(id); return ok }
func (r refs) CampaignExists(id string) bool {
	return slices.ContainsFunc(r.set.All, func(c campaign.Campaign) bool { return c.ID == id })
}

// Check normalises and validates in as a new post or an edit of base,
// without storing it: for the console's preview. Problems are a
// *campaign.ValidationError.
func (s *Service) Check(in Input, base Post) (Post, error) {
	return s.rules.normalise(in, base, refs{s.campaigns.Campaigns()})
}

// Create stores a new draft. Problems are a *campaign.ValidationError,
// a slug another post has among them.
func (s *Service) Create(ctx context.Context, in Input) (Post, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	p, err := s.Check(in, Post{ID: bson.NewObjectID().Hex(), State: Draft, CreatedAt: now, UpdatedAt: now, Version: 1})
	if err != nil {
		return p, err
	}
	if err := s.slugFree(ctx, p.ID, p.Slug); err != nil {
		return p, err
	}
	if err := s.store.Create(ctx, &p); err != nil {
		return p, slugTaken(err)
	}
	return p, s.remember(p)
}

// slugFree returns a *campaign.ValidationError when a post other than id
// has slug (ProblemTaken) or had it (ProblemOldSlug: its old links lead
// there). The unique index on slugs still guards the current ones against
// a save at the same moment.
func (s *Service) slugFree(ctx context.Context, id, slug string) error {
	all, err := s.store.slugs(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		switch {
		case o.ID == id:
		case o.Slug == slug:
			return &campaign.ValidationError{Fields: []campaign.FieldError{{Field: "slug", Problem: campaign.ProblemTaken}}}
		case slices.Contains(o.OldSlugs, slug):
			return &campaign.ValidationError{Fields: []campaign.FieldError{{Field: "slug", Problem: ProblemOldSlug}}}
		}
	}
	return nil
}

// keepOldSlug records in p that it had base's slug, when it changes: the
// old address then leads to it. A slug it takes back is no longer old.
func keepOldSlug(p *Post, base *Post) {
	p.OldSlugs = slices.Clone(base.OldSlugs)
	if base.Slug == "" || p.Slug == base.Slug {
		return
	}
	p.OldSlugs = slices.DeleteFunc(p.OldSlugs, func(o string) bool { return o == p.Slug })
	if !slices.Contains(p.OldSlugs, base.Slug) {
		p.OldSlugs = append(p.OldSlugs, base.Slug)
	}
}

// slugTaken words a duplicate slug as the form's problem.
func slugTaken(err error) error {
	if errors.Is(err, ErrDuplicate) {
		return &campaign.ValidationError{Fields: []campaign.FieldError{{Field: "slug", Problem: campaign.ProblemTaken}}}
	}
	return err
}

// Update stores in over the post id of version prev. A published letter
// from the recipient cannot lose its consent. Problems are a
// *campaign.ValidationError; a post saved since prev ErrConflict.
func (s *Service) Update(ctx context.Context, id string, prev int64, in Input) (Post, error) {
	base, err := s.load(ctx, id, prev, "save post")
	if err != nil {
		return base, err
	}
	p, err := s.Check(in, base)
	if err == nil && p.State != Draft {
		err = consentProblem(&p)
	}
	if err == nil && p.Slug != base.Slug {
		err = s.slugFree(ctx, p.ID, p.Slug)
	}
	if err != nil {
		return p, err
	}
	keepOldSlug(&p, &base)
	return p, s.save(ctx, &p, prev)
}

// save stores p as the next version after prev and keeps it in memory.
func (s *Service) save(ctx context.Context, p *Post, prev int64) error {
	p.Version = prev + 1
	p.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := s.store.Replace(ctx, p, prev); err != nil {
		return slugTaken(err)
	}
	return s.remember(*p)
}

// load returns the post id for a change named doing ("publish post"), or
// ErrConflict with the post as stored when it was saved since version prev.
func (s *Service) load(ctx context.Context, id string, prev int64, doing string) (Post, error) {
	p, err := s.store.Post(ctx, id)
	if err != nil {
		return Post{}, err
	}
	if p.Version != prev {
		return p, fmt.Errorf("%s %s over version %d: %w", doing, id, prev, ErrConflict)
	}
	return p, nil
}

// consentProblem is the problem of a letter from the recipient published
// without a recorded consent.
func consentProblem(p *Post) error {
	if p.NeedsConsent() && (!p.Consent || p.ConsentBy == "") {
		return &campaign.ValidationError{Fields: []campaign.FieldError{{Field: "consent", Problem: campaign.ProblemRequired}}}
	}
	return nil
}

// Post returns the post with that ID, whatever its state.
func (s *Service) Post(ctx context.Context, id string) (Post, error) { return s.store.Post(ctx, id) }

// All returns every post for the console, newest change first.
func (s *Service) All(ctx context.Context) ([]Post, error) {
	all, err := s.store.All(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b Post) int { return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.ID, b.ID)) })
	return all, nil
}

// Publish makes the post public at at (now or earlier: at once; later:
// scheduled), by the console user by. A letter from the recipient needs
// its consent recorded first (a *campaign.ValidationError).
func (s *Service) Publish(ctx context.Context, id string, prev int64, at time.Time, by string) (Post, error) {
	p, err := s.load(ctx, id, prev, "publish post")
	if err != nil {
		return p, err
	}
	if err := consentProblem(&p); err != nil {
		return p, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	action := audit.PostPublished
	p.State, p.PublishAt = Published, now
	if at.After(now) {
		action = audit.PostScheduled
		p.State, p.PublishAt = Scheduled, at.UTC().Truncate(time.Second)
	}
	if err := s.save(ctx, &p, prev); err != nil {
		return p, err
	}
	return p, s.audit.Record(ctx, by, action, p.Slug, p.PublishAt.Format(time.RFC3339))
}

// Unpublish takes the post back to a draft: no page shows it any more.
func (s *Service) Unpublish(ctx context.Context, id string, prev int64, by string) (Post, error) {
	p, err := s.load(ctx, id, prev, "unpublish post")
	if err != nil {
		return p, err
	}
	p.State, p.PublishAt = Draft, time.Time{}
	if err := s.save(ctx, &p, prev); err != nil {
		return p, err
	}
	return p, s.audit.Record(ctx, by, audit.PostUnpublished, p.Slug, "")
}

// SetUnlisted makes the post reachable by its link only, or listed again.
func (s *Service) SetUnlisted(ctx context.Context, id string, prev int64, unlisted bool, by string) (Post, error) {
	p, err := s.load(ctx, id, prev, "list post")
	if err != nil {
		return p, err
	}
	p.Unlisted = unlisted
	if err := s.save(ctx, &p, prev); err != nil {
		return p, err
	}
	detail := "listed"
	if unlisted {
		detail = "unlisted"
	}
	return p, s.audit.Record(ctx, by, audit.PostVisibility, p.Slug, detail)
}

// AddScan checks and re-encodes a picture (package scanimage: its errors
// say why one is refused), stores it and adds it to the post's scans.
func (s *Service) AddScan(ctx context.Context, id string, prev int64, data []byte) (Post, error) {
	p, err := s.load(ctx, id, prev, "add scan to post")
	if err != nil {
		return p, err
	}
	pic, err := s.process(ctx, data)
	if err != nil {
		return p, err
	}
	sc := Scan{ID: pic.ID, Width: pic.Width, Height: pic.Height}
	if err := s.store.PutScan(ctx, sc, pic.JPEG, s.now().UTC()); err != nil {
		return p, err
	}
	if !slices.ContainsFunc(p.Scans, func(x Scan) bool { return x.ID == sc.ID }) {
		p.Scans = append(p.Scans, sc)
	}
	return p, s.save(ctx, &p, prev)
}

// process runs scanimage.Process when no more than MaxDecoding others
// run, waiting for its turn as long as ctx lets it.
func (s *Service) process(ctx context.Context, data []byte) (scanimage.Picture, error) {
	select {
	case s.decoding <- struct{}{}:
	case <-ctx.Done():
		return scanimage.Picture{}, fmt.Errorf("wait to decode a scan: %w", ctx.Err())
	}
	defer func() { <-s.decoding }()
	return scanimage.Process(data)
}

// RemoveScan takes a scan off the post. The picture stays stored, by its
// hash, for other posts that show it; no page serves it for this one.
func (s *Service) RemoveScan(ctx context.Context, id string, prev int64, scanID string) (Post, error) {
	p, err := s.load(ctx, id, prev, "remove scan of post")
	if err != nil {
		return p, err
	}
	p.Scans = slices.DeleteFunc(p.Scans, func(x Scan) bool { return x.ID == scanID })
	return p, s.save(ctx, &p, prev)
}

// ScanJPEG returns a stored scan's JPEG.
func (s *Service) ScanJPEG(ctx context.Context, id string) ([]byte, error) {
	return s.store.ScanJPEG(ctx, id)
}
