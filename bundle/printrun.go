package bundle

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/pdf"
)

// A print run builds every bundle of a drive, one per recipient, into one
// ZIP archive with a manifest. It is a job like a bundle's: claimed by one
// worker under a lease, and taken over by another when that worker dies.
// Each recipient's bundle is stored as a part of the run as soon as it is
// built, so that a run taken over goes on from the first recipient
// without a part, and the archive is put together from the parts at the
// end: at no time are more than one recipient's cards or bundle in memory.

// PrintRun is one print run of a drive.
type PrintRun struct {
	ID         string `bson:"_id"`
	CampaignID string `bson:"campaign_id"`
	// Options are the layout, paper and sheets of every bundle; each
	// prints in its recipient's language (see DefaultLanguage).
	Options Options `bson:"options"`
	// Cutoff is when the run was asked for: it holds the cards signed by
	// then, and prints the addresses and situations of that day.
	Cutoff time.Time `bson:"cutoff"`
	// Recipients are the drive's recipients when the run was asked for,
	// in the drive's order, which is the archive's.
	Recipients []string  `bson:"recipients"`
	Status     Status    `bson:"status"`
	Attempt    int       `bson:"attempt"`
	CreatedBy  string    `bson:"created_by"`
	CreatedAt  time.Time `bson:"created_at"`
	StartedAt  time.Time `bson:"started_at,omitempty"`
	FinishedAt time.Time `bson:"finished_at,omitempty"`
	LeaseUntil time.Time `bson:"lease_until,omitempty"`
	// Done is how many recipients have their part.
	Done int `bson:"done"`
	// Bundles, Cards and Pages are what the finished archive holds.
	Bundles int `bson:"bundles"`
	Cards   int `bson:"cards"`
	Pages   int `bson:"pages"`
	// FileID is the GridFS file of the finished archive, sealed under
	// KeyID.
	FileID bson.ObjectID `bson:"file_id,omitempty"`
	KeyID  string        `bson:"key_id,omitempty"`
	Size   int64         `bson:"size"`
	SHA256 string        `bson:"sha256,omitempty"`
	Error  string        `bson:"error,omitempty"`
}

// Percent is how far the run has come, 0 to 100.
func (r *PrintRun) Percent() int {
	switch {
	case r.Status == StatusDone:
		return 100
	case len(r.Recipients) == 0:
		return 0
	}
	// The last step, putting the archive together, is the last percent.
	return min(r.Done*100/len(r.Recipients), 99)
}

// Outcome is what a print run did for one recipient.
type Outcome string

// The outcomes of a recipient in a print run.
const (
	OutcomeBuilt    Outcome = "built"    // a bundle of their cards
	OutcomeNoCards  Outcome = "no_cards" // no approved card: no bundle
	OutcomeReleased Outcome = "released" // released by the run's day: no bundle
	OutcomeDeceased Outcome = "deceased" // died by the run's day: no bundle
)

// Part is the stored outcome of one recipient of a print run.
type Part struct {
	ID        string  `bson:"_id"` // run ID "/" recipient ID
	Run       string  `bson:"run"`
	Recipient string  `bson:"recipient"`
	Outcome   Outcome `bson:"outcome"`
	Lang      string  `bson:"lang,omitempty"`
	Cards     int     `bson:"cards"`
	Pages     int     `bson:"pages"`
	// Chunks is how many documents of collection print_chunks hold the
	// recipient's bundle (a ZIP, see pdf.Render), sealed under KeyID;
	// Size and SHA256 are of the bundle as it goes into the run's archive.
	Chunks  int       `bson:"chunks"`
	KeyID   string    `bson:"key_id,omitempty"`
	Size    int64     `bson:"size"`
	SHA256  string    `bson:"sha256,omitempty"`
	Attempt int       `bson:"attempt"`
	BuiltAt time.Time `bson:"built_at"`
}

func partID(run, recipient string) string { return run + "/" + recipient }

// partAAD and runAAD bind a stored file to its part or run.
func partAAD(id string) []byte { return seal.AAD("print_parts", id) }
func runAAD(id string) []byte  { return seal.AAD("print_runs", id) }

// ErrNotDrive is returned for a print run of a campaign that is not a
// drive.
var ErrNotDrive = errors.New("not a drive")

// errLost means the run was taken over by another worker meanwhile.
var errLost = errors.New("print run taken over")

