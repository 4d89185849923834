// Package bench is `solidarity bench`: it starts solidarity in this
// process on a fresh embedded database in a temporary folder, bound to
// 127.0.0.1, loads it with generated campaigns, signatures and greetings
// through the bulk path the demo uses, measures the public pages, signing,
// the console's signature list, start-up and the bundle with a load
// generator of its own, and prints one table of the results beside the
// goals of issue 12. Every measure is bounded in time, and no request
// leaves 127.0.0.1.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/solidarity-letters/solidarity/account"
)

// Options are the bench's settings.
type Options struct {
	// Max is the largest number of signatures the growing campaign gets.
	Max int
	// Duration is how long each load measure runs.
	Duration time.Duration
	// Quick uses tiny sizes, for a run of seconds that checks the bench.
	Quick bool
	// ProfileDir, when set, receives CPU profiles of GET /c/{slug} and of
	// signing at the base size and at Max.
	ProfileDir string
	// Exe is the solidarity binary, run as a child for start-up and bundle.
	Exe string
	// MinFillTime is the sign form's minimum fill-in time, as serve sets it.
	MinFillTime time.Duration
	// Only, when "bundle", loads only the bundle's campaign and measures
	// only the bundle.
	Only string
	// Baselines are other solidarity binaries (older builds) that build
	// the same bundle on the same data just before Exe does, in order, for
	// rows side by side.
	Baselines []string
	// Out receives the table, Log the progress.
	Out, Log io.Writer
}

// sizes are the numbers of signatures the measures run at.
type sizes struct {
	base   int // the campaign page, the counter API and signing
	small  int // where signing as the campaign grows starts
	list   int // the console's signature list
	max    int // the largest size
	bundle int // the bundle, one signature in ten with a greeting
}

func (o Options) sizes() sizes {
	if o.Quick {
		return sizes{base: 50, small: 20, list: 200, max: min(o.Max, 400), bundle: 200}
	}
	if o.Only == "bundle" {
		return sizes{max: o.Max, bundle: 100_000}
	}
	return sizes{base: 5_000, small: 1_000, list: 100_000, max: max(o.Max, 100_000), bundle: 100_000}
}

// requestTimeout bounds a request of a load measure, which stops issuing
// requests after its duration: on the embedded database a page or a
// signature can take tens of seconds at a million signatures on a busy
// machine, and is measured, not cut short.
const requestTimeout = 2 * time.Minute

// Workers of the load measures: as the wrk runs.
const (
	getWorkers  = 32
	signWorkers = 16
)

// Slugs of the bench's campaigns.
const (
	mainSlug   = "bench-main"   // the pages and signing at the base size
	growSlug   = "bench-grow"   // signing as it grows, the console list
	bundleSlug = "bench-bundle" // the bundle
	otherSlug  = "bench-other"  // one more on the home page
)

// bench is one run.
type bench struct {
	opts   Options
	sizes  sizes
	dir    string
	secret string
	svc    *service
	rows   []row
	clock  time.Time
}

