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
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/demo"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/reseal"
	"github.com/solidarity-letters/solidarity/site"
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
  solidarity version           print the version
  solidarity help              show this help

Settings (environment variable, flag, default):
`)
	config.PrintSettings(w)
}

// serve runs the web service until ctx ends, then shuts down in reverse
// order: stop taking requests, finish those in flight, close the database.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	started := time.Now()
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	if cfg.MongoURI == "" {
		if err := database.CheckWritable(cfg.DataDir); err != nil {
			return err
		}
	}
	ks, err := loadKeys(cfg, getenv, func(s string) { logger.Warn(s) })
	if err != nil {
		return err
	}
	var dbLog *slog.Logger
	if cfg.LogLevel <= slog.LevelDebug {
		dbLog = logger.With("component", "ferretdb")
	}
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir, Logger: dbLog})
	if err != nil {
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

	campaigns := campaign.NewStore(db.Database, ks.Data)
	greetings := letters.NewStore(db.Database, ks.Data)
	users := account.NewStore(db.Database, ks.Data)
	moderation := letters.NewService(greetings, campaigns, time.Now)
	signing := campaign.NewService(campaigns, moderation, ks.Email, time.Now)
	partners := campaign.NewPartners(db.Database, signing)
	auditLog := audit.NewLog(db.Database, ks.Data, time.Now)
	bundles := bundle.NewJobs(db.Database, ks.Data, bundle.NewBuilder(signing, greetings), auditLog, time.Now, logger.With("component", "bundles"))
	// Values stored plain by an older version are sealed before anything
	// else touches the collections (a copy the migration was renaming must
	// not meet a collection made anew by an index or the demo) and before
	// the first request. On the embedded database, where it copies each
	// collection, values under a rotated-out key are sealed anew here too;
	// elsewhere the background loop below does that.
	resealer := reseal.New(ks.Data, campaigns, partners, greetings, users, auditLog, bundles, logger.With("component", "reseal"))
	if n, err := resealer.Migrate(ctx, db.Embedded()); err != nil {
		return err
	} else if n > 0 {
		// The plain values it replaced may linger in the write-ahead log.
		if err := db.Scrub(ctx); err != nil {
			return err
		}
	}
	for _, ensure := range []func(context.Context) error{campaigns.EnsureIndexes, greetings.EnsureIndexes, greetings.Names().EnsureIndexes, users.EnsureIndexes} {
		if err := ensure(ctx); err != nil {
			return err
		}
	}
	siteStore := site.NewStore(db.Database, time.Now)
	accounts, err := account.NewService(users, time.Now)
	if err != nil {
		return err
	}
	seeded := false
	if cfg.Demo {
		seeder := demo.Seeder{Campaigns: signing, Greetings: greetings, Site: siteStore, EmailKey: ks.Email, Now: time.Now}
		if seeded, err = seeder.SeedIfEmpty(ctx); err != nil {
			return err
		}
		if seeded {
			logger.Info("seeded the demo campaigns into the empty database", "campaign", "/c/"+demo.OpenSlug)
		}
	}
	if err := firstAdmin(ctx, accounts, cfg, stdout, logger); err != nil {
		return err
	}
	if err := signing.LoadCounts(ctx); err != nil {
		return err
	}
	if err := partners.EnsureIndexes(ctx); err != nil {
		return err
	}
	if _, err := moderation.Prepare(ctx); err != nil {
		return err
	}

	org := site.NewCache(siteStore)
	if err := org.Load(ctx); err != nil {
		return err
	}

	messages, err := i18n.Load()
	if err != nil {
		return err
	}
	app, err := web.New(web.Config{
		BaseURL:        cfg.BaseURL,
		TrustedProxies: cfg.TrustedProxies,
		FormKey:        ks.Form,
		MinFillTime:    minFillTime,
		Now:            time.Now,
	}, web.Deps{
		Campaigns:  signing,
		Console:    signing,
		Moderation: moderation,
		Signatures: signing,
		Accounts:   accounts,
		Users:      accounts,
		Audit:      auditLog,
		Partners:   partners,
		Live:       signing,
		Site:       org,
		Bundles:    bundles,
		DB:         db,
		Scrubber:   db,
		Messages:   messages,
		Countries:  country.NewCatalog(messages.Languages()...),
		Logger:     logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
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
	fmt.Fprintf(stdout, "solidarity is listening on http://%s\n", displayAddr(ln.Addr()))

	// The bundle worker runs until shutdown; a build it had to stop is
	// taken over after a restart.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	worker := make(chan error, 1)
	go func() { worker <- bundles.Run(workerCtx) }()
	defer func() {
		stopWorker()
		err = errors.Join(err, <-worker)
	}()

	resealCtx, stopReseal := context.WithCancel(context.WithoutCancel(ctx))
	resealed := make(chan error, 1)
	go func() { resealed <- resealer.Run(resealCtx) }()
	defer func() {
		stopReseal()
		err = errors.Join(err, <-resealed)
	}()

	// The counts loop shares this node's counts with the others and reads
	// theirs; it writes what it counted last when it stops.
	countsCtx, stopCounts := context.WithCancel(context.WithoutCancel(ctx))
	counts := make(chan error, 1)
	go func() { counts <- signing.Run(countsCtx, logger.With("component", "counts")) }()
	defer func() {
		stopCounts()
		err = errors.Join(err, <-counts)
	}()

	// The organisation profile's loop reads saves made on other nodes.
	orgCtx, stopOrg := context.WithCancel(context.WithoutCancel(ctx))
	orgDone := make(chan struct{})
	go func() { org.Run(orgCtx, logger.With("component", "organisation")); close(orgDone) }()
	defer func() {
		stopOrg()
		<-orgDone
	}()

	served := make(chan error, 1)
	go func() { served <- app.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), web.ShutdownTimeout)
	defer cancel()
	if err := app.Shutdown(shutdownCtx); err != nil {
		// Connections still open after the timeout are cut; what was
		// acknowledged is already stored.
		logger.Warn("shutdown timed out", "error", err)
	}
	return <-served
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