// errDiscarded means the run was discarded (an erasure) while it ran.
var errDiscarded = errors.New("print run discarded")

// PrintRuns queues and runs print runs.
type PrintRuns struct {
	store   *runStore
	builder *Builder
	audit   Recorder
	now     func() time.Time
	log     *slog.Logger
	keys    *seal.Keyring
	leasing
	// afterPart, when set (tests), is called after each recipient's part
	// is stored, with how many are, in the run's context.
	afterPart func(ctx context.Context, done int)
	// observe is told how long each run took (SetObserver).
	observe Observer
}

// SetObserver sets who is told how long each print run takes; call it
// before Work.
func (p *PrintRuns) SetObserver(o Observer) { p.observe = o }

// NewPrintRuns returns the print run queue of db; stored bundles and
// archives are sealed with keys.
func NewPrintRuns(db *mongo.Database, keys *seal.Keyring, builder *Builder, audit Recorder, now func() time.Time, log *slog.Logger) *PrintRuns {
	return &PrintRuns{store: newRunStore(db), builder: builder, audit: audit, now: now, log: log, keys: keys, leasing: defaultLeasing()}
}

// Enqueue asks for a print run of the drive c; a worker builds it.
func (p *PrintRuns) Enqueue(ctx context.Context, c *campaign.Campaign, opts Options, by string) (*PrintRun, error) {
	if !c.IsDrive() {
		return nil, fmt.Errorf("print run of %s: %w", c.Slug, ErrNotDrive)
	}
	opts.Recipient = ""
	if err := opts.Validate(p.builder.messages); err != nil {
		return nil, err
	}
	now := p.now().UTC().Truncate(time.Millisecond)
	run := &PrintRun{ID: newJobID(), CampaignID: c.ID, Options: opts, Cutoff: now, Recipients: c.Recipients(),
		Status: StatusQueued, CreatedBy: by, CreatedAt: now}
	if run.Recipients == nil {
		run.Recipients = []string{}
	}
	if err := p.store.insert(ctx, run); err != nil {
		return nil, fmt.Errorf("queue print run of %s: %w", c.Slug, err)
	}
	return run, nil
}

// Run returns the print run with that ID.
func (p *PrintRuns) Run(ctx context.Context, id string) (*PrintRun, error) {
	return p.store.run(ctx, id)
}

// ForCampaign returns a drive's print runs, newest first.
func (p *PrintRuns) ForCampaign(ctx context.Context, campaignID string) ([]PrintRun, error) {
	return p.store.recent(ctx, campaignID, 10)
}

// Parts returns the stored parts of a run, in its recipients' order;
// recipients without a part yet are left out.
func (p *PrintRuns) Parts(ctx context.Context, run *PrintRun) ([]Part, error) {
	var out []Part
	for _, id := range run.Recipients {
		part, err := p.store.part(ctx, partID(run.ID, id))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *part)
	}
	return out, nil
}

// Open returns the finished archive of a run.
func (p *PrintRuns) Open(ctx context.Context, run *PrintRun) (io.ReadCloser, error) {
	if run.Status != StatusDone {
		return nil, fmt.Errorf("print run %s is %s: %w", run.ID, run.Status, ErrNotFound)
	}
	return p.openSealed(ctx, run.FileID, runAAD(run.ID))
}

func (p *PrintRuns) openSealed(ctx context.Context, id bson.ObjectID, aad []byte) (io.ReadCloser, error) {
	s, err := p.store.files.OpenDownloadStream(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open stored print file %s: %w", id.Hex(), err)
	}
	r, err := p.keys.NewReader(s, aad)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open stored print file %s: %w", id.Hex(), err), s.Close())
	}
	return struct {
		io.Reader
		io.Closer
	}{r, s}, nil
}

// Work builds queued runs, one at a time, until ctx ends. A run whose
// worker died (its lease ran out) is taken over where it stopped.
func (p *PrintRuns) Work(ctx context.Context) error {
	return work(ctx, p.RunOnce, func(err error) { p.log.Error("claim print run", "error", err) })
}

