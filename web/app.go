// Package web is solidarity's HTTP face: the public campaign pages and the
// signing form, the JSON API and the health checks, on Fiber.
//
// All routes are in routes.go. Handlers are thin: they read the request,
// call the domain services Deps holds, and render a typed page.
// Fiber is imported only in this package.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/metrics"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/site"
	"github.com/solidarity-letters/solidarity/updates"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Scrubber makes erased personal data unrecoverable from the database's
// files (database.DB.Scrub).
type Scrubber interface {
	Scrub(ctx context.Context) error
}

// Config holds the web layer's settings.
type Config struct {
	// BaseURL is the site's public address without a trailing slash; empty
	// means it is taken from each request.
	BaseURL string
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []string
	// FormKey signs form tokens.
	FormKey []byte
	// MinFillTime is how long a person needs at least to fill in the sign
	// form; faster submissions are asked to confirm.
	MinFillTime time.Duration
	// Now is the clock; time.Now in production.
	Now func() time.Time
	// DBTimeout bounds the database work of one public request or API
	// call; zero means DefaultDBTimeout.
	DBTimeout time.Duration
	// ConsoleDBTimeout bounds the database work of one console request;
	// zero means DefaultConsoleDBTimeout.
	ConsoleDBTimeout time.Duration
	// Abuse sets when the sign form asks for a proof of work; the zero
	// value means abuse.DefaultPolicy.
	Abuse abuse.Policy
}

// Deps are the services the web layer calls.
type Deps struct {
	Signing    *campaign.Service  // campaigns, signing, the console's campaign and signature pages, live counts for the API
	Moderation *letters.Service   // greeting moderation and translation
	Bundles    *bundle.Jobs       // print bundles built from the console
	PrintRuns  *bundle.PrintRuns  // a drive's print runs, every recipient's bundle in one archive
	Delivery   *delivery.Service  // the delivery log and the campaign pages' timeline
	Accounts   *account.Service   // sign-in, sessions, the users page
	Audit      *audit.Log         // the console's audit log
	Partners   *campaign.Partners // partners, API keys, attribution (api.go, admin_partners.go)
	Site       *site.Cache        // who runs the site, in memory: every public page shows it
	Posts      *posts.Service     // letters and news under /letters (posts.go, admin_posts.go), and the posts a reply in a timeline links
	DB         Pinger
	Scrubber   Scrubber            // called after a signature is erased
	Spent      *abuse.Spent        // the sign forms' tokens that have signed
	Mail       *mail.Queue         // messages to supporters: the console shows the queue's state
	Erasures   *campaign.Erasures  // the codes with which supporters erase their own signature (erase.go)
	Retention  *campaign.Retention // what the retention job will remove, for the console (admin_privacy.go)
	Updates    *updates.Notifier   // the unsubscribe links of update messages (unsubscribe.go)
	Backups    *backup.Schedule    // the scheduled backups' results, for the dashboard and /readyz; nil: none shown
	Messages   *i18n.Catalog
	Countries  *country.Catalog
	Logger     *slog.Logger
	// Metrics, when set, count and time every request (observe.go); nil:
	// no metrics.
	Metrics *metrics.Metrics
}

// Timeouts and limits of the HTTP server.
const (
	BodyLimit       = 64 << 10
	ReadTimeout     = 15 * time.Second
	WriteTimeout    = 30 * time.Second
	IdleTimeout     = 120 * time.Second
	ShutdownTimeout = 10 * time.Second
)

// Server is the web application.
type Server struct {
	app *fiber.App
	// trusted are the proxies whose X-Forwarded-For is believed.
	trusted []netip.Prefix
	cfg     Config
	deps    Deps
	views   *views
	tokens  tokens
	log     *slog.Logger
	api     apiState     // the public API's cache and rate limits
	pages   *pageCache   // the campaign and home pages, drawn (pagecache.go)
	abuse   abuseState   // the sign form's defences (abuse.go)
	nav     []navLink    // the console's navigation, with its routes' access
	uploads *uploadSlots // the large uploads under way (uploads.go)
	zones   sync.Map     // time zone name → *time.Location (localDay)
	erasing erasePace    // how long self-erasures take (erase.go)
	// directoryList keeps the directory's entries (directory.go).
	directoryList directoryCache

	// serving guards the listener against a shutdown that comes before
	// Fiber has taken it (see Serve).
	serving struct {
		sync.Mutex
		ln      net.Listener
		closing bool
	}
}

