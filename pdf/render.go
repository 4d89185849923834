package pdf

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
	"hash"
	"hash/crc32"
	"io"
	"iter"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Names of the files in the archive besides the envelopes' PDFs.
const (
	EnvelopesFile = "envelopes.pdf"
	ManifestFile  = "manifest.csv"
)

// Render prints a bundle into w as a ZIP archive holding one PDF per
// envelope (letter-01.pdf, letter-02.pdf, …), the envelope pages
// (envelopes.pdf, one DL page per envelope) and manifest.csv, and returns
// the manifest. The same Bundle gives the same bytes.
//
// Render ranges over b.Greetings twice and b.Signatures once (see Bundle).
// It stops at the first error a sequence yields, when ctx ends, or when the
// sequences disagree with the layout (ErrRowCount, ErrChanged); w then
// holds an incomplete archive the caller must discard. Text that cannot be
// printed never fails a bundle: see Printable.
func Render(ctx context.Context, b Bundle, w io.Writer) (Manifest, error) {
	b, err := b.withDefaults()
	if err != nil {
		return Manifest{}, err
	}
	m, err := fontMetrics()
	if err != nil {
		return Manifest{}, err
	}
	t := &b.Texts
	p, err := layout(ctx, &b, m, t)
	if err != nil {
		return Manifest{}, err
	}
	r := &renderer{b: &b, m: m, t: t, plan: p}
	r.title, _ = m.clean(b.Title, sans, false)
	return r.run(ctx, w)
}

// renderer is the second pass: it reads the rows, draws the envelopes in
// parallel and writes them in order.
type renderer struct {
	b     *Bundle
	m     *metrics
	t     *Texts
	plan  *plan
	title string // cleaned
}

// envelopeJob is one envelope on its way from the reader through a drawing
// worker to the archive.
type envelopeJob struct {
	index int
	pages []pageJob
	done  chan struct{} // closed when pdf or err is set
	pdf   []byte
	info  Envelope
	err   error
}

// pageJob is one page of an envelope with what it shows.
type pageJob struct {
	page  page
	rows  []Signer       // signature pages
	cards []greetingCard // greeting pages
}

func (r *renderer) run(ctx context.Context, w io.Writer) (Manifest, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	workers := min(runtime.GOMAXPROCS(0), 4)
	jobs := make(chan *envelopeJob)
	order := make(chan *envelopeJob, workers)
	var wg sync.WaitGroup
	// The reader fills envelopes from the sequences; it is the only
	// goroutine that touches them. It exits when every envelope is sent or
	// ctx ends, closing both channels.
	var readErr error
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		readErr = r.read(ctx, jobs, order)
		if readErr != nil {
			cancel()
		}
	})
	// Workers draw envelopes until jobs is closed; they always close a job's
	// done channel, so the writer below never waits forever.
	for range workers {
		wg.Go(func() {
			for job := range jobs {
				if ctx.Err() != nil {
					job.err = ctx.Err()
				} else {
					job.pdf, job.info, job.err = r.safeDrawEnvelope(job)
				}
				close(job.done)
			}
		})
	}

	man, err := r.write(ctx, w, order)
	if err != nil {
		cancel()
		for job := range order { // let the reader finish
			<-job.done
		}
	}
	wg.Wait()
	// One failure cancels the rest, which then fail with context.Canceled:
	// report the failure that came first.
	for _, e := range []error{readErr, err} {
		if e != nil && !errors.Is(e, context.Canceled) {
			return Manifest{}, e
		}
	}
	if e := cmp.Or(readErr, err); e != nil {
		return Manifest{}, e
	}
	return man, nil
}