// RunOnce builds the next run, if there is one, and reports whether there
// was. A failed run is recorded on it, not returned. The run's lease is
// renewed while it is built, whatever the step (reading the drive's cards,
// a recipient's bundle, the archive); a run taken over by another worker
// meanwhile stops.
func (p *PrintRuns) RunOnce(ctx context.Context) (bool, error) {
	run, err := p.claim(ctx)
	if err != nil || run == nil {
		return false, err
	}
	start := time.Now()
	work, stop := p.keep(ctx, p.log, "print run", run.ID, func(ctx context.Context) (bool, error) {
		return p.store.renew(ctx, run, p.now().UTC().Add(p.lease))
	})
	err = p.build(work, run)
	stopped, lost := work.Err() != nil, claim.Lost(work)
	stop()
	if p.observe != nil && !stopped && !errors.Is(err, errLost) {
		oerr := err
		if errors.Is(err, errDiscarded) {
			oerr = nil // an erasure discarded it: not a failure
		}
		p.observe("print_run", time.Since(start), oerr)
	}
	if lost {
		p.log.Warn("print run taken over by another worker: this worker stopped", "run", run.ID)
	}
	if err == nil || stopped || errors.Is(err, errLost) || errors.Is(err, errDiscarded) {
		return true, nil // a stopped run is taken over when its lease runs out
	}
	p.log.Error("print run failed", "run", run.ID, "error", err)
	if uerr := p.store.fail(context.WithoutCancel(ctx), run, err.Error(), p.now().UTC()); uerr != nil {
		p.log.Error("record failed print run", "run", run.ID, "error", uerr)
	}
	return true, nil
}

func (p *PrintRuns) claim(ctx context.Context) (*PrintRun, error) {
	for range 8 {
		run, err := p.store.claim(ctx, p.now().UTC(), p.lease)
		if err != nil || run == nil {
			return nil, err
		}
		won, err := p.store.own(ctx, run)
		if err != nil {
			return nil, err
		}
		if won {
			return run, nil
		}
	}
	return nil, nil
}

// cards is the drive's index a run works from: the rows of its approved
// cards by recipient, in signing order. Rows are small (no greeting text),
// as a letter's bundle holds them; the greetings are read by _id one
// recipient at a time.
func (p *PrintRuns) cards(ctx context.Context, c *campaign.Campaign, scope Scope) (map[string][]row, error) {
	b := p.builder
	d := &data{countries: map[string]bool{}}
	in, err := b.readRows(ctx, c, scope, "", d)
	if err != nil {
		return nil, err
	}
	printed := make(map[string]bool)
	err = b.eachPrintedGreeting(ctx, c, in, func(g *letters.Greeting) error {
		printed[g.ID] = true
		return nil
	}, func() {})
	if err != nil {
		return nil, err
	}
	out := map[string][]row{}
	for _, r := range d.rows {
		if printed[r.id] {
			out[r.to] = append(out[r.to], r)
		}
	}
	return out, nil
}

