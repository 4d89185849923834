// Package app builds solidarity from its settings and its database: every
// store and service, the resealer, the bundle jobs, the organisation
// profile's cache, the message and country catalogs, and on request the web
// server. It is the one place that wires them; the serve command, the other
// commands and the tests all use it, so that they run the same code.
//
// The life of an App: New builds it without I/O; Prepare readies the
// database and the memory before the first request (prepare.go); Web builds
// the HTTP server; Run runs the background loops until its context ends
// (run.go). Commands that only read or change a little (bundle, keys,
// user) use the parts they need after New.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/metrics"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/reseal"
	"github.com/solidarity-letters/solidarity/site"
	"github.com/solidarity-letters/solidarity/updates"
	"github.com/solidarity-letters/solidarity/web"
)

// Database is the database the application runs on: *database.DB in
// production, a test database in the tests.
type Database interface {
	// Mongo is the driver's handle the stores use.
	Mongo() *mongo.Database
	// Ping checks that the database answers (/readyz).
	Ping(ctx context.Context) error
	// Scrub makes deleted data unrecoverable from the database's files.
	Scrub(ctx context.Context) error
	// Embedded reports whether the database runs inside this process,
	// which then is its only client.
	Embedded() bool
}

// Options are the application's settings that are not keys or database.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the logs of the services and of the web server; nil
	// discards them.
	Logger *slog.Logger
	// Mail delivers the queued messages to supporters (SMTP or the
	// outbox); nil: they stay queued until a node with one sends them.
	Mail mail.Transport
	// MailRate is how many messages a minute this node sends at most;
	// 0: mail.DefaultRate.
	MailRate int
	// Confirmations sends the messages that ask supporters to confirm a
	// signature (campaign/pending.go); nil: the mail queue.
	Confirmations campaign.Confirmations
	// BaseURL is the site's public address, which messages link to;
	// empty: no update is sent.
	BaseURL string
	// UpdateSettle is how long the news of a campaign stays unchanged
	// before its supporters are told; 0: updates.DefaultSettle.
	UpdateSettle time.Duration
	// RetentionDays and RetentionUnpostedDays set the retention job
	// (campaign.Retention); 0: 30 and 90 days.
	RetentionDays, RetentionUnpostedDays int
	// Backup sets the scheduled backups (internal/backup); an empty Dir:
	// this node makes none, and still shows the other nodes' results. Its
	// Now and Log default to the application's.
	Backup backup.ScheduleOptions
	// Metrics, when set, are told what the web server, the signing and
	// the background jobs do, and count the queues (metrics.go); nil: no
	// metrics are kept.
	Metrics *metrics.Metrics
}

// App is the application: the stores and services over one database, with
// one set of keys. Its fields are for the commands and the tests; treat
// them as read-only.
type App struct {
	// Stores.
	Campaigns *campaign.Store // campaigns, recipients, signatures, counts
	Greetings *letters.Store  // greetings and their names' queue
	Users     *account.Store  // console accounts
	SiteStore *site.Store     // the organisation profile as stored
	Events    *delivery.Store // the delivery log's events

	// Services.
	Signing    *campaign.Service   // campaigns, signing, live counts
	Moderation *letters.Service    // greeting moderation and translation
	Accounts   *account.Service    // sign-in, sessions, user administration
	Partners   *campaign.Partners  // partners, API keys, attribution
	Audit      *audit.Log          // the console's audit log
	Builder    *bundle.Builder     // builds printable bundles
	Bundles    *bundle.Jobs        // bundle builds queued from the console
	PrintRuns  *bundle.PrintRuns   // drives' print runs queued from the console
	Resealer   *reseal.Resealer    // seals stored values under the active key
	Org        *site.Cache         // the organisation profile in memory
	Spent      *abuse.Spent        // the sign forms' tokens that have signed
	Delivery   *delivery.Service   // the delivery log, its public events in memory
	Posts      *posts.Service      // letters and news under /letters, the public ones in memory
	Mail       *mail.Queue         // messages to supporters, sealed until sent
	Mailer     *mail.Composer      // lays out those messages in the supporter's language
	Updates    *updates.Notifier   // tells supporters what happened to their letter
	Retention  *campaign.Retention // forgets what signatures need no more once letters are posted
	Erasures   *campaign.Erasures  // the codes with which supporters erase their own signature
	Backups    *backup.Schedule    // scheduled backups and their results

	// Catalogs.
	Messages  *i18n.Catalog
	Countries *country.Catalog

	db   Database
	keys keys.Keys
	now  func() time.Time
	log  *slog.Logger
	// outbox is the transport when it writes messages into a folder,
	// which Run prunes; nil otherwise.
	outbox *mail.Outbox
	// metrics are the Prometheus metrics; nil when off.
	metrics *metrics.Metrics
}

