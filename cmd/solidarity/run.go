package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/cmd/solidarity/demo"
	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/metrics"
	"github.com/solidarity-letters/solidarity/web"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// minFillTime is how long a person takes at least to fill in the sign form.
const minFillTime = 2 * time.Second

// run is the whole program: it chooses the subcommand and runs it until
// ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			switch cmd {
			case "user":
				fmt.Fprint(stdout, userUsage)
				return nil
			case "bundle":
				fmt.Fprint(stdout, bundleUsage)
				return nil
			case "keys":
				fmt.Fprint(stdout, keysUsage)
				return nil
			case "bench":
				fmt.Fprint(stdout, benchUsage)
				return nil
			case "healthcheck":
				fmt.Fprint(stdout, healthcheckUsage)
				return nil
			case "backup":
				fmt.Fprint(stdout, backupUsage)
				return nil
			case "restore":
				fmt.Fprint(stdout, restoreUsage)
				return nil
			}
			cmd = "help"
		}
	}
	switch cmd {
	case "user":
		return user(ctx, args, getenv, stdin, stdout, stderr)
	case "bundle":
		return bundleCmd(ctx, args, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, args, getenv, stdout, stderr, countSealed)
	case "bench":
		return benchCmd(ctx, args, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, stdout)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args, getenv, stdout, stderr)
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "solidarity", version)
		return nil
	case "help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown subcommand %q", cmd)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `solidarity: letter and petition campaigns for people imprisoned for who they are or what they said.

Usage:
  solidarity [serve] [flags]   run the web service (the default)
  solidarity user ...          manage console accounts (solidarity user --help)
  solidarity bundle ...        build a campaign's printable bundle (solidarity bundle --help)
  solidarity keys ...          where the keys live, rotation (solidarity keys --help)
  solidarity bench ...         measure speed on a fresh embedded database (solidarity bench --help)
  solidarity healthcheck       exit 0 when the running server is ready (solidarity healthcheck --help)
  solidarity backup ...        encrypted backups, their keys and checks (solidarity backup --help)
  solidarity restore ...       load a backup into an empty database (solidarity restore --help)
  solidarity version           print the version
  solidarity help              show this help

Settings (environment variable, flag, default):
`)
	config.PrintSettings(w)
}

// serve runs the web service until ctx ends, then shuts down in reverse
// order: stop taking requests, finish those in flight, stop the background
// loops, close the database.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	started := time.Now()
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg)
	if cfg.PprofAddr != "" {
		// Started first, so that start-up can be profiled too.
		stopPprof, perr := startPprof(cfg.PprofAddr, logger)
		if perr != nil {
			return perr
		}
		// The named result, not a shadow inside this block: the
		// profiler's shutdown error is returned.
		defer func() { err = errors.Join(err, stopPprof()) }()
	}
	// Metrics are kept only when they are served.
	var m *metrics.Metrics
	if cfg.Metrics.Addr != "" {
		m = metrics.New()
	}
	if cfg.MongoURI == "" {
		if err := database.CheckWritable(cfg.DataDir); err != nil {
			return err
		}
	}
	ks, err := loadKeys(cfg, getenv, func(s string) { logger.Warn(s) })
	if err != nil {
		return err
	}
	// A bad DKIM key or an outbox that cannot be made stops start-up
	// before the database opens.
	mailer, err := mailTransport(cfg, logger)
	if err != nil {
		return err
	}

	var dbLog *slog.Logger
	if cfg.LogLevel <= slog.LevelDebug {
		dbLog = logger.With("component", "ferretdb")
	}
	// A MongoDB server that is not up yet is waited for, with backoff; a
	// stop (Ctrl-C, SIGTERM) during the wait ends serve without an error.
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir, Logger: dbLog,
		Wait: true, WaitLog: logger.With("component", "database"), Monitor: m.CommandMonitor()})
	if err != nil {
		if ctx.Err() != nil && cfg.MongoURI != "" {
			logger.Info("stopped while waiting for the database")
			return nil
		}
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, db.Close(closeCtx))
	}()
	// Before anything is written: never seal with keys that are not the
	// database's.
	if err := keys.Check(ctx, db.Database, ks, time.Now()); err != nil {
		return err
	}
	logger.Info("keys", "from", ks.Source.String(), "active_data_key", ks.Data.Active())

	backups, err := backupSchedule(cfg)
	if err != nil {
		return err
	}
	a, err := app.New(db, ks, app.Options{Logger: logger, Mail: mailer, MailRate: cfg.Mail.Rate, BaseURL: cfg.BaseURL,
		UpdateSettle: cfg.Mail.UpdateSettle, RetentionDays: cfg.Retention.PostedDays, RetentionUnpostedDays: cfg.Retention.UnpostedDays,
		Backup: backups, Metrics: m})
	if err != nil {
		return err
	}
	if err := a.Prepare(ctx); err != nil {
		return err
	}
	if cfg.Demo {
		if err := seedDemo(ctx, a, ks, logger); err != nil {
			return err
		}
	}
	if err := firstAdmin(ctx, a.Accounts, cfg, stdout, logger); err != nil {
		return err
	}
	policy := abuse.DefaultPolicy()
	if !cfg.ProofOfWork {
		policy = abuse.NeverAsk()
	}
	srv, err := a.Web(web.Config{BaseURL: cfg.BaseURL, TrustedProxies: cfg.TrustedProxies, MinFillTime: minFillTime, Abuse: policy})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if m != nil {
		// Stopped after the web server (deferred before it stops), so
		// that the last requests can still be scraped until then.
		var stopMetrics func() error
		if stopMetrics, err = startMetrics(cfg.Metrics.Addr, m, logger); err != nil {
			ln.Close()
			return err
		}
		defer func() { err = errors.Join(err, stopMetrics()) }()
	}
	logReady(logger, db, cfg, ln, started)
	fmt.Fprintf(stdout, "solidarity is listening on http://%s\n", displayAddr(ln.Addr()))

	// The background loops stop after the web server, and before the
	// database closes.
	loopsCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	loops := make(chan error, 1)
	go func() { loops <- a.Run(loopsCtx) }()
	defer func() {
		stopLoops()
		err = errors.Join(err, <-loops)
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), web.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Connections still open after the timeout are cut; what was
		// acknowledged is already stored.
		logger.Warn("shutdown timed out", "error", err)
	}
	return <-served
}