func (p *PrintRuns) build(ctx context.Context, run *PrintRun) error {
	c, err := p.builder.campaigns.Campaign(ctx, run.CampaignID)
	if err != nil {
		return err
	}
	scope := Scope{Cutoff: run.Cutoff}
	var index map[string][]row // read once, when a part is missing
	day := run.Cutoff.In(c.Location()).Format(time.DateOnly)
	for i, rid := range run.Recipients {
		if _, err := p.store.part(ctx, partID(run.ID, rid)); err == nil {
			continue // built before a restart
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if index == nil {
			if index, err = p.cards(ctx, c, scope); err != nil {
				return err
			}
		}
		if err := p.buildPart(ctx, run, c, rid, day, index[rid]); err != nil {
			return err
		}
		delete(index, rid)
		if err := p.store.progress(ctx, run, i+1, p.now().UTC().Add(p.lease)); err != nil {
			return err
		}
		if p.afterPart != nil {
			p.afterPart(ctx, i+1)
		}
	}
	return p.assemble(ctx, run, c, day)
}

// buildPart builds and stores the part of recipient rid, whose cards are
// rows.
func (p *PrintRuns) buildPart(ctx context.Context, run *PrintRun, c *campaign.Campaign, rid, day string, rows []row) error {
	b := p.builder
	r, err := b.campaigns.Recipient(ctx, rid)
	if err != nil {
		return fmt.Errorf("print run %s: %w", run.ID, err)
	}
	part := &Part{ID: partID(run.ID, rid), Run: run.ID, Recipient: rid, Attempt: run.Attempt, BuiltAt: p.now().UTC()}
	ch, ok := r.StatusOn(day)
	switch {
	case ok && ch.Situation == campaign.SituationReleased:
		part.Outcome = OutcomeReleased
	case ok && ch.Situation == campaign.SituationDeceased:
		part.Outcome = OutcomeDeceased
	}
	d := &data{countries: map[string]bool{}}
	if part.Outcome == "" {
		// The recipient's cards, as they stand now: one moderated since the
		// index was read prints only while still approved.
		for _, row := range rows {
			g, err := b.greetings.Greeting(ctx, row.id)
			if errors.Is(err, letters.ErrNotFound) {
				continue // erased meanwhile
			}
			if err != nil {
				return err
			}
			if g.Status != letters.StatusApproved || (g.NeedsTranslation && !g.Translation.Approved()) {
				continue
			}
			d.rows = append(d.rows, row)
			d.greetings = append(d.greetings, *g)
			d.countries[row.country] = true
		}
		part.Outcome = OutcomeNoCards
	}
	if len(d.rows) > 0 {
		part.Outcome = OutcomeBuilt
		if err := p.renderPart(ctx, run, c, r, d, part); err != nil {
			return err
		}
	}
	won, err := p.store.insertPart(ctx, part)
	if err != nil || !won {
		// Another worker stored it first: this one's bundle goes.
		return errors.Join(err, p.store.dropChunks(context.WithoutCancel(ctx), part.ID, part.Attempt, part.Chunks))
	}
	return nil
}

// renderPart renders the bundle of d to r into GridFS and records it in
// part.
func (p *PrintRuns) renderPart(ctx context.Context, run *PrintRun, c *campaign.Campaign, r *campaign.Recipient, d *data, part *Part) error {
	b := p.builder
	sortGreetings(d)
	opts := run.Options
	opts.Recipient = r.ID
	opts.Lang = DefaultLanguage(c, r, b.messages)
	if err := opts.Validate(b.messages); err != nil {
		// The original's language has no fixed texts: English ones.
		opts.Lang = "en"
	}
	up := p.store.newChunkWriter(ctx, part.ID, part.Attempt)
	w, err := p.keys.NewWriter(up, partAAD(part.ID))
	if err != nil {
		return err
	}
	progress := func(pdf.Progress) {
		// A long bundle keeps the lease; a failed write only risks a takeover.
		_, _ = p.store.renew(ctx, run, p.now().UTC().Add(p.lease))
	}
	m, err := b.render(ctx, c, opts, Scope{Cutoff: run.Cutoff}, r, d, w, progress)
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = up.Close()
	}
	if err != nil {
		return errors.Join(err, up.abort(context.WithoutCancel(ctx)))
	}
	part.Chunks = up.n
	part.KeyID = p.keys.Active()
	part.Lang, part.Cards, part.Pages, part.Size, part.SHA256 = opts.Lang, len(d.greetings), m.Pages, m.Size, m.SHA256
	return nil
}

// sortGreetings puts d's greetings in the order a bundle prints them.
func sortGreetings(d *data) {
	byID := make(map[string]int, len(d.rows))
	for i, r := range d.rows {
		byID[r.id] = i
	}
	// The rows are in signing order and each has its one greeting.
	sorted := make([]letters.Greeting, len(d.greetings))
	for _, g := range d.greetings {
		sorted[byID[g.ID]] = g
	}
	d.greetings = sorted
}

// ManifestHeader is the first row of a print run's manifest.csv.
var ManifestHeader = []string{"number", "recipient", "address", "country", "outcome", "cards", "file", "pages", "sha256"}