// New builds the application over db with the keys ks. It does no I/O:
// Prepare readies the database before the first request.
func New(db Database, ks keys.Keys, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	mdb, now, log := db.Mongo(), opts.Now, opts.Logger
	a := &App{db: db, keys: ks, now: now, log: log, metrics: opts.Metrics}

	a.Campaigns = campaign.NewStore(mdb, ks.Data)
	if l, ok := db.(interface{ WriteLock() sync.Locker }); ok {
		a.Campaigns.SetCounterLock(l.WriteLock())
	}
	a.Greetings = letters.NewStore(mdb, ks.Data)
	if l, ok := db.(interface{ WriteLock() sync.Locker }); ok {
		a.Greetings.SetWriteLock(l.WriteLock())
	}
	a.Users = account.NewStore(mdb, ks.Data)
	a.SiteStore = site.NewStore(mdb, now)

	a.Moderation = letters.NewService(a.Greetings, a.Campaigns, now)
	a.Signing = campaign.NewService(a.Campaigns, a.Moderation, ks.Email, now)
	a.Partners = campaign.NewPartners(mdb, a.Signing)
	a.Audit = audit.NewLog(mdb, ks.Data, now)
	var err error
	if a.Messages, err = i18n.Load(); err != nil {
		return nil, fmt.Errorf("load the message catalog: %w", err)
	}
	a.Countries = country.NewCatalog(a.Messages.Languages()...)
	a.Builder = bundle.NewBuilder(a.Signing, a.Greetings, a.Messages)
	a.Bundles = bundle.NewJobs(mdb, ks.Data, a.Builder, a.Audit, now, log.With("component", "bundles"))
	a.PrintRuns = bundle.NewPrintRuns(mdb, ks.Data, a.Builder, a.Audit, now, log.With("component", "print runs"))
	a.Resealer = reseal.New(mdb, ks.Data, a.Campaigns, a.Partners, a.Greetings, a.Users, a.Audit, a.Bundles, now, log.With("component", "reseal"))
	a.Org = site.NewCache(a.SiteStore)
	a.Events = delivery.NewStore(mdb)
	a.Delivery = delivery.NewService(a.Events, a.Bundles, now)
	a.Retention = a.newRetention(opts.RetentionDays, opts.RetentionUnpostedDays)
	a.Spent = abuse.NewSpent(mdb, web.TokenTTL, now)
	a.Posts = posts.NewService(posts.NewStore(mdb, ks.Data), a.Signing, a.Audit, now)
	// Who consented to a post's publication, and the supporters of
	// pending signatures, are sealed: rotated keys seal them anew, and a
	// key they are under is not retired.
	a.Resealer.Add(a.Posts.Store().Fields(), a.Campaigns.PendingFields())
	a.outbox, _ = opts.Mail.(*mail.Outbox)
	mailOpts := mail.Options{Transport: opts.Mail, Rate: opts.MailRate, Now: now, Log: log.With("component", "mail"),
		Observe: opts.Metrics.JobObserver()}
	if l, ok := db.(interface{ WriteLock() sync.Locker }); ok {
		mailOpts.Lock = l.WriteLock()
	}
	a.Mail = mail.New(mdb, ks.Data, ks.Email, mailOpts)
	a.Resealer.Add(a.Mail.Fields())
	if a.Mailer, err = mail.NewComposer(a.Messages, a.Org); err != nil {
		return nil, err
	}
	if opts.Confirmations == nil {
		opts.Confirmations = mailConfirmations{queue: a.Mail, composer: a.Mailer, messages: a.Messages}
	}
	a.Signing.SetConfirmations(opts.Confirmations)
	a.Signing.SetLogger(log.With("component", "signing"))
	a.Signing.SetWithdrawals(mailWithdrawals{queue: a.Mail})
	a.Erasures = campaign.NewErasures(ks.ErasureKey())
	a.Updates = updates.New(mdb, updates.Deps{
		Campaigns: a.Signing, Store: a.Campaigns, Delivery: a.Delivery, Posts: a.Posts,
		Queue: a.Mail, Composer: a.Mailer, Messages: a.Messages,
	}, updates.NewTokens(ks.Links()), updates.Options{
		BaseURL: opts.BaseURL, Settle: opts.UpdateSettle, Now: now, Log: log.With("component", "updates"),
		Observe: opts.Metrics.JobObserver(),
		EraseLink: func(campaignID, id string, signedAt time.Time) string {
			return a.Erasures.Link(opts.BaseURL, campaignID, id, signedAt)
		},
	})
	if opts.Backup.Now == nil {
		opts.Backup.Now = now
	}
	if opts.Backup.Log == nil {
		opts.Backup.Log = log.With("component", "backup")
	}
	a.Backups = backup.NewSchedule(mdb, opts.Backup)
	if a.Accounts, err = account.NewService(a.Users, now); err != nil {
		return nil, fmt.Errorf("build the account service: %w", err)
	}
	if err := a.watch(opts.Metrics); err != nil {
		return nil, err
	}
	return a, nil
}
