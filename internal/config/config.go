// Package config reads solidarity's settings from environment variables and
// command-line flags and checks them. The keys themselves are package keys'
// business.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/solidarity-letters/solidarity/internal/keys"
)

// Config holds every setting of the serve command, checked.
type Config struct {
	Addr           string
	MongoURI       string
	DataDir        string
	BaseURL        string // without a trailing slash; empty: taken from each request
	Secret         string // SOLIDARITY_SECRET; empty: read from SecretFile or the default key file
	SecretFile     string // SOLIDARITY_SECRET_FILE; empty: the default key file
	Demo           bool
	TrustedProxies []string
	LogLevel       slog.Level
	// AdminEmail and AdminPassword create the first admin on an empty
	// database.
	AdminEmail    string
	AdminPassword string
	// PprofAddr is where net/http/pprof listens, on a loopback address
	// only; empty: nowhere.
	PprofAddr string
	// ProofOfWork lets the sign form ask for a proof of work when signing
	// looks like an attack; false never asks.
	ProofOfWork bool
	// Mail says how messages to supporters leave (mail.go).
	Mail Mail
	// Retention says how long supporters' addresses are kept.
	Retention Retention
	// Backup sets the scheduled backups.
	Backup Backup
	// LogFormat is LogText or LogJSON.
	LogFormat string
	// Metrics says where the Prometheus metrics are served (ops.go).
	Metrics Metrics
}

// Setting describes one setting for parsing and for --help.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	apply   func(c *Config, value string) error
}

// Settings lists every setting in the order --help shows them.
func Settings() []Setting {
	return append([]Setting{
		{"SOLIDARITY_ADDR", "addr", ":8080", "address the web server listens on (host:port)", parseAddr},
		{"MONGODB_URI", "mongodb-uri", "", "MongoDB connection string; empty starts the embedded database in the data folder", parseMongoURI},
		{"SOLIDARITY_DATA_DIR", "data-dir", "./data", "folder for the embedded database; never holds the keys", parseDataDir},
		{"SOLIDARITY_BASE_URL", "base-url", "", "public address of the site, e.g. https://letters.example.org; used for share links and origin checks", parseBaseURL},
		{"SOLIDARITY_SECRET", "", "", "root secret for email hashes, form tokens and data keys, at least 32 characters; wins over the key file", parseSecret},
		{"SOLIDARITY_SECRET_FILE", "", "", "key file outside the data folder; empty: the config folder's solidarity/keys (e.g. ~/.config/solidarity/keys), created on first start", parseSecretFile},
		{"SOLIDARITY_DEMO", "demo", "true", "seed a demo campaign into an empty database (true or false)", parseDemo},
		{"SOLIDARITY_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated IPs or CIDR ranges of reverse proxies whose X-Forwarded-* headers are believed", parseProxies},
		{"SOLIDARITY_ADMIN_EMAIL", "", "", "email of the first admin, created when no account exists", parseAdminEmail},
		{"SOLIDARITY_ADMIN_PASSWORD", "", "", "password of that first admin (12 to 256 characters); remove it from the environment afterwards", parseAdminPassword},
		{"SOLIDARITY_LOG_LEVEL", "log-level", "info", "debug, info, warn or error; debug also shows the embedded database's logs", parseLogLevel},
		{"SOLIDARITY_PPROF_ADDR", "", "", "loopback address (e.g. 127.0.0.1:6060) for Go's profiler, net/http/pprof, on a listener of its own; empty: off", parsePprofAddr},
		{"SOLIDARITY_PROOF_OF_WORK", "", "on", "on: the sign form asks for a proof of work (or a short wait) when signing looks like an attack; off: never, e.g. behind a proxy that hides client addresses", parseProofOfWork},
	}, append(append(append(mailSettings(), retentionSettings()...), opsSettings()...), backupSettings()...)...)
}