// assemble writes the run's archive from its parts, stores it and
// finishes the run.
func (p *PrintRuns) assemble(ctx context.Context, run *PrintRun, c *campaign.Campaign, day string) error {
	up, err := p.store.files.OpenUploadStream(ctx, "printrun-"+c.Slug+".zip")
	if err != nil {
		return fmt.Errorf("store print run %s: %w", run.ID, err)
	}
	sw, err := p.keys.NewWriter(up, runAAD(run.ID))
	if err != nil {
		return errors.Join(err, up.Abort())
	}
	sum := sha256.New()
	counted := &countWriter{w: io.MultiWriter(sw, sum)}
	totals, err := p.writeArchive(ctx, run, day, counted)
	if err == nil {
		err = sw.Close()
	}
	if err != nil {
		return errors.Join(err, up.Abort())
	}
	if err := up.Close(); err != nil {
		return fmt.Errorf("store print run %s: %w", run.ID, err)
	}
	totals.FileID, totals.KeyID = archiveID(up), p.keys.Active()
	totals.Size, totals.SHA256 = counted.n, hex.EncodeToString(sum.Sum(nil))
	finished, err := p.store.finish(ctx, run, p.now().UTC(), totals)
	if err != nil || !finished {
		return errors.Join(err, errDiscarded, p.store.dropFile(context.WithoutCancel(ctx), totals.FileID))
	}
	// The parts' bundles are in the archive now.
	for _, rid := range run.Recipients {
		part, err := p.store.part(ctx, partID(run.ID, rid))
		if err == nil && part.Chunks > 0 {
			if err := p.store.dropChunks(ctx, part.ID, part.Attempt, part.Chunks); err != nil {
				p.log.Warn("delete print part", "run", run.ID, "error", err)
			}
		}
	}
	detail := fmt.Sprintf("print run: %d bundles, %d cards, %d pages, sha256 %s", totals.Bundles, totals.Cards, totals.Pages, totals.SHA256)
	return p.audit.Record(ctx, run.CreatedBy, audit.BundleBuilt, c.Slug, detail)
}

// writeArchive writes the ZIP of the run's parts to w, one recipient's
// bundle in memory at a time, and returns its totals.
func (p *PrintRuns) writeArchive(ctx context.Context, run *PrintRun, day string, w io.Writer) (*PrintRun, error) {
	zw := zip.NewWriter(w)
	totals := &PrintRun{}
	var manifest bytes.Buffer
	mw := csv.NewWriter(&manifest)
	_ = mw.Write(ManifestHeader)
	modified := run.Cutoff
	for i, rid := range run.Recipients {
		part, err := p.store.part(ctx, partID(run.ID, rid))
		if err != nil {
			return nil, fmt.Errorf("print run %s: part of %s: %w", run.ID, rid, err)
		}
		r, err := p.builder.campaigns.Recipient(ctx, rid)
		if err != nil {
			return nil, fmt.Errorf("print run %s: %w", run.ID, err)
		}
		file := ""
		if part.Outcome == OutcomeBuilt {
			file = fmt.Sprintf("%03d-%s.zip", i+1, cmp.Or(campaign.Slugify(r.Name), "recipient"))
			if err := p.copyPart(ctx, zw, part, file, modified); err != nil {
				return nil, err
			}
			totals.Bundles++
			totals.Cards += part.Cards
			totals.Pages += part.Pages
		}
		_ = mw.Write([]string{strconv.Itoa(i + 1), r.Name, strings.Join(r.AddressOn(day), ", "), r.Country,
			string(part.Outcome), strconv.Itoa(part.Cards), file, strconv.Itoa(part.Pages), part.SHA256})
	}
	mw.Flush()
	if err := mw.Error(); err != nil {
		return nil, err
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.csv", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(manifest.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write print run %s: %w", run.ID, err)
	}
	return totals, nil
}

// copyPart copies a part's bundle into zw as file, checking it is the
// bundle that was built.
func (p *PrintRuns) copyPart(ctx context.Context, zw *zip.Writer, part *Part, file string, modified time.Time) error {
	r, err := p.keys.NewReader(p.store.openChunks(ctx, part), partAAD(part.ID))
	if err != nil {
		return fmt.Errorf("open print part %s: %w", part.ID, err)
	}
	// A bundle is already compressed: stored as it is.
	f, err := zw.CreateHeader(&zip.FileHeader{Name: file, Method: zip.Store, Modified: modified})
	if err != nil {
		return err
	}
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, sum), r); err != nil {
		return fmt.Errorf("copy print part %s: %w", part.ID, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != part.SHA256 {
		return fmt.Errorf("print part %s: sha256 %s, built as %s", part.ID, got, part.SHA256)
	}
	return nil
}

// countWriter counts what goes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Counts returns how many approved cards of the drive c each recipient
// would get in a bundle asked for now. It reads every card of the drive.
func (p *PrintRuns) Counts(ctx context.Context, c *campaign.Campaign) (map[string]int, error) {
	index, err := p.cards(ctx, c, Scope{Cutoff: p.now().UTC()})
	if err != nil {
		return nil, fmt.Errorf("cards of %s: %w", c.Slug, err)
	}
	out := make(map[string]int, len(index))
	for id, rows := range index {
		out[id] = len(rows)
	}
	return out, nil
}