// read ranges over the rows, packs them into envelopes by the plan and
// hands each envelope to the workers and, in order, to the writer.
func (r *renderer) read(ctx context.Context, jobs, order chan<- *envelopeJob) error {
	b, p := r.b, r.plan
	nextSig, stopSig := pull(b.Signatures)
	defer stopSig()
	nextGreeting, stopGreetings := pull(b.Greetings)
	defer stopGreetings()
	rowsRead, greetingsRead := 0, 0
	var greeting Greeting

	for li, span := range p.envelopes {
		job := &envelopeJob{index: li, done: make(chan struct{})}
		for pi := span[0]; pi < span[1]; pi++ {
			pj := pageJob{page: p.pages[pi]}
			switch pj.page.kind {
			case pageSignatures:
				pj.rows = make([]Signer, 0, pj.page.count)
				for range pj.page.count {
					s, err, ok := nextSig()
					if !ok {
						return fmt.Errorf("%w: %d rows, %d expected", ErrRowCount, rowsRead, b.SignatureRows)
					}
					if err != nil {
						return fmt.Errorf("read signature %d: %w", rowsRead+1, err)
					}
					rowsRead++
					if s.Number == 0 {
						s.Number = rowsRead
					}
					pj.rows = append(pj.rows, s)
				}
			case pageGreetings:
				for _, c := range p.cards[pj.page.first : pj.page.first+pj.page.count] {
					for greetingsRead <= c.greeting {
						g, err, ok := nextGreeting()
						if !ok {
							return fmt.Errorf("%w: %d greetings, %d expected", ErrChanged, greetingsRead, p.greetings)
						}
						if err != nil {
							return fmt.Errorf("read greeting %d: %w", greetingsRead+1, err)
						}
						greeting = g
						greetingsRead++
					}
					pj.cards = append(pj.cards, greetingCard{plan: c, greeting: greeting})
				}
			}
			job.pages = append(job.pages, pj)
		}
		select {
		case jobs <- job:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case order <- job:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, _, ok := nextSig(); ok {
		return fmt.Errorf("%w: more than %d rows", ErrRowCount, b.SignatureRows)
	}
	if _, _, ok := nextGreeting(); ok {
		return fmt.Errorf("%w: more than %d greetings", ErrChanged, p.greetings)
	}
	return nil
}

// pull is iter.Pull2 that treats a nil sequence as empty.
func pull[K, V any](seq iter.Seq2[K, V]) (func() (K, V, bool), func()) {
	if seq == nil {
		return func() (K, V, bool) {
			var k K
			var v V
			return k, v, false
		}, func() {}
	}
	return iter.Pull2(seq)
}

// envelopeFile is the file name of envelope i (from 1) of n, zero-padded
// so the files sort in order. The name says "letter", as the people who
// print and post the bundle call it.
func envelopeFile(i, n int) string {
	width := max(2, len(strconv.Itoa(n)))
	return fmt.Sprintf("letter-%0*d.pdf", width, i)
}

// safeDrawEnvelope is drawEnvelope that turns a panic into an error. Text is
// cleaned before fpdf sees it, but a panic in a worker would take the
// whole server down with it, so one bundle's failure stays its own.
func (r *renderer) safeDrawEnvelope(job *envelopeJob) (_ []byte, _ Envelope, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("draw envelope %d: panic: %v", job.index+1, p)
		}
	}()
	return r.drawEnvelope(job)
}

// drawEnvelope draws the pages of one envelope as their own PDF document.
func (r *renderer) drawEnvelope(job *envelopeJob) ([]byte, Envelope, error) {
	p, t := r.plan, r.t
	envelopes := len(p.envelopes)
	span := p.envelopes[job.index]
	info := Envelope{Number: job.index + 1, File: envelopeFile(job.index+1, envelopes), Pages: span[1] - span[0]}
	// Each font costs time in every document (fpdf parses and subsets it),
	// so an envelope of signatures alone gets only the one it uses.
	faces := []face{sans}
	for _, pj := range job.pages {
		if pj.page.kind != pageSignatures {
			faces = append(faces, sansBold, serif)
			break
		}
	}
	title := r.title + " — " + t.Title(info.Number, envelopes)
	d := newDoc(r.m, p.g.w, p.g.h, r.b.Date, title, r.b.Lang, faces...)
	for i, pj := range job.pages {
		footer := t.Footer(info.Number, envelopes, i+1, info.Pages)
		d.addPage()
		switch pj.page.kind {
		case pageCover:
			r.frame(d, pageFrame{title: r.title, footer: footer})
			r.drawCover(d, p.cover[pj.page.first])
		case pageSignatures:
			first, last := pj.rows[0].Number, pj.rows[len(pj.rows)-1].Number
			if info.FirstSignature == 0 {
				info.FirstSignature = first
			}
			info.LastSignature = last
			section := t.Signatures + "  " + t.Number(first) + "–" + t.Number(last)
			r.frame(d, pageFrame{title: r.title, section: section, footer: footer})
			r.drawSignatures(d, pj.rows)
		case pageGreetings:
			for _, c := range pj.cards {
				if c.plan.part == 0 {
					info.Greetings++
				}
			}
			var err error
			if r.b.Layout == LayoutPostcards {
				err = r.drawPostcards(d, pj.cards, r.title, footer)
			} else {
				r.frame(d, pageFrame{title: r.title, section: t.Greetings, footer: footer})
				err = r.drawGreetingList(d, pj.cards)
			}
			if err != nil {
				return nil, info, err
			}
		}
	}
	data, err := d.bytes()
	if err != nil {
		return nil, info, fmt.Errorf("draw %s: %w", info.File, err)
	}
	return data, info, nil
}