// Load reads the settings: defaults, then environment variables through
// getenv, then the flags in args. An invalid value is an error that names
// the setting.
func Load(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settings := Settings()
	values := make(map[string]*string, len(settings))
	var errs []error
	for _, s := range settings {
		v := s.Default
		if env := getenv(s.Env); env != "" {
			v = env
		}
		if fromFile(s.Env) {
			if v2, ok, err := readSettingFile(s.Env, getenv); err != nil {
				errs = append(errs, err)
			} else if ok {
				v = v2
			}
		}
		values[s.Env] = &v
		if s.Flag != "" {
			fs.StringVar(values[s.Env], s.Flag, v, s.Usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("serve: %w", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	for _, s := range settings {
		if err := s.apply(&c, strings.TrimSpace(*values[s.Env])); err != nil {
			name := s.Env
			if s.Flag != "" {
				name += " (--" + s.Flag + ")"
			}
			errs = append(errs, fmt.Errorf("setting %s: %w", name, err))
		}
	}
	if c.Mail.SMTP != nil && c.BaseURL == "" {
		// Links in real mail (confirmation, unsubscribe, erasure) would
		// otherwise take the host of whatever request made them, which a
		// forged Host header chooses: a confirmation link that leads
		// elsewhere. The outbox sends nothing, so the demo needs none.
		errs = append(errs, errors.New("setting SOLIDARITY_BASE_URL: required when SOLIDARITY_SMTP_URL is set, for the links in messages"))
	}
	if err := checkMetrics(c.Metrics); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// fromFile reports whether the setting env, which holds a password, may
// also be read from the file that env+"_FILE" names, as Docker and
// Kubernetes secrets are mounted: a secret in the environment shows in
// `docker inspect` and in /proc.
func fromFile(env string) bool {
	switch env {
	case "MONGODB_URI", "SOLIDARITY_SMTP_URL", "SOLIDARITY_ADMIN_PASSWORD", "SOLIDARITY_BACKUP_RECIPIENT":
		return true
	}
	return false
}

// readSettingFile reads the setting env from the file env+"_FILE" names,
// without its surrounding white space; ok is false when that is unset.
// Setting both is an error, so that nobody wonders which one won.
func readSettingFile(env string, getenv func(string) string) (value string, ok bool, err error) {
	path := getenv(env + "_FILE")
	if path == "" {
		return "", false, nil
	}
	if getenv(env) != "" {
		return "", false, fmt.Errorf("setting %s: set it or %s_FILE, not both", env, env)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("setting %s_FILE: %w", env, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", false, fmt.Errorf("setting %s_FILE: %s is empty", env, path)
	}
	return v, true, nil
}

// PrintSettings writes the settings table that --help shows.
func PrintSettings(w io.Writer) {
	for _, s := range Settings() {
		flagName := ""
		if s.Flag != "" {
			flagName = "--" + s.Flag
		}
		def := s.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "  %-27s %-18s default %s\n      %s\n", s.Env, flagName, def, s.Usage)
		if fromFile(s.Env) {
			fmt.Fprintf(w, "  %-27s %-18s\n      a file holding %s's value instead (a Docker secret); not with %s itself\n", s.Env+"_FILE", "", s.Env, s.Env)
		}
	}
}

func parseAddr(c *Config, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port (0 to 65535)", v)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("%q: host must be an IP address, localhost or empty", v)
		}
	}
	c.Addr = v
	return nil
}

func parseMongoURI(c *Config, v string) error {
	if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
		return errors.New("must start with mongodb:// or mongodb+srv://")
	}
	c.MongoURI = v
	return nil
}

func parseDataDir(c *Config, v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	c.DataDir = v
	return nil
}

func parseBaseURL(c *Config, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https address", v)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not have a query, fragment or user", v)
	}
	// Browsers send Origin in this form: lower-case host, no default port.
	host, err := idna.Lookup.ToASCII(strings.ToLower(u.Hostname()))
	if err != nil {
		return fmt.Errorf("%q has an invalid host name: %w", v, err)
	}
	if port := u.Port(); port != "" && !(u.Scheme == "http" && port == "80") && !(u.Scheme == "https" && port == "443") {
		host = net.JoinHostPort(host, port)
	}
	u.Host = host
	c.BaseURL = strings.TrimRight(u.String(), "/")
	return nil
}

func parseSecret(c *Config, v string) error {
	if v != "" && len(v) < keys.MinSecretLength {
		return fmt.Errorf("is %d characters long, needs at least %d (e.g. openssl rand -hex 32)", len(v), keys.MinSecretLength)
	}
	c.Secret = v
	return nil
}

func parseSecretFile(c *Config, v string) error {
	if strings.HasSuffix(v, "/") {
		return fmt.Errorf("%q names a folder; name the key file in it", v)
	}
	c.SecretFile = v
	return nil
}

func parseDemo(c *Config, v string) error { return parseSwitch(&c.Demo, v) }

func parseProofOfWork(c *Config, v string) error { return parseSwitch(&c.ProofOfWork, v) }

// parseSwitch reads an on or off setting into to.
func parseSwitch(to *bool, v string) error {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		*to = true
	case "0", "false", "no", "off":
		*to = false
	default:
		return fmt.Errorf("%q is not on or off", v)
	}
	return nil
}

func parseProxies(c *Config, v string) error {
	c.TrustedProxies = nil
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return fmt.Errorf("%q is not an IP address or CIDR range", p)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return nil
}

func parseLogLevel(c *Config, v string) error {
	if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
		return fmt.Errorf("%q is not debug, info, warn or error", v)
	}
	return nil
}

func parseAdminEmail(c *Config, v string) error {
	if v != "" {
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v {
			return fmt.Errorf("%q is not an email address", v)
		}
	}
	c.AdminEmail = v
	return nil
}

func parseAdminPassword(c *Config, v string) error {
	if n := len([]rune(v)); v != "" && (n < 12 || n > 256) {
		return errors.New("must be 12 to 256 characters long")
	}
	if v != "" && c.AdminEmail == "" {
		return errors.New("is set but SOLIDARITY_ADMIN_EMAIL is not")
	}
	if v == "" && c.AdminEmail != "" {
		return errors.New("is needed with SOLIDARITY_ADMIN_EMAIL")
	}
	c.AdminPassword = v
	return nil
}

// parsePprofAddr accepts only a loopback address: the profiler shows the
// program's memory and must never be reachable from elsewhere.
func parsePprofAddr(c *Config, v string) error {
	if v == "" {
		c.PprofAddr = ""
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:6060)", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port (0 to 65535)", v)
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost): the profiler must not be reachable from other machines", v)
		}
	}
	c.PprofAddr = v
	return nil
}
