package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/pdf"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// fixture is one campaign with its stores, a job queue and a test clock.
type fixture struct {
	db        *mongo.Database
	clock     *testclock.Clock
	svc       *campaign.Service
	greetings *letters.Store
	log       *audit.Log
	jobs      *Jobs
	c         *campaign.Campaign
	signed    int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := dbs.Database(t)
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	store := campaign.NewStore(db, testdb.Keys(t))
	greetings := letters.NewStore(db, testdb.Keys(t))
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := greetings.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureDecoys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := greetings.EnsureDecoys(ctx); err != nil {
		t.Fatal(err)
	}
	svc := campaign.NewService(store, letters.NewService(greetings, store, clk.Now), []byte("0123456789abcdef0123456789abcdef"), clk.Now)
	log := audit.NewLog(db, testdb.Keys(t), clk.Now)
	f := &fixture{db: db, clock: clk, svc: svc, greetings: greetings, log: log,
		jobs: NewJobs(db, testdb.Keys(t), NewBuilder(svc, greetings, testMessages(t)), log, clk.Now, slog.New(slog.DiscardHandler))}
	closes, err := campaign.Deadline("2027-07-12", "Europe/Minsk")
	if err != nil {
		t.Fatal(err)
	}
	r := campaign.Recipient{ID: "r-ales", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
	if err := store.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	f.c = &campaign.Campaign{ID: "c-ales", Slug: "ales", Title: "Letters to Ales", Letter: "Dear Ales,\n\nYou are not forgotten.",
		OrganizerName: "Test NGO", RecipientID: r.ID, OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: closes,
		TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := store.CreateCampaign(ctx, f.c); err != nil {
		t.Fatal(err)
	}
	return f
}

// sign stores a signature with an approved greeting, signed now, and moves
// the clock on a minute.
func (f *fixture) sign(t *testing.T, name string) campaign.Signature {
	t.Helper()
	ctx := context.Background()
	f.signed++
	sig := campaign.Signature{ID: fmt.Sprintf("sig-%03d", f.signed), SignedAt: f.clock.Now(), Source: campaign.SourceWeb, HasGreeting: true,
		Person: campaign.Person{Name: name, City: "Vilnius", Country: "LT"}}
	if _, err := f.svc.AddSignatures(ctx, f.c.ID, []campaign.Signature{sig}); err != nil {
		t.Fatal(err)
	}
	g := letters.Greeting{ID: sig.ID, CampaignID: f.c.ID, Text: "Greetings from " + name, Status: letters.StatusApproved,
		CreatedAt: sig.SignedAt, Checked: true}
	if err := f.greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	return sig
}

// enqueue asks for a bundle now and moves the clock on a minute.
func (f *fixture) enqueue(t *testing.T, opts Options) *Job {
	t.Helper()
	job, err := f.jobs.Enqueue(context.Background(), f.c, opts, "organizer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute)
	return job
}

// runAll builds every job there is to build.
func (f *fixture) runAll(t *testing.T) {
	t.Helper()
	for range 20 {
		ran, err := f.jobs.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return
		}
	}
	t.Fatal("the jobs never ran out")
}

func (f *fixture) job(t *testing.T, id string) *Job {
	t.Helper()
	job, err := f.jobs.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// erase erases sig through the job queue and returns how many bundles are
// rebuilt.
func (f *fixture) erase(t *testing.T, sig campaign.Signature) int {
	t.Helper()
	n, err := f.jobs.Erase(context.Background(), f.c.ID, sig.SignedAt, "organizer@example.org", func(ctx context.Context) error {
		return f.svc.EraseSignature(ctx, f.c.ID, sig.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// successor returns the job that rebuilds the replaced job id.
func (f *fixture) successor(t *testing.T, id string) *Job {
	t.Helper()
	old := f.job(t, id)
	if old.Status != StatusReplaced || old.ReplacedBy == "" {
		t.Fatalf("job %s is %s, not replaced", id, old.Status)
	}
	return f.job(t, old.ReplacedBy)
}

// fileExists reports whether GridFS still has the archive.
func (f *fixture) fileExists(t *testing.T, id bson.ObjectID) bool {
	t.Helper()
	n, err := f.db.Collection("bundles.files").CountDocuments(context.Background(), bson.M{"_id": id})
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// storedFiles counts the archives in GridFS.
func (f *fixture) storedFiles(t *testing.T) int64 {
	t.Helper()
	n, err := f.db.Collection("bundles.files").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// text is the printed text of a finished bundle's letters, or false
// without pdftotext (an error on CI).
func (f *fixture) text(t *testing.T, job *Job) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Error("pdftotext is missing on CI")
		}
		return "", false
	}
	r, err := f.jobs.Open(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	dir := t.TempDir()
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "letter-") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, zf.Name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		txt, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		out.Write(txt)
	}
	return out.String(), true
}

// dated returns the lines of text that carry a year.
func dated(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "2027") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

func (f *fixture) auditEntries(t *testing.T, action audit.Action) []audit.Entry {
	t.Helper()
	all, _, err := f.log.Page(context.Background(), audit.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// The builder prints only what was signed at or before the cut-off, the
// greetings of those signatures and the paper counts of the scope, and the
// same scope gives the same bytes.
func TestBuildHoldsWhatItsScopeHolds(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	b := NewBuilder(f.svc, f.greetings, testMessages(t))
	anna := f.sign(t, "Anna Nowak")
	jan := f.sign(t, "Jan Kowalski")
	ola := f.sign(t, "Ola Zielińska")
	if _, err := f.svc.AddPaperTally(ctx, f.c, campaign.PaperTallyInput{Country: "DE", Count: "5"}); err != nil {
		t.Fatal(err)
	}
	scope, err := b.ScopeAt(ctx, f.c.ID, jan.SignedAt)
	if err != nil {
		t.Fatal(err)
	}
	// Counted on paper after the scope was taken: not in it.
	if _, err := f.svc.AddPaperTally(ctx, f.c, campaign.PaperTallyInput{Country: "FR", Count: "7"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		signedAt time.Time
		want     bool
	}{{anna.SignedAt, true}, {jan.SignedAt, true}, {ola.SignedAt, false}} {
		if got := scope.Contains(tc.signedAt); got != tc.want {
			t.Errorf("Contains(%v) = %v, want %v", tc.signedAt, got, tc.want)
		}
	}
	if got, want := scope.Tallies, []Tally{{Country: "DE", Count: 5}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tallies of the scope = %v, want %v", got, want)
	}
	build := func() (pdf.Manifest, []byte) {
		var buf bytes.Buffer
		m, err := b.Build(ctx, f.c, Options{}, scope, &buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, buf.Bytes()
	}
	m, first := build()
	if m.Signatures != 2 || m.Greetings != 2 {
		t.Errorf("printed %d signatures and %d greetings, want 2 and 2", m.Signatures, m.Greetings)
	}
	if _, again := build(); !bytes.Equal(first, again) {
		t.Error("the same scope built twice gives different bytes")
	}
	if _, err := b.Build(ctx, f.c, Options{}, Scope{}, io.Discard, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("a build without a cut-off: %v, want ErrInvalid", err)
	}

	// Through a job: the cut-off is when it was asked for.
	job := f.enqueue(t, Options{})
	late := f.sign(t, "Late Signer")
	if _, err := f.svc.AddPaperTally(ctx, f.c, campaign.PaperTallyInput{Country: "IT", Count: "9"}); err != nil {
		t.Fatal(err)
	}
	f.runAll(t)
	done := f.job(t, job.ID)
	if done.Status != StatusDone || !done.Contains(ola.SignedAt) || done.Contains(late.SignedAt) {
		t.Fatalf("job %s, cut-off %v", done.Status, done.Cutoff)
	}
	if text, ok := f.text(t, done); ok {
		for _, name := range []string{"Anna Nowak", "Jan Kowalski", "Ola Zielińska"} {
			if !strings.Contains(text, name) {
				t.Errorf("the bundle lacks %q", name)
			}
		}
		if strings.Contains(text, "Late Signer") {
			t.Error("the bundle holds a signature signed after its cut-off")
		}
		// 3 named and 5+7 on paper; the 9 counted after the cut-off are
		// not, nor is Italy.
		if !strings.Contains(text, "Signed by 15 people from 3 countries.") {
			t.Errorf("the cover does not count 15 people from 3 countries:\n%s", text)
		}
	}
}

// An erasure rebuilds exactly the bundles whose cut-off is not before the
// signature, with their options and scope, and leaves the others alone.
func TestEraseRebuildsOnlyTheBundlesThatHoldIt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.translate(t, beText)
	anna := f.sign(t, "Anna Nowak")
	f.sign(t, "Jan Kowalski")
	before := f.enqueue(t, Options{Layout: pdf.LayoutList, Paper: pdf.A4, Lang: "en"})
	erika := f.sign(t, "Erika Mustermann")
	after := f.enqueue(t, Options{Layout: pdf.LayoutPostcards, Paper: pdf.Letter, MaxSheets: 3, Lang: "be"})
	f.runAll(t)
	old1, old2 := f.job(t, before.ID), f.job(t, after.ID)
	if old1.Status != StatusDone || old2.Status != StatusDone {
		t.Fatalf("built: %s, %s", old1.Status, old2.Status)
	}
	oldText, _ := f.text(t, old2)
	// Days later, after the campaign closed.
	f.clock.Add(60 * 24 * time.Hour)

	if n := f.erase(t, erika); n != 1 {
		t.Errorf("Erase = %d bundles rebuilt, want 1", n)
	}
	// The bundle from before she signed is untouched.
	if got := f.job(t, before.ID); got.Status != StatusDone || got.FileID != old1.FileID || got.SHA256 != old1.SHA256 {
		t.Errorf("the bundle from before: %s, file %v, sha %s; want done, %v, %s", got.Status, got.FileID, got.SHA256, old1.FileID, old1.SHA256)
	}
	if !f.fileExists(t, old1.FileID) {
		t.Error("the archive of the bundle from before is gone")
	}
	// The one after lost its archive at once and is built again.
	if f.fileExists(t, old2.FileID) {
		t.Error("the archive that holds the erased name is still in GridFS")
	}
	next := f.successor(t, after.ID)
	if next.Replaces != after.ID || next.ReplacesSHA256 != old2.SHA256 || next.Options != old2.Options ||
		!next.Cutoff.Equal(old2.Cutoff) || fmt.Sprint(next.Tallies) != fmt.Sprint(old2.Tallies) || next.Status != StatusQueued || next.Holds != 0 {
		t.Errorf("the rebuild job: %+v\nreplaces %+v", next, old2)
	}
	f.runAll(t)
	next = f.job(t, next.ID)
	if next.Status != StatusDone || next.SHA256 == "" || next.SHA256 == old2.SHA256 {
		t.Fatalf("rebuilt: %s, sha %s (old %s)", next.Status, next.SHA256, old2.SHA256)
	}
	if text, ok := f.text(t, next); ok {
		if strings.Contains(text, "Erika") || strings.Contains(text, "Mustermann") {
			t.Error("the rebuilt bundle holds the erased name")
		}
		if !strings.Contains(text, "Anna Nowak") || !strings.Contains(text, "Jan Kowalski") {
			t.Error("the rebuilt bundle lost the other signatures")
		}
		// The same letter, dated as before, one signature fewer.
		if got, want := dated(text), dated(oldText); got != want || want == "" {
			t.Errorf("the rebuilt bundle is dated %q, the old one %q", got, want)
		}
	}
	if _, err := f.jobs.Open(ctx, f.job(t, after.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("opening the replaced bundle: %v, want ErrNotFound", err)
	}
	if cur, err := f.jobs.Current(ctx, f.job(t, after.ID)); err != nil || cur.ID != next.ID {
		t.Errorf("Current of the replaced bundle = %v, %v; want %s", cur, err, next.ID)
	}
	rebuilt := f.auditEntries(t, audit.BundleRebuilt)
	if len(rebuilt) != 1 || !strings.Contains(rebuilt[0].Detail, old2.SHA256) || !strings.Contains(rebuilt[0].Detail, next.SHA256) ||
		rebuilt[0].Actor != "organizer@example.org" || rebuilt[0].Target != "ales" {
		t.Errorf("audit of the rebuild: %+v", rebuilt)
	}
	for _, e := range rebuilt {
		if strings.Contains(e.Detail, "Erika") {
			t.Errorf("the audit log names the supporter: %+v", e)
		}
	}

	// Erasing someone who signed before both hits both, the rebuilt one
	// included, and the chain of replacements leads to the newest.
	if n := f.erase(t, anna); n != 2 {
		t.Errorf("Erase of the first signer = %d, want 2", n)
	}
	f.runAll(t)
	if cur, err := f.jobs.Current(ctx, f.job(t, after.ID)); err != nil || cur.Status != StatusDone || cur.Replaces != next.ID {
		t.Errorf("Current after two erasures = %+v, %v", cur, err)
	}
	if got, want := f.storedFiles(t), int64(2); got != want {
		t.Errorf("GridFS holds %d archives, want %d", got, want)
	}
}

// A bundle being built when the erasure happens is restarted: what its
// worker wrote is deleted, and the job is built again without the name.
func TestEraseRestartsABundleBeingBuilt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.translate(t, campaign.Text{Lang: "ru", Title: "Письма Алесю", Letter: "Дорогой Алесь,\n\nО тебе помнят."})
	f.sign(t, "Anna Nowak")
	erika := f.sign(t, "Erika Mustermann")
	queued := f.enqueue(t, Options{})
	// A worker takes the job; it is still reading when the erasure
	// starts, and finishes while the signature is being erased.
	stale, err := f.jobs.claim(ctx)
	if err != nil || stale == nil || stale.ID != queued.ID {
		t.Fatalf("claim = %v, %v", stale, err)
	}
	var during *Job
	n, err := f.jobs.Erase(ctx, f.c.ID, erika.SignedAt, "organizer@example.org", func(ctx context.Context) error {
		if got := f.job(t, stale.ID); !got.Held() {
			t.Errorf("during the erasure the building job is %s with %d holds; want it held back", got.Status, got.Holds)
		}
		// Another bundle is asked for and built before the signature
		// is gone.
		during = f.enqueue(t, Options{Lang: "ru"})
		if ran, err := f.jobs.RunOnce(ctx); err != nil || !ran {
			t.Errorf("RunOnce during the erasure = %v, %v", ran, err)
		}
		// The worker that read the signature finishes now.
		f.jobs.run(ctx, stale)
		return f.svc.EraseSignature(ctx, f.c.ID, erika.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The job asked for later was built while the erasure ran, before
	// the signature was gone: the second pass rebuilds it too.
	if n != 2 {
		t.Errorf("Erase = %d, want 2", n)
	}
	if got := f.job(t, stale.ID); got.Status != StatusQueued || got.Holds != 0 || !got.FileID.IsZero() {
		t.Errorf("the restarted job after the erasure: %s, holds %d, file %v", got.Status, got.Holds, got.FileID)
	}
	if got := f.storedFiles(t); got != 0 {
		t.Errorf("GridFS holds %d archives after the erasure, want 0", got)
	}
	f.runAll(t)
	for _, id := range []string{stale.ID, f.successor(t, during.ID).ID} {
		job := f.job(t, id)
		if job.Status != StatusDone {
			t.Fatalf("job %s is %s: %s", id, job.Status, job.Error)
		}
		if text, ok := f.text(t, job); ok && (strings.Contains(text, "Erika") || !strings.Contains(text, "Anna Nowak")) {
			t.Errorf("bundle %s after the erasure:\n%s", id, text)
		}
	}
	if got := f.storedFiles(t); got != 2 {
		t.Errorf("GridFS holds %d archives, want 2", got)
	}
}

// A rebuild that fails still leaves no archive with the name; the job is
// failed and can be built again.
func TestFailedRebuildCanBeRetried(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	erika := f.sign(t, "Erika Mustermann")
	job := f.enqueue(t, Options{})
	f.runAll(t)
	old := f.job(t, job.ID)
	// The recipient is gone: every build fails.
	recipients := f.db.Collection("recipients")
	var r bson.M
	if err := recipients.FindOneAndDelete(ctx, bson.M{"_id": "r-ales"}).Decode(&r); err != nil {
		t.Fatal(err)
	}
	f.erase(t, erika)
	f.runAll(t)
	next := f.successor(t, job.ID)
	if next.Status != StatusFailed || next.Error == "" {
		t.Fatalf("the rebuild is %s (%q), want failed", next.Status, next.Error)
	}
	if f.fileExists(t, old.FileID) || f.storedFiles(t) != 0 {
		t.Error("an archive is left after a failed rebuild")
	}
	if _, err := recipients.InsertOne(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := f.jobs.Retry(ctx, next.ID); err != nil {
		t.Fatal(err)
	}
	f.runAll(t)
	if got := f.job(t, next.ID); got.Status != StatusDone || got.Error != "" || !got.Cutoff.Equal(old.Cutoff) {
		t.Errorf("after Retry: %s %q, cut-off %v", got.Status, got.Error, got.Cutoff)
	}
	if got := f.auditEntries(t, audit.BundleRebuilt); len(got) != 1 || !strings.Contains(got[0].Detail, old.SHA256) {
		t.Errorf("audit of the rebuild: %+v", got)
	}
}

// When the erasure itself fails, the held bundles are built again as they
// were: the signature is still there, to erase again.
func TestFailedErasureReleasesTheBundles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	erika := f.sign(t, "Erika Mustermann")
	job := f.enqueue(t, Options{})
	f.runAll(t)
	failure := errors.New("database gone")
	_, err := f.jobs.Erase(ctx, f.c.ID, erika.SignedAt, "organizer@example.org", func(context.Context) error { return failure })
	if !errors.Is(err, failure) {
		t.Fatalf("Erase = %v, want the erasure's error", err)
	}
	next := f.successor(t, job.ID)
	if next.Held() {
		t.Errorf("the rebuild is still held back after a failed erasure")
	}
	f.runAll(t)
	if got := f.job(t, next.ID); got.Status != StatusDone {
		t.Errorf("the rebuild is %s", got.Status)
	}
	// Erased now, on the second try.
	if n := f.erase(t, erika); n != 1 {
		t.Errorf("second Erase = %d, want 1", n)
	}
}

// Jobs stored before bundles had a cut-off are built with the time they
// were asked for as their cut-off, and an erasure treats a finished one as
// holding every signature.
func TestJobsFromBeforeCutoffs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sign(t, "Anna Nowak")
	asked := f.clock.Now()
	f.clock.Add(time.Minute)
	late := f.sign(t, "Late Signer")
	for _, id := range []string{"legacy-queued", "legacy-done"} {
		doc := bson.M{"_id": id, "campaign_id": f.c.ID, "options": Options{Layout: pdf.LayoutList, Paper: pdf.A4, MaxSheets: 10, Lang: "en"},
			"status": StatusQueued, "created_by": "organizer@example.org", "created_at": asked, "letters": 0, "total_letters": 0, "size": 0, "pages": 0}
		if _, err := f.jobs.store.jobs.InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
	f.runAll(t)
	for _, id := range []string{"legacy-queued", "legacy-done"} {
		job := f.job(t, id)
		if job.Status != StatusDone || !job.Cutoff.Equal(asked) || job.Contains(late.SignedAt) {
			t.Fatalf("legacy job %s: %s, cut-off %v (%s)", id, job.Status, job.Cutoff, job.Error)
		}
	}
	// One of them is still without a cut-off, as before this change.
	if _, err := f.jobs.store.jobs.UpdateOne(ctx, bson.M{"_id": "legacy-done"}, bson.M{"$unset": bson.M{"cutoff": "", "tallies": ""}}); err != nil {
		t.Fatal(err)
	}
	if n := f.erase(t, late); n != 1 {
		t.Errorf("Erase = %d, want 1: only the bundle without a cut-off may hold a later signature", n)
	}
	if got := f.job(t, "legacy-queued"); got.Status != StatusDone {
		t.Errorf("the bundle with a cut-off before the signature is %s", got.Status)
	}
	next := f.successor(t, "legacy-done")
	if next.Cutoff.IsZero() || next.Tallies == nil {
		t.Errorf("the rebuild of a bundle without a cut-off has scope %+v", next.Scope)
	}
	f.runAll(t)
	if got := f.job(t, next.ID); got.Status != StatusDone {
		t.Errorf("the rebuild is %s: %s", got.Status, got.Error)
	}
}