// drawEnvelopePages draws one DL envelope page (220 × 110 mm) per
// envelope.
func (r *renderer) drawEnvelopePages() ([]byte, error) {
	envelopes := len(r.plan.envelopes)
	d := newDoc(r.m, 220, 110, r.b.Date, r.title, r.b.Lang, sans, sansBold)
	for i := range envelopes {
		d.addPage()
		mark, _ := r.m.clean(r.t.Envelope(i+1, envelopes), sans, false)
		r.drawEnvelopePage(d, mark)
	}
	data, err := d.bytes()
	if err != nil {
		return nil, fmt.Errorf("draw envelopes: %w", err)
	}
	return data, nil
}

// archive writes files into a ZIP archive with fixed dates, hashing them
// and the archive itself as it goes.
type archive struct {
	zw    *zip.Writer
	total hash.Hash
	count countWriter
	files []File
	date  time.Time
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func newArchive(w io.Writer, b *Bundle) *archive {
	a := &archive{total: sha256.New()}
	a.zw = zip.NewWriter(io.MultiWriter(w, a.total, &a.count))
	a.date = b.Date.UTC()
	return a
}

// add stores data as name. PDFs are compressed already, so files are
// stored as they are.
func (a *archive) add(name string, data []byte) error {
	h := &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc32.ChecksumIEEE(data),
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: uint64(len(data)),
		Modified:           a.date,
	}
	fw, err := a.zw.CreateRaw(h)
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	if _, err := fw.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	a.files = append(a.files, File{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// write takes envelopes in order as workers finish them and writes the
// archive.
func (r *renderer) write(ctx context.Context, w io.Writer, order <-chan *envelopeJob) (Manifest, error) {
	a := newArchive(w, r.b)
	man := Manifest{Pages: len(r.plan.pages), Greetings: r.plan.greetings, Signatures: r.b.SignatureRows}
	done := Progress{TotalEnvelopes: len(r.plan.envelopes), TotalPages: len(r.plan.pages)}
	for job := range order {
		<-job.done
		if job.err != nil {
			return Manifest{}, job.err
		}
		if err := a.add(job.info.File, job.pdf); err != nil {
			return Manifest{}, err
		}
		job.pdf = nil
		man.Envelopes = append(man.Envelopes, job.info)
		done.Envelopes++
		done.Pages += job.info.Pages
		if r.b.Progress != nil {
			r.b.Progress(done)
		}
	}
	if err := ctx.Err(); err != nil {
		return Manifest{}, err
	}
	if len(man.Envelopes) != len(r.plan.envelopes) {
		// The reader stopped early; its error explains why.
		return Manifest{}, fmt.Errorf("only %d of %d envelopes drawn", len(man.Envelopes), len(r.plan.envelopes))
	}
	env, err := r.drawEnvelopePages()
	if err != nil {
		return Manifest{}, err
	}
	if err := a.add(EnvelopesFile, env); err != nil {
		return Manifest{}, err
	}
	man.Files = a.files
	var csvBuf bytes.Buffer
	if err := man.WriteCSV(&csvBuf); err != nil {
		return Manifest{}, err
	}
	if err := a.add(ManifestFile, csvBuf.Bytes()); err != nil {
		return Manifest{}, err
	}
	if err := a.zw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("finish archive: %w", err)
	}
	man.SHA256 = hex.EncodeToString(a.total.Sum(nil))
	man.Size = a.count.n
	return man, nil
}

// WriteCSV writes the manifest as manifest.csv: a header, one row per
// envelope (file, letter, pages, first_signature, last_signature,
// greetings, sha256; the column "letter" is the envelope's number, under
// the name printed on it) and a row for the envelope pages, with the SHA-256 of each
// file; empty cells for what does not apply.
func (m Manifest) WriteCSV(w io.Writer) error {
	sums := make(map[string]string, len(m.Files))
	for _, f := range m.Files {
		sums[f.Name] = f.SHA256
	}
	cw := csv.NewWriter(w)
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	rows := [][]string{{"file", "letter", "pages", "first_signature", "last_signature", "greetings", "sha256"}}
	for _, e := range m.Envelopes {
		rows = append(rows, []string{e.File, strconv.Itoa(e.Number), strconv.Itoa(e.Pages),
			num(e.FirstSignature), num(e.LastSignature), strconv.Itoa(e.Greetings), sums[e.File]})
	}
	if s, ok := sums[EnvelopesFile]; ok {
		rows = append(rows, []string{EnvelopesFile, "", strconv.Itoa(len(m.Envelopes)), "", "", "", s})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