// seedDemo writes the demo campaigns into an empty database, and then
// reloads what the services keep in memory, since the seed writes to the
// stores behind their backs.
func seedDemo(ctx context.Context, a *app.App, ks keys.Keys, logger *slog.Logger) error {
	seeder := demo.Seeder{Campaigns: a.Signing, Greetings: a.Greetings, Site: a.SiteStore, Delivery: a.Delivery, EmailKey: ks.Email, Posts: a.Posts, Now: time.Now}
	seeded, err := seeder.SeedIfEmpty(ctx)
	if err != nil || !seeded {
		return err
	}
	logger.Info("seeded the demo campaigns into the empty database", "campaign", "/c/"+demo.OpenSlug)
	// The seed's counts go to the counter documents now, which the next
	// start reads, rather than at the first tick of the counts loop.
	if err := a.Signing.Refresh(ctx); err != nil {
		return fmt.Errorf("write the demo's counts: %w", err)
	}
	return a.Reload(ctx)
}

// logReady logs that the service is ready, and warns when the base URL is
// missing where requests may come from elsewhere.
func logReady(logger *slog.Logger, db *database.DB, cfg config.Config, ln net.Listener, started time.Time) {
	dbKind := "MongoDB"
	if db.Embedded() {
		dbKind = "embedded FerretDB in " + cfg.DataDir
	}
	if cfg.BaseURL == "" {
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			logger.Warn("SOLIDARITY_BASE_URL is not set: share links and the origin check of forms take the site's address from each request's Host header; set it in production")
		}
	}
	logger.Info("ready", "database", dbKind, "startup_ms", time.Since(started).Milliseconds())
}

// displayAddr turns a listening address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// firstAdmin creates the first admin account when none exists: from
// SOLIDARITY_ADMIN_EMAIL and SOLIDARITY_ADMIN_PASSWORD when set, else, in
// demo mode, the demo admin with a random password that is printed once on
// the terminal (never logged) and must be changed. No start ever creates an
// account with a password anyone could read elsewhere.
func firstAdmin(ctx context.Context, accounts *account.Service, cfg config.Config, stdout io.Writer, logger *slog.Logger) error {
	// An older version made the demo admin with a published password.
	replaced, err := accounts.ReplacePublishedPassword(ctx)
	if err != nil {
		return err
	}
	if replaced != "" {
		logger.Warn("the demo admin still had the published password of older versions: it now has a random one, printed once on the terminal")
		printDemoLogin(stdout, replaced)
	}
	if cfg.AdminEmail != "" {
		created, err := accounts.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return err
		}
		if created {
			logger.Info("created the first admin account from SOLIDARITY_ADMIN_EMAIL")
		}
		return nil
	}
	if !cfg.Demo {
		has, err := accounts.Store().HasUsers(ctx)
		if err != nil {
			return err
		}
		if !has {
			logger.Warn("no console account exists: create one with `solidarity user add --role admin --email …` or set SOLIDARITY_ADMIN_EMAIL and SOLIDARITY_ADMIN_PASSWORD")
		}
		return nil
	}
	password, err := accounts.EnsureDemoAdmin(ctx)
	if err != nil || password == "" {
		return err
	}
	printDemoLogin(stdout, password)
	return nil
}

// printDemoLogin shows the demo admin's new password, once.
func printDemoLogin(stdout io.Writer, password string) {
	fmt.Fprintf(stdout, `
Demo console login (shown only this once; the console asks for a new password):
  email:    %s
  password: %s
Change it under "Your account" in the console, or with
  solidarity user passwd --email %s

`, account.DemoAdminEmail, password, account.DemoAdminEmail)
}
