// Package archive writes the archive an organisation hands over to a
// recipient after their release: one ZIP per recipient with every bundle
// as it was built, every greeting as it was sent (with its translation),
// each campaign's delivery log, the recipient's status and address
// history, the letters (posts) about them with their scans, and
// manifest.json, which lists every file with its SHA-256.
//
// The ZIP is written as it is read, to any io.Writer: only one campaign's
// signature rows (as a bundle build holds them) and one file at a time
// are in memory, never the ZIP. It holds nothing of a supporter beyond
// what their bundle prints: names as they chose to have them printed, no
// email addresses.
package archive

import (
	"archive/zip"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Service writes recipients' archives from the stores of the campaigns,
// their bundles, delivery logs and posts.
type Service struct {
	campaigns *campaign.Service
	bundles   *bundle.Jobs
	delivery  *delivery.Service
	posts     *posts.Service
	now       func() time.Time
}

// NewService returns the archive writer over the services.
func NewService(campaigns *campaign.Service, bundles *bundle.Jobs, dl *delivery.Service, ps *posts.Service, now func() time.Time) *Service {
	return &Service{campaigns: campaigns, bundles: bundles, delivery: dl, posts: ps, now: now}
}

// The rules manifest.json states, so that whoever reads the archive knows
// what it holds and what it leaves out.
const (
	// RuleGreetingsPosted: the delivery log records letters posted, so the
	// greetings are those printed in the bundles that were posted.
	RuleGreetingsPosted = "posted_bundles"
	// RuleGreetingsApproved: nothing is recorded as posted, so the
	// greetings are all approved ones a bundle would print now.
	RuleGreetingsApproved = "all_approved"
)

// Write writes the archive of the recipient with that ID to w and returns
// its manifest (also written into it as manifest.json). Every text meant
// to be read (README.txt, the logs in words, the tables' column heads,
// the manifest's descriptions and rules) is in l's language; file names,
// manifest.json's keys, IDs, SHA-256 sums and dates stay the same in every
// language. An unknown recipient is campaign.ErrNotFound, before anything
// is written.
func (s *Service) Write(ctx context.Context, recipientID string, l *i18n.Localizer, w io.Writer) (*Manifest, error) {
	r, err := s.campaigns.Recipient(ctx, recipientID)
	if err != nil {
		return nil, fmt.Errorf("archive of recipient %s: %w", recipientID, err)
	}
	all, err := s.campaigns.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive of recipient %s: %w", recipientID, err)
	}
	var camps []campaign.Campaign
	for _, c := range all {
		if c.RecipientID == r.ID {
			camps = append(camps, c)
		}
	}
	slices.SortFunc(camps, func(a, b campaign.Campaign) int {
		return cmp.Or(a.OpensAt.Compare(b.OpensAt), strings.Compare(a.Slug, b.Slug))
	})
	built := s.now().UTC().Truncate(time.Second)
	m := &Manifest{Recipient: r.Name, RecipientID: r.ID, Language: l.Lang(), BuildTime: built, Rules: rules(l),
		Files: []File{}, MissingBundles: []MissingBundle{}, Campaigns: []Campaign{}}
	z := &writer{zip: zip.NewWriter(w), m: m, at: built, l: l}
	if err := writeReadme(z, r); err != nil {
		return nil, err
	}
	if err := s.writeStatus(z, r); err != nil {
		return nil, err
	}
	for i := range camps {
		if err := s.writeCampaign(ctx, z, &camps[i]); err != nil {
			return nil, err
		}
	}
	ids := make(map[string]bool, len(camps))
	for _, c := range camps {
		ids[c.ID] = true
	}
	if err := s.writePosts(ctx, z, r, ids); err != nil {
		return nil, err
	}
	if err := z.manifest(); err != nil {
		return nil, err
	}
	if err := z.zip.Close(); err != nil {
		return nil, fmt.Errorf("archive of recipient %s: finish: %w", r.ID, err)
	}
	return m, nil
}

