package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/pdf"
)

const bundleUsage = `Usage:
  solidarity bundle --campaign SLUG --out FILE.zip [--layout list|postcards]
                    [--paper A4|letter] [--max-sheets N] [--lang CODE]
                    [--despite-status]

Builds the printable bundle of a campaign: a ZIP with one PDF per envelope
(letter-01.pdf, ...), envelopes.pdf and manifest.csv. The cover letter and
the fixed texts print in --lang, one of the languages the campaign has a
text in (its own or a translation); without it, in the first language of
the prison's rules the campaign has a text in, else in the campaign's own.
A letter the prison's rules would stop is printed with a warning. The
envelopes carry the recipient's address valid today (after a transfer, the
new one), which the command prints. When the recipient was released, is
held incommunicado or died, the command says so and builds nothing, unless
--despite-status is given (as the console asks for a ticked confirmation).
The database is the one serve uses; with the embedded database, stop the
server first.
`

// bundleMemory is the soft memory limit of the bundle command.
const bundleMemory = 180 << 20

// bundleCmd builds a bundle from the command line.
func bundleCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("campaign", "", "campaign slug")
	out := fs.String("out", "", "file to write the ZIP to")
	var opts bundle.Options
	fs.StringVar((*string)(&opts.Layout), "layout", string(pdf.LayoutList), "list or postcards")
	fs.StringVar((*string)(&opts.Paper), "paper", string(pdf.A4), "A4 or letter")
	fs.IntVar(&opts.MaxSheets, "max-sheets", pdf.DefaultMaxSheets, "sheets per envelope")
	fs.StringVar(&opts.Lang, "lang", "", "language of the letter and the printed texts")
	despite := fs.Bool("despite-status", false, "build even though the recipient cannot receive letters")
	// Profiles for `solidarity bench --profile`; not in the usage.
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the build there")
	memProfile := fs.String("memprofile", "", "write a heap profile taken halfway through the build there")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if *slug == "" || *out == "" {
		fmt.Fprint(stderr, bundleUsage)
		return errors.New("bundle: --campaign and --out are required")
	}
	// The options are checked before the database is opened, so a typo
	// does not wait for it (or for a server that holds it).
	messages, err := i18n.Load()
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	lang := opts.Lang // empty: chosen once the campaign is read
	if err := opts.Validate(messages); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	opts.Lang = lang
	if getenv("GOMEMLIMIT") == "" {
		// The garbage collector works harder rather than let a large bundle
		// double the heap: 73,000 signatures peak at 210 MB instead of 255.
		debug.SetMemoryLimit(bundleMemory)
	}
	a, done, err := openApp(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	if err := a.Signing.LoadCounts(ctx); err != nil {
		return err
	}
	c, err := a.Campaigns.CampaignBySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	var r *campaign.Recipient
	if c.RecipientID != "" {
		if r, err = a.Signing.Recipient(ctx, c.RecipientID); err != nil {
			return fmt.Errorf("bundle: recipient of %s: %w", c.Slug, err)
		}
	}
	if err := chooseLanguage(messages, c, r, &opts, stderr); err != nil {
		return err
	}
	// The status, the address and the bundle's cut-off are those of one
	// moment.
	now := time.Now()
	despiteWhat, err := checkStatus(c, r, now, *despite, stderr)
	if err != nil {
		return err
	}

	// Write next to the target and rename at the end: a failed build never
	// leaves a partial file under the name asked for.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".bundle-*.zip")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bar := progressBar(stderr)
	if *memProfile != "" {
		bar = heapProfileHalfway(*memProfile, bar, stderr)
	}
	scope, err := a.Builder.ScopeAt(ctx, c.ID, now)
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	m, err := a.Builder.Build(ctx, c, opts, scope, tmp, bar)
	stop()
	if err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s in %s: %d letters, %d pages, %d signatures, %d greetings\nsha256 %s\n",
		*out, opts.Lang, len(m.Envelopes), m.Pages, m.Signatures, m.Greetings, m.SHA256)
	detail := fmt.Sprintf("%d letters, %d pages, sha256 %s", len(m.Envelopes), m.Pages, m.SHA256)
	if despiteWhat != "" {
		detail += "; built despite the recipient's status: " + despiteWhat
	}
	return a.Audit.Record(ctx, "cli", audit.BundleBuilt, c.Slug, detail)
}

