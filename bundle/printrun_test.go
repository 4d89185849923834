package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/pdf"
)

// drive is a drive of cards to four recipients over a fixture's stores.
type drive struct {
	*fixture
	d    *campaign.Campaign
	runs *PrintRuns
}

// card is one card of the drive: its recipient, who signs it, a word only
// its greeting holds, and its moderation.
type card struct {
	to, name, word string
	status         letters.Status
}

// driveCards: Maria has two approved cards and two that are not, Ihar one
// approved of two and a transfer, Nobody none, and Free was released.
var driveCards = []card{
	{"r-maria", "Anna Berg", "alpha", letters.StatusApproved},
	{"r-maria", "Boris Marek", "bravo", letters.StatusApproved},
	{"r-maria", "Clara Held", "charlie", letters.StatusPending},
	{"r-maria", "Dmitri Volk", "delta", letters.StatusRejected},
	{"r-ihar", "Алеся Шэйна", "echo", letters.StatusApproved},
	{"r-ihar", "Eve Stone", "foxtrot", letters.StatusPending},
	{"r-free", "Greta Lund", "golf", letters.StatusApproved},
}

func newDrive(t *testing.T) *drive {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	for _, r := range []campaign.Recipient{
		{ID: "r-maria", Name: "Maria Kalesnikava", Address: []string{"Gomel women's colony 4"}, Country: "BY"},
		{ID: "r-ihar", Name: "Ігар Лосік", Address: []string{"Minsk detention centre 1"}, Country: "BY"},
		{ID: "r-nobody", Name: "Nina Nobody", Address: []string{"Zhodino prison 8"}, Country: "BY"},
		{ID: "r-free", Name: "Fiodar Free", Address: []string{"Mogilev prison 4"}, Country: "BY"},
	} {
		if err := f.svc.Store().CreateRecipient(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []struct {
		id string
		ch campaign.StatusChange
	}{
		{"r-ihar", campaign.StatusChange{Situation: campaign.SituationTransferred, Day: "2027-05-15", Address: []string{"Novopolotsk colony 1"}}},
		{"r-free", campaign.StatusChange{Situation: campaign.SituationReleased, Day: "2027-05-20"}},
	} {
		if _, err := f.svc.AddRecipientChange(ctx, ch.id, ch.ch, "organizer@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	d := &campaign.Campaign{ID: "c-drive", Slug: "cards", Title: "Cards for the new year", Letter: "Dear friend,\n\nThese cards are for you.",
		OrganizerName: "Test NGO", Kind: campaign.KindDrive, RecipientIDs: []string{"r-maria", "r-ihar", "r-nobody", "r-free"},
		OpensAt: f.c.OpensAt, ClosesAt: f.c.ClosesAt, TimeZone: "Europe/Minsk", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
	if err := f.svc.Store().CreateCampaign(ctx, d); err != nil {
		t.Fatal(err)
	}
	for i, c := range driveCards {
		sig := campaign.Signature{ID: "card-" + c.word, SignedAt: f.clock.Now().Add(time.Duration(i) * time.Second), Source: campaign.SourceWeb,
			HasGreeting: true, RecipientID: c.to, Person: campaign.Person{Name: c.name, City: "Vilnius", Country: "LT"}}
		if _, err := f.svc.AddSignatures(ctx, d.ID, []campaign.Signature{sig}); err != nil {
			t.Fatal(err)
		}
		g := letters.Greeting{ID: sig.ID, CampaignID: d.ID, Text: "Warm wishes " + c.word, Status: c.status,
			CreatedAt: sig.SignedAt, Checked: true}
		if err := f.greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(time.Minute)
	f.c = d
	return &drive{fixture: f, d: d, runs: f.printRuns(t)}
}

// printRuns returns a print run queue over the fixture's database, as an
// app node (a restarted one too) has.
func (f *fixture) printRuns(t *testing.T) *PrintRuns {
	t.Helper()
	return NewPrintRuns(f.db, testdb.Keys(t), NewBuilder(f.svc, f.greetings, testMessages(t)), f.log, f.clock.Now, slog.New(slog.DiscardHandler))
}

// zipText is the printed text of the letters in a bundle's archive.
func zipText(t *testing.T, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is missing")
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
		path := filepath.Join(dir, zf.Name)
		if err := os.WriteFile(path, readZipFile(t, zf), 0o600); err != nil {
			t.Fatal(err)
		}
		txt, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		out.Write(txt)
	}
	return out.String()
}

func readZipFile(t *testing.T, zf *zip.File) []byte {
	t.Helper()
	rc, err := zf.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wordsOf returns the words of driveCards the text holds.
func wordsOf(text string) []string {
	var out []string
	for _, c := range driveCards {
		if strings.Contains(text, c.word) {
			out = append(out, c.word)
		}
	}
	return out
}

// A drive's bundle for one recipient holds exactly that recipient's
// approved cards, signed as printed, and goes to their address of the day.
func TestDriveBundleHoldsOneRecipientsApprovedCards(t *testing.T) {
	dr := newDrive(t)
	tests := []struct {
		recipient string
		words     []string
		address   string
	}{
		{"r-maria", []string{"alpha", "bravo"}, "Gomel women's colony 4"},
		{"r-ihar", []string{"echo"}, "Novopolotsk colony 1"},
	}
	for _, tt := range tests {
		t.Run(tt.recipient, func(t *testing.T) {
			job := dr.enqueue(t, Options{Recipient: tt.recipient})
			dr.runAll(t)
			job = dr.job(t, job.ID)
			if job.Status != StatusDone {
				t.Fatalf("job is %s (%s)", job.Status, job.Error)
			}
			text, ok := dr.text(t, job)
			if !ok {
				t.Skip("pdftotext is missing")
			}
			if got := wordsOf(text); !slices.Equal(got, tt.words) {
				t.Errorf("cards printed: %v, want %v", got, tt.words)
			}
			if !strings.Contains(text, tt.address) {
				t.Errorf("the bundle does not go to %q:\n%s", tt.address, text)
			}
		})
	}
	if _, err := dr.jobs.Enqueue(context.Background(), dr.d, Options{Recipient: "r-ales"}, "organizer@example.org"); err == nil {
		t.Error("a bundle of a drive to someone it does not write to was queued")
	}
}

// A print run is one archive: a bundle per recipient with approved cards,
// each with exactly their cards, and a manifest that lists every
// recipient, with the files' pages and SHA-256.
func TestPrintRunArchive(t *testing.T) {
	ctx := context.Background()
	dr := newDrive(t)
	run, err := dr.runs.Enqueue(ctx, dr.d, Options{}, "organizer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if ran, err := dr.runs.RunOnce(ctx); err != nil || !ran {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	run, err = dr.runs.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != StatusDone || run.Bundles != 2 || run.Cards != 3 {
		t.Fatalf("run: %s (%s), %d bundles, %d cards; want done, 2 bundles, 3 cards", run.Status, run.Error, run.Bundles, run.Cards)
	}
	files := dr.archive(t, run)
	manifest := readManifest(t, files["manifest.csv"])
	want := []struct {
		name, address, outcome, cards, file string
		words                               []string
	}{
		{"Maria Kalesnikava", "Gomel women's colony 4", "built", "2", "001-maria-kalesnikava.zip", []string{"alpha", "bravo"}},
		{"Ігар Лосік", "Novopolotsk colony 1", "built", "1", "002-ihar-losik.zip", []string{"echo"}},
		{"Nina Nobody", "Zhodino prison 8", "no_cards", "0", "", nil},
		{"Fiodar Free", "Mogilev prison 4", "released", "0", "", nil},
	}
	if len(manifest) != len(want) {
		t.Fatalf("manifest has %d rows, want %d: %v", len(manifest), len(want), manifest)
	}
	for i, w := range want {
		m := manifest[i]
		t.Run(w.name, func(t *testing.T) {
			if m["recipient"] != w.name || m["address"] != w.address || m["outcome"] != w.outcome || m["cards"] != w.cards || m["file"] != w.file {
				t.Errorf("manifest row %v, want %+v", m, w)
			}
			if w.file == "" {
				return
			}
			b, ok := files[w.file]
			if !ok {
				t.Fatalf("the archive has no %s", w.file)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != m["sha256"] {
				t.Errorf("sha256 of %s = %s, manifest says %s", w.file, got, m["sha256"])
			}
			if m["pages"] == "0" || m["pages"] == "" {
				t.Errorf("manifest says %q pages", m["pages"])
			}
			if got := wordsOf(zipText(t, b)); !slices.Equal(got, w.words) {
				t.Errorf("cards in %s: %v, want %v", w.file, got, w.words)
			}
		})
	}
	if len(files) != 3 {
		t.Errorf("archive holds %d files, want 2 bundles and the manifest", len(files))
	}
}

// archive returns the files of a finished run's archive by name.
func (dr *drive) archive(t *testing.T, run *PrintRun) map[string][]byte {
	t.Helper()
	rc, err := dr.runs.Open(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != run.SHA256 || int64(len(b)) != run.Size {
		t.Errorf("archive of %d bytes does not match the run's size %d and sha256", len(b), run.Size)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, zf := range zr.File {
		out[zf.Name] = readZipFile(t, zf)
	}
	return out
}

func readManifest(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("manifest: %v, %d rows", err, len(rows))
	}
	if !slices.Equal(rows[0], ManifestHeader) {
		t.Fatalf("manifest header %v", rows[0])
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, k := range rows[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// A run whose worker stopped after two recipients is taken over, after its
// lease, by a new worker on the same database, which builds only the
// recipients left and finishes the archive.
func TestPrintRunResumesWithoutRedoing(t *testing.T) {
	ctx := context.Background()
	dr := newDrive(t)
	run, err := dr.runs.Enqueue(ctx, dr.d, Options{Layout: pdf.LayoutPostcards}, "organizer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	first := dr.printRuns(t)
	stop, cancel := context.WithCancel(ctx)
	first.afterPart = func(_ context.Context, done int) {
		if done == 2 {
			cancel() // the node dies
		}
	}
	if _, err := first.RunOnce(stop); err != nil {
		t.Fatal(err)
	}
	stopped, err := dr.runs.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.Status != StatusRunning || stopped.Done != 2 {
		t.Fatalf("stopped run: %s with %d done, want running with 2", stopped.Status, stopped.Done)
	}
	before, err := dr.runs.Parts(ctx, stopped)
	if err != nil {
		t.Fatal(err)
	}
	// Not before the lease runs out.
	second := dr.printRuns(t)
	var built []int
	second.afterPart = func(_ context.Context, done int) { built = append(built, done) }
	if ran, err := second.RunOnce(ctx); err != nil || ran {
		t.Fatalf("a live run was taken over: %v, %v", ran, err)
	}
	dr.clock.Add(lease + time.Second)
	if ran, err := second.RunOnce(ctx); err != nil || !ran {
		t.Fatalf("RunOnce after the lease = %v, %v", ran, err)
	}
	if !slices.Equal(built, []int{3, 4}) {
		t.Errorf("the restarted worker built recipients %v, want only 3 and 4", built)
	}
	done, err := dr.runs.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != StatusDone || done.Bundles != 2 || done.Cards != 3 {
		t.Fatalf("resumed run: %s (%s), %d bundles, %d cards", done.Status, done.Error, done.Bundles, done.Cards)
	}
	after, err := dr.runs.Parts(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range before {
		if after[i].Attempt != p.Attempt || after[i].SHA256 != p.SHA256 || !after[i].BuiltAt.Equal(p.BuiltAt) {
			t.Errorf("part %s was built again: attempt %d, was %d", p.ID, after[i].Attempt, p.Attempt)
		}
	}
	files := dr.archive(t, done)
	for _, name := range []string{"001-maria-kalesnikava.zip", "002-ihar-losik.zip", "manifest.csv"} {
		if _, ok := files[name]; !ok {
			t.Errorf("the resumed archive has no %s", name)
		}
	}
	if got := wordsOf(zipText(t, files["002-ihar-losik.zip"])); !slices.Equal(got, []string{"echo"}) {
		t.Errorf("Ihar's bundle built before the restart holds %v", got)
	}
}

// Erasing a card's signature discards the print runs that may hold it:
// their archive and parts are deleted, not served, and a run asked for
// before the card was signed stays.
func TestErasureDiscardsPrintRuns(t *testing.T) {
	ctx := context.Background()
	dr := newDrive(t)
	run, err := dr.runs.Enqueue(ctx, dr.d, Options{}, "organizer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dr.runs.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	sig, err := dr.svc.Store().Signature(ctx, "card-alpha")
	if err != nil {
		t.Fatal(err)
	}
	files := func() int64 {
		n, err := dr.db.Collection("print_files.files").CountDocuments(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if files() != 1 {
		t.Fatalf("%d stored print files before the erasure, want the archive", files())
	}
	if _, err := dr.jobs.Erase(ctx, dr.d.ID, sig.SignedAt, "organizer@example.org", func(ctx context.Context) error {
		return dr.svc.EraseSignature(ctx, dr.d.ID, sig.ID)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := dr.runs.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusDiscarded || files() != 0 {
		t.Errorf("after the erasure the run is %s with %d stored files, want discarded with none", got.Status, files())
	}
	if _, err := dr.runs.Open(ctx, got); err == nil {
		t.Error("a discarded run's archive opens")
	}
}

// A part's bundle reads back as written, whatever its size against the
// chunks it is stored in, and its chunks are all deleted.
func TestPartChunksReadBack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := newRunStore(f.db)
	for _, size := range []int{0, 1, partChunk, partChunk*2 + partChunk/2} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			id := "run/" + strconv.Itoa(size)
			w := s.newChunkWriter(ctx, id, 1)
			// In uneven writes, as the sealing writer makes them.
			for b := data; len(b) > 0; {
				k := min(len(b), 70_001)
				if _, err := w.Write(b[:k]); err != nil {
					t.Fatal(err)
				}
				b = b[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(s.openChunks(ctx, &Part{ID: id, Attempt: 1, Chunks: w.n}))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (%v), wrote %d", len(got), err, len(data))
			}
			if err := s.dropChunks(ctx, id, 1, w.n); err != nil {
				t.Fatal(err)
			}
			if n, err := s.chunks.CountDocuments(ctx, bson.M{}); err != nil || n != 0 {
				t.Errorf("%d chunks left after the delete (%v)", n, err)
			}
		})
	}
}