// writeCampaign writes a campaign's bundles, greetings and delivery log.
func (s *Service) writeCampaign(ctx context.Context, z *writer, c *campaign.Campaign) error {
	events, err := s.delivery.Events(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("archive of %s: %w", c.Slug, err)
	}
	jobs, err := s.bundles.All(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("archive of %s: %w", c.Slug, err)
	}
	slices.SortFunc(jobs, func(a, b bundle.Job) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	text, _ := c.TextIn(c.TextLanguage())
	entry := Campaign{ID: c.ID, Slug: c.Slug, Title: text.Title, Bundles: []string{}, SentBundles: []string{}}
	dir := "campaigns/" + fileName(c.Slug) + "/"
	for i := range jobs {
		if err := s.writeBundle(ctx, z, c, dir, &jobs[i], &entry); err != nil {
			return err
		}
	}
	sent := sentBundles(c, events, jobs)
	scope, lang := bundle.Scope{Cutoff: z.at}, c.TextLanguage()
	entry.GreetingsRule = RuleGreetingsApproved
	if len(sent) > 0 {
		entry.GreetingsRule = RuleGreetingsPosted
		latest := sent[0]
		for _, j := range sent {
			entry.SentBundles = append(entry.SentBundles, j.ID)
			if j.Cutoff.IsZero() || (!latest.Cutoff.IsZero() && j.Cutoff.After(latest.Cutoff)) {
				latest = j
			}
		}
		scope, lang = latest.Scope, latest.Options.Lang
	}
	n, err := s.writeGreetings(ctx, z, c, dir, scope, lang)
	if err != nil {
		return err
	}
	entry.Greetings = n
	if err := writeDelivery(z, c, dir, events); err != nil {
		return err
	}
	z.m.Campaigns = append(z.m.Campaigns, entry)
	return nil
}

// sentBundles returns the bundles the delivery log says were sent: none
// when nothing is recorded as posted; else those a "built" event names,
// or, when none does, the finished ones asked for by the last day posted.
func sentBundles(c *campaign.Campaign, events []delivery.Event, jobs []bundle.Job) []bundle.Job {
	lastPosted := ""
	named := map[string]bool{}
	for _, e := range events {
		switch e.Kind {
		case delivery.KindPosted:
			lastPosted = max(lastPosted, e.Day)
		case delivery.KindBuilt:
			named[e.Bundle] = true
		}
	}
	if lastPosted == "" {
		return nil
	}
	var out []bundle.Job
	for _, j := range jobs {
		if named[j.ID] && j.Status != bundle.StatusQueued && j.Status != bundle.StatusRunning && j.Status != bundle.StatusFailed {
			out = append(out, j)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, j := range jobs {
		if j.Status == bundle.StatusDone && j.CreatedAt.In(c.Location()).Format(time.DateOnly) <= lastPosted {
			out = append(out, j)
		}
	}
	return out
}

// Bundle statuses of manifest.json's missing_bundles.
const (
	MissingGone     = "missing"  // the stored file is gone
	MissingMismatch = "mismatch" // the stored file does not match its SHA-256
	MissingErased   = "replaced" // deleted because a signature in it was erased
)

// writeBundle copies a built bundle's stored archive into the ZIP, after
// checking it against its SHA-256; one that is gone or does not match is
// listed as missing.
func (s *Service) writeBundle(ctx context.Context, z *writer, c *campaign.Campaign, dir string, job *bundle.Job, entry *Campaign) error {
	miss := func(status, reason string) {
		z.m.MissingBundles = append(z.m.MissingBundles, MissingBundle{Campaign: c.Slug, Bundle: job.ID, SHA256: job.SHA256,
			Status: status, Reason: z.l.T(reason), ReplacedBy: job.ReplacedBy})
	}
	switch job.Status {
	case bundle.StatusReplaced, bundle.StatusDiscarded:
		miss(MissingErased, "archive.zip.missing.replaced")
		return nil
	case bundle.StatusDone:
	default:
		return nil // not built
	}
	// First read: the SHA-256 of what is stored, before anything of it
	// goes into the ZIP, which cannot take a file back.
	sum, err := s.bundleSum(ctx, job)
	if gone(err) {
		miss(MissingGone, "archive.zip.missing.gone")
		return nil
	}
	if err != nil {
		miss(MissingMismatch, "archive.zip.missing.unreadable")
		return nil // listed in the manifest instead
	}
	if sum != job.SHA256 {
		miss(MissingMismatch, "archive.zip.missing.mismatch")
		return nil
	}
	rc, err := s.bundles.Open(ctx, job)
	if err != nil {
		return fmt.Errorf("archive bundle %s: %w", job.ID, err)
	}
	defer rc.Close()
	name := dir + "bundles/bundle-" + job.CreatedAt.In(c.Location()).Format("2006-01-02") + "-" + job.ID + ".zip"
	what := z.l.T("archive.zip.what.bundle", "Date", z.l.Date(job.CreatedAt.In(c.Location())), "Lang", job.Options.Lang,
		"Layout", job.Options.Layout, "Pages", z.l.Number(int64(job.Pages)), "Envelopes", z.l.Number(int64(job.TotalEnvelopes)))
	f, err := z.create(name, what, zip.Store) // already compressed
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		return fmt.Errorf("archive bundle %s: %w", job.ID, err)
	}
	if got := f.sum(); got != job.SHA256 {
		return fmt.Errorf("archive bundle %s: stored file changed while copied (sha256 %s, want %s)", job.ID, got, job.SHA256)
	}
	entry.Bundles = append(entry.Bundles, job.ID)
	return f.close()
}

// bundleSum reads a stored bundle through and returns its SHA-256.
func (s *Service) bundleSum(ctx context.Context, job *bundle.Job) (string, error) {
	rc, err := s.bundles.Open(ctx, job)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("read bundle %s: %w", job.ID, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// gone reports whether err says that a stored file does not exist.
func gone(err error) bool {
	return errors.Is(err, bundle.ErrNotFound) || errors.Is(err, errFileNotFound) || errors.Is(err, errMissingChunk)
}

// writer adds files to the ZIP and to the manifest.
type writer struct {
	zip *zip.Writer
	m   *Manifest
	at  time.Time
	// l words every text meant to be read.
	l *i18n.Localizer
}

// file is one file being written: its bytes are counted and hashed on the
// way into the ZIP.
type file struct {
	w    io.Writer
	h    hash.Hash
	n    int64
	done func(size int64, sum string)
}

func (f *file) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.h.Write(p[:n])
	f.n += int64(n)
	return n, err
}

func (f *file) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// close records the file in the manifest.
func (f *file) close() error {
	f.done(f.n, f.sum())
	return nil
}

// create starts a file of the ZIP, described in the manifest by what.
func (z *writer) create(name, what string, method uint16) (*file, error) {
	w, err := z.zip.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: z.at})
	if err != nil {
		return nil, fmt.Errorf("archive: add %s: %w", name, err)
	}
	return &file{w: w, h: sha256.New(), done: func(size int64, sum string) {
		z.m.Files = append(z.m.Files, File{Name: name, SHA256: sum, Size: size, What: what})
	}}, nil
}

// fileName makes s safe as one part of a path in the ZIP.
func fileName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(s, ".-")
	if s == "" {
		return "unnamed"
	}
	return s
}