// New builds the web application; templates are parsed here, so a broken
// one fails start-up.
func New(cfg Config, deps Deps) (*Server, error) {
	if len(cfg.FormKey) < 32 {
		return nil, errors.New("web: form key must be at least 32 bytes")
	}
	if deps.Site == nil {
		return nil, errors.New("web: the organisation profile (Deps.Site) is required: every public page shows it")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DBTimeout <= 0 {
		cfg.DBTimeout = DefaultDBTimeout
	}
	if cfg.ConsoleDBTimeout <= 0 {
		cfg.ConsoleDBTimeout = DefaultConsoleDBTimeout
	}
	if deps.Scrubber == nil {
		return nil, errors.New("web: a Scrubber is required, or erased signatures would stay in the database files")
	}
	if deps.Spent == nil {
		return nil, errors.New("web: the spent token record (Deps.Spent) is required, or a form token would sign more than once")
	}
	if deps.Retention == nil {
		return nil, errors.New("web: the retention job (Deps.Retention) is required: the console shows its plan")
	}
	if deps.Erasures == nil {
		return nil, errors.New("web: the erasure codes (Deps.Erasures) are required: the thanks page offers one")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	pages, err := newPageCache()
	if err != nil {
		return nil, err
	}
	s := &Server{
		pages:   pages,
		trusted: trusted,
		cfg:     cfg,
		deps:    deps,
		views:   v,
		tokens:  tokens{key: cfg.FormKey, now: cfg.Now, ttl: TokenTTL},
		log:     deps.Logger,
		abuse:   newAbuseState(cfg),
		// Leases are of real time, whatever clock the pages use.
		uploads: newUploadSlots(MaxLargeUploads, 2*ReadTimeout, time.Now),
	}
	s.app = fiber.New(fiber.Config{
		Immutable:               true,
		AppName:                 "solidarity",
		BodyLimit:               BodyLimit,
		ReadTimeout:             ReadTimeout,
		WriteTimeout:            WriteTimeout,
		IdleTimeout:             IdleTimeout,
		DisableStartupMessage:   true,
		ErrorHandler:            s.handleError,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		StrictRouting:           false,
		ServerHeader:            "",
		WriteBufferSize:         32 << 10,
	})
	// Responses sent while shutting down close their connection, so that
	// keep-alive clients do not hold the shutdown up.
	s.app.Server().CloseOnShutdown = true
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.serving.Lock()
	if s.serving.closing {
		s.serving.Unlock()
		return ln.Close()
	}
	s.serving.ln = ln
	s.serving.Unlock()
	err := s.app.Listener(ln)
	s.serving.Lock()
	closing := s.serving.closing
	s.serving.Unlock()
	if err != nil && !closing {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections and waits up to ShutdownTimeout, or
// until ctx ends, for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	timeout := ShutdownTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	s.serving.Lock()
	s.serving.closing = true
	ln := s.serving.ln
	s.serving.Unlock()
	err := s.app.ShutdownWithTimeout(timeout)
	// Fiber closes only a listener it has started to serve: one handed to
	// Serve just before would be served for ever. Closing it again is
	// harmless.
	if ln != nil {
		_ = ln.Close()
	}
	if err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// parsePrefixes reads IP addresses and CIDR ranges.
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		if pre, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pre)
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("web: trusted proxy %q is not an IP address or range", p)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientIP is the client's address, for rate limits (never logged): the
// connection's peer, or, when that is a trusted proxy, the last address in
// X-Forwarded-For that is not a trusted proxy; addresses before it are
// whatever the client claimed and are not believed.
func (s *Server) clientIP(c *fiber.Ctx) string {
	remote, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	remote = remote.Unmap()
	if !s.isTrusted(remote) {
		return remote.String()
	}
	parts := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			break
		}
		if a = a.Unmap(); !s.isTrusted(a) {
			return a.String()
		}
	}
	return remote.String()
}

func (s *Server) isTrusted(a netip.Addr) bool {
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