// checkStatus says on w which address the envelopes carry on the day it
// is at now in c's time zone, and, when r cannot receive letters that day
// (released, incommunicado, deceased), warns and refuses unless despite.
// When it builds despite the status, it returns the status in words, for
// the audit log.
func checkStatus(c *campaign.Campaign, r *campaign.Recipient, now time.Time, despite bool, w io.Writer) (string, error) {
	if r == nil {
		return "", nil
	}
	day := now.In(c.Location()).Format(time.DateOnly)
	fmt.Fprintf(w, "address on %s: %s\n", day, strings.Join(r.AddressOn(day), ", "))
	ch, ok := r.StatusOn(day)
	if !ok || !ch.Unreachable() {
		return "", nil
	}
	what := map[campaign.Situation]string{
		campaign.SituationReleased:      "was released on %s",
		campaign.SituationIncommunicado: "has been held incommunicado since %s",
		campaign.SituationDeceased:      "died on %s",
	}[ch.Situation]
	fmt.Fprintf(w, "warning: %s "+what+": a letter may not reach them\n", r.Name, ch.Day)
	if !despite {
		return "", fmt.Errorf("bundle: %s cannot receive letters (%s since %s); give --despite-status to build the bundle all the same",
			r.Name, ch.Situation, ch.Day)
	}
	fmt.Fprintln(w, "warning: building all the same (--despite-status)")
	return string(ch.Situation) + " since " + ch.Day, nil
}

// chooseLanguage fills in the bundle's language as the console proposes
// it, refuses one the campaign has no text in, and warns on w when the
// prison's rules would stop the letter. r is c's recipient, or nil.
func chooseLanguage(messages *i18n.Catalog, c *campaign.Campaign, r *campaign.Recipient, opts *bundle.Options, w io.Writer) error {
	langs := bundle.Languages(c, messages)
	if opts.Lang == "" {
		opts.Lang = bundle.DefaultLanguage(c, r, messages)
	}
	if !slices.Contains(langs, opts.Lang) {
		return fmt.Errorf("bundle: campaign %s has no text in %q; it has: %s", c.Slug, opts.Lang, strings.Join(langs, ", "))
	}
	k := bundle.CheckLetter(c, r, opts.Lang, messages)
	if !k.Allowed {
		fmt.Fprintf(w, "warning: the letter prints in %s, but the prison lets letters through only in %s\n", opts.Lang, strings.Join(r.Languages, ", "))
		if !k.Allowable {
			fmt.Fprintf(w, "warning: the campaign has no text in those languages: add a translation at /admin/campaigns/%s/texts\n", c.ID)
		}
	}
	if len(k.Censored) > 0 {
		fmt.Fprintf(w, "warning: the letter holds words the prison's censors are known to reject: %s\n", strings.Join(k.Censored, ", "))
	}
	return nil
}

// progressBar draws the build's progress on a terminal, and nothing
// elsewhere.
func progressBar(w io.Writer) func(pdf.Progress) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(p pdf.Progress) {
		const width = 30
		done := 0
		if p.TotalEnvelopes > 0 {
			done = p.Envelopes * width / p.TotalEnvelopes
		}
		fmt.Fprintf(w, "\rletter %d of %d [%s%s]", p.Envelopes, p.TotalEnvelopes, strings.Repeat("#", done), strings.Repeat(".", width-done))
		if p.Envelopes == p.TotalEnvelopes {
			fmt.Fprintln(w)
		}
	}
}

// startCPUProfile starts a CPU profile written to file, when it is set,
// and returns what stops it.
func startCPUProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bundle: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// heapProfileHalfway wraps a progress function to write a heap profile to
// file once half the envelopes are written: what the build holds while it
// runs, not what is left at its end. A failure is said on w.
func heapProfileHalfway(file string, next func(pdf.Progress), w io.Writer) func(pdf.Progress) {
	written := false
	return func(p pdf.Progress) {
		if next != nil {
			next(p)
		}
		if written || p.Envelopes < (p.TotalEnvelopes+1)/2 {
			return
		}
		written = true
		f, err := os.Create(file)
		if err == nil {
			err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
		}
		if err != nil {
			fmt.Fprintf(w, "heap profile: %v\n", err)
		}
	}
}