// Run runs the bench and prints its table to opts.Out.
func Run(ctx context.Context, opts Options) (err error) {
	dir, err := os.MkdirTemp("", "solidarity-bench-*")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	secret := make([]byte, 32)
	rand.Read(secret)
	b := &bench{opts: opts, sizes: opts.sizes(), dir: dir, secret: hex.EncodeToString(secret), clock: time.Now()}
	b.logf("embedded database in %s; sizes %+v; %s a measure", dir, b.sizes, opts.Duration)
	logger := slog.New(slog.NewTextHandler(opts.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if b.svc, err = startService(ctx, filepath.Join(dir, "data"), b.secret, opts.MinFillTime, logger); err != nil {
		return fmt.Errorf("bench: start: %w", err)
	}
	defer func() {
		if b.svc != nil {
			b.svc.close(ctx)
		}
	}()
	// What was measured is printed even when a later step failed.
	err = b.measure(ctx)
	printTable(opts.Out, b.rows)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// measure runs every measure in order, growing the data between them.
func (b *bench) measure(ctx context.Context) error {
	sz := b.sizes
	if b.opts.Only == "bundle" {
		return b.measureBundle(ctx)
	}
	if err := setUp(ctx, b.svc, []string{mainSlug, growSlug, bundleSlug, otherSlug}); err != nil {
		return err
	}
	password := b.secret[:24]
	if _, err := b.svc.app.Accounts.AddUser(ctx, "bench@example.org", account.RoleOrganizer, password); err != nil {
		return fmt.Errorf("console account: %w", err)
	}
	if err := b.fill(ctx, mainSlug, sz.base); err != nil {
		return err
	}
	if err := b.fill(ctx, otherSlug, sz.small); err != nil {
		return err
	}
	b.logf("raw InsertMany of %d signature documents", 4*sz.base)
	raw, err := rawInsertRate(ctx, b.svc.db.Database, campaignID(mainSlug), 4*sz.base)
	if err != nil {
		return err
	}
	health := b.gets(ctx, "/healthz", "", nil)
	b.add(row{path: "raw InsertMany, unordered, 100 a batch", measured: fmt.Sprintf("%.0f/s", raw), ratio: "reference", goal: "-"})
	b.gets(ctx, "/api/v1/campaigns/"+mainSlug, "", &ratioGoal{base: health.rate(), min: 0.7})
	b.gets(ctx, "/c/"+mainSlug, "get-campaign-page", &ratioGoal{base: health.rate(), min: 0.5})
	b.gets(ctx, "/", "", &ratioGoal{base: health.rate(), min: 0.5})
	b.signs(ctx, mainSlug, fmt.Sprintf("sign POST, %s stored", count(sz.base)), "sign-"+count(sz.base), raw)

	// Signing as the campaign grows, and the console's list.
	if err := b.fill(ctx, growSlug, sz.small); err != nil {
		return err
	}
	first := b.signs(ctx, growSlug, fmt.Sprintf("sign POST, %s stored", count(sz.small)), "", raw)
	cookie, err := login(ctx, newClient(1, time.Minute), b.svc.base, "bench@example.org", password)
	if err != nil {
		return err
	}
	if err := b.fill(ctx, growSlug, sz.list); err != nil {
		return err
	}
	b.list(ctx, cookie, sz.list)
	if sz.max > sz.list {
		if err := b.fill(ctx, growSlug, sz.max); err != nil {
			return err
		}
	}
	last := b.signs(ctx, growSlug, fmt.Sprintf("sign POST, %s stored", count(sz.max)), "sign-"+count(sz.max), raw)
	b.growth(first, last)
	if sz.max > sz.list {
		b.list(ctx, cookie, sz.max)
	}

	if err := b.fill(ctx, bundleSlug, sz.bundle); err != nil {
		return err
	}
	// A request the bench gave up on may still run in the server (a
	// console page at a million signatures runs for minutes): it is cut
	// short, and the database closed all the same.
	if err := b.svc.close(ctx); err != nil {
		b.logf("%v", err)
	}
	b.svc = nil
	b.startUp(ctx)
	b.bundles(ctx)
	return nil
}

// measureBundle loads the bundle's campaign, and the growing campaign to
// Max as the full run does (on the embedded database the bundle reads
// every stored signature to find its campaign's), and measures the bundle.
func (b *bench) measureBundle(ctx context.Context) error {
	if err := setUp(ctx, b.svc, []string{growSlug, bundleSlug}); err != nil {
		return err
	}
	if err := b.fill(ctx, growSlug, b.sizes.max); err != nil {
		return err
	}
	if err := b.fill(ctx, bundleSlug, b.sizes.bundle); err != nil {
		return err
	}
	if err := b.svc.close(ctx); err != nil {
		b.logf("%v", err)
	}
	b.svc = nil
	b.bundles(ctx)
	return nil
}

// bundles measures the bundle with each baseline binary and then with
// this one.
func (b *bench) bundles(ctx context.Context) {
	for _, exe := range b.opts.Baselines {
		b.bundle(ctx, exe, " ("+filepath.Base(exe)+")")
	}
	b.bundle(ctx, b.opts.Exe, "")
}

// fill grows a campaign to n signatures and says how long it took.
func (b *bench) fill(ctx context.Context, slug string, n int) error {
	start := time.Now()
	progress := func(have int) { b.logf("loading %s: %d signatures", slug, have) }
	if err := fill(ctx, b.svc, slug, n, progress); err != nil {
		return fmt.Errorf("load %s to %d: %w", slug, n, err)
	}
	b.logf("loaded %s to %d signatures in %s", slug, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// ratioGoal is a GET's goal: at least min times the rate of /healthz.
type ratioGoal struct {
	base, min float64
}

// gets measures GET path; with a goal it adds its row, and /healthz is
// the reference row.
func (b *bench) gets(ctx context.Context, path, profile string, goal *ratioGoal) result {
	b.logf("GET %s", path)
	client := newClient(getWorkers, requestTimeout)
	defer client.CloseIdleConnections()
	from := &clients{}
	stop := b.profile(profile)
	r := load(ctx, getWorkers, b.opts.Duration, func(int) op { return get(client, b.svc.base, path, from) })
	stop()
	rw := row{path: "GET " + path, measured: r.String(), ratio: "reference", goal: "-", err: r.firstErr}
	if goal != nil {
		ratio := r.rate() / goal.base
		rw.ratio = fmt.Sprintf("%.3f × /healthz", ratio)
		rw.goal = fmt.Sprintf("≥ %.1f × /healthz", goal.min)
		rw.met = verdict(ratio >= goal.min)
	}
	b.add(rw)
	return r
}

// signs measures sign POSTs on a campaign against the raw insert rate.
func (b *bench) signs(ctx context.Context, slug, label, profile string, raw float64) result {
	b.logf("%s", label)
	client := newClient(signWorkers, requestTimeout)
	defer client.CloseIdleConnections()
	from := &clients{}
	signers := make([]*signer, signWorkers)
	run := time.Now().UnixNano()
	for w := range signers {
		s, err := newSigner(ctx, client, b.svc.base, slug, fmt.Sprintf("sign-%d-%d", run, w), from, b.opts.MinFillTime)
		if err != nil {
			b.add(row{path: label, err: err})
			return result{}
		}
		// Signer w starts at its w-th supporter, so that the greetings (one
		// in ten) do not all come at the same moment.
		s.n = w
		signers[w] = s
	}
	// A person takes that long to fill in the form.
	time.Sleep(b.opts.MinFillTime + 100*time.Millisecond)
	once, err := signers[0].tokensSignOnce(ctx)
	if err != nil {
		b.add(row{path: label, err: err})
		return result{}
	}
	if once {
		b.logf("a form token signs once: a page load before each signature")
		for _, s := range signers {
			if err := s.loadAhead(ctx); err != nil {
				b.add(row{path: label, err: err})
				return result{}
			}
		}
	}
	stop := b.profile(profile)
	r := load(ctx, signWorkers, b.opts.Duration, func(w int) op { return signers[w].sign })
	stop()
	ratio := r.rate() / raw
	measured := r.String()
	if slices.ContainsFunc(signers, (*signer).pageLoads) {
		measured += ", a page load before each"
	}
	b.add(row{path: "POST /c/{slug}/sign, " + label[len("sign POST, "):], measured: measured,
		ratio: fmt.Sprintf("%.3f × InsertMany", ratio), goal: "≥ 0.5 × InsertMany", met: verdict(ratio >= 0.5), err: r.firstErr})
	return r
}

// growth compares the signing rate at the largest size with the first.
func (b *bench) growth(first, last result) {
	if first.rate() == 0 || last.rate() == 0 {
		b.add(row{path: "sign POST as the campaign grows", err: fmt.Errorf("no signing rate to compare")})
		return
	}
	slower := first.rate() / last.rate()
	b.add(row{path: fmt.Sprintf("sign POST as it grows, %s → %s", count(b.sizes.small), count(b.sizes.max)),
		measured: fmt.Sprintf("%.0f/s → %.0f/s, p99 %s → %s", first.rate(), last.rate(), ms(first.p99), ms(last.p99)),
		ratio:    fmt.Sprintf("%.2f × slower", slower), goal: "≤ 1.2 × slower", met: verdict(slower <= 1.2)})
}

// list times the console's signature list page of the growing campaign.
func (b *bench) list(ctx context.Context, cookie string, n int) {
	label := fmt.Sprintf("console signature list, %s", count(n))
	b.logf("%s", label)
	client := newClient(1, 5*requestTimeout)
	defer client.CloseIdleConnections()
	median, slowest, err := timePage(ctx, client, b.svc.base, "/admin/campaigns/"+campaignID(growSlug)+"/signatures", cookie, 3, b.opts.Duration)
	rw := row{path: label, ratio: "-", goal: "≤ 0.3 s a page", err: err}
	if err == nil {
		rw.measured = fmt.Sprintf("%s a page (slowest %s)", secs(median), secs(slowest))
		rw.met = verdict(median <= 300*time.Millisecond)
	}
	b.add(rw)
}

// startUp restarts solidarity on the loaded folder and times it to /readyz.
func (b *bench) startUp(ctx context.Context) {
	total := b.sizes.base + b.sizes.small + b.sizes.max + b.sizes.bundle
	label := fmt.Sprintf("start-up to /readyz, ~%s stored", count(total))
	b.logf("%s", label)
	c := child{exe: b.opts.Exe, dataDir: filepath.Join(b.dir, "data"), secret: b.secret}
	took, err := c.startUp(ctx, 10*time.Minute)
	rw := row{path: label, ratio: "-", goal: "< 5 s (with 1M)", err: err}
	if err == nil {
		rw.measured = secs(took)
		rw.met = verdict(took < 5*time.Second)
	}
	b.add(rw)
}

// bundle runs `solidarity bundle` of the binary exe for the bundle
// campaign; suffix tells its row from another binary's. With ProfileDir
// set, this binary's build writes its CPU and heap profiles there.
func (b *bench) bundle(ctx context.Context, exe, suffix string) {
	label := fmt.Sprintf("bundle, %s signatures + %s greetings%s", count(b.sizes.bundle), count(b.sizes.bundle/10), suffix)
	b.logf("%s", label)
	c := child{exe: exe, dataDir: filepath.Join(b.dir, "data"), secret: b.secret}
	var profile []string
	if b.opts.ProfileDir != "" && exe == b.opts.Exe {
		profile = []string{"--cpuprofile", filepath.Join(b.opts.ProfileDir, "bundle-cpu.pprof"),
			"--memprofile", filepath.Join(b.opts.ProfileDir, "bundle-heap.pprof")}
	}
	took, rss, err := c.bundle(ctx, bundleSlug, b.dir, 10*time.Minute, profile...)
	rw := row{path: label, ratio: "-", goal: "< 20 s, < 300 MB", err: err}
	if err == nil {
		rw.measured = fmt.Sprintf("%s, %d MB peak RSS", secs(took), rss>>20)
		rw.met = verdict(took < 20*time.Second && rss < 300<<20 && rss > 0)
	}
	b.add(rw)
}

// profile starts a CPU profile written to ProfileDir/name.pprof, when
// both are set, and returns what stops it.
func (b *bench) profile(name string) func() {
	if name == "" || b.opts.ProfileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(b.opts.ProfileDir, name+".pprof"))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		b.logf("no profile %s: %v", name, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		b.logf("wrote %s", f.Name())
	}
}

// add records a row of the table, and logs it at once: a long run that
// is stopped still shows what it measured.
func (b *bench) add(r row) {
	b.rows = append(b.rows, r)
	if r.err != nil {
		b.logf("%s: %s (%v)", r.path, r.measured, r.err)
		return
	}
	b.logf("%s: %s", r.path, r.measured)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.opts.Log, "bench %6.1fs: %s\n", time.Since(b.clock).Seconds(), fmt.Sprintf(format, args...))
}

// count writes a size as the issue does: 5k, 100k, 1M.
func count(n int) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return fmt.Sprintf("%gM", float64(n)/1e6)
	case n >= 1000 && n%100 == 0:
		return fmt.Sprintf("%gk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// secs writes a duration in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
