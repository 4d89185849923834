package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Mail says how messages to supporters leave: through an SMTP server, or,
// when the demo is on or Outbox asks for it, into the outbox folder
// DATA_DIR/outbox; with neither, they wait in the queue, sealed.
type Mail struct {
	// SMTP is the server; nil: the outbox, or none.
	SMTP *SMTP
	// Outbox writes messages into DATA_DIR/outbox, in the clear, when no
	// SMTP server is set, even with the demo off.
	Outbox bool
	// From is the sender address, "Name <address>" or an address.
	From string
	// Rate is how many messages a minute a node sends at most.
	Rate int
	// DKIMKeyFile, DKIMSelector and DKIMDomain, all set or none, sign
	// every message.
	DKIMKeyFile, DKIMSelector, DKIMDomain string
	// UpdateSettle is how long a campaign's news stays unchanged before
	// the supporters who asked for updates are told.
	UpdateSettle time.Duration
}

// SMTP is an SMTP server as SOLIDARITY_SMTP_URL names it. Its password
// is a secret: nothing prints a Config.
type SMTP struct {
	Host               string
	Port               int
	Username, Password string
	// Security is "starttls" (required, the default), "opportunistic",
	// "none" or "tls" (smtps://).
	Security string
}

// DefaultMailFrom is the sender of the outbox's messages when
// SOLIDARITY_MAIL_FROM is empty.
const DefaultMailFrom = "solidarity@localhost"

func mailSettings() []Setting {
	return []Setting{
		{"SOLIDARITY_SMTP_URL", "", "", "SMTP server for messages to supporters: smtp://user:password@host:587 (STARTTLS required; add ?starttls=opportunistic or ?starttls=off for a relay on the same host) or smtps://user:password@host:465; empty: no mail is sent (messages wait in the queue, sealed), except into the outbox with the demo on or SOLIDARITY_MAIL_OUTBOX", parseSMTPURL},
		{"SOLIDARITY_MAIL_OUTBOX", "", "false", "true: without SOLIDARITY_SMTP_URL, write messages to DATA_DIR/outbox as .eml files, in the clear (addresses and confirmation links), each deleted after 24 hours; for trying solidarity out, never on a real site (on by itself with the demo)", parseMailOutbox},
		{"SOLIDARITY_MAIL_FROM", "", "", "sender of messages to supporters, e.g. \"Letters <letters@example.org>\"; needed with SOLIDARITY_SMTP_URL", parseMailFrom},
		{"SOLIDARITY_MAIL_RATE", "", "60", "messages a minute each node sends at most (1 to 10000)", parseMailRate},
		{"SOLIDARITY_UPDATE_SETTLE", "", "1h", "how long a campaign's news (public delivery events, posts) stays unchanged before supporters who asked for updates are told, so that corrections do not send twice (1m to 48h); needs SOLIDARITY_BASE_URL", parseUpdateSettle},
		{"SOLIDARITY_DKIM_KEY_FILE", "", "", "PEM private key (RSA or Ed25519, readable by its owner only) that DKIM-signs every message; needs the selector and domain", parseDKIMKeyFile},
		{"SOLIDARITY_DKIM_SELECTOR", "", "", "DKIM selector under which the public key is published (selector._domainkey.domain)", parseDKIMSelector},
		{"SOLIDARITY_DKIM_DOMAIN", "", "", "domain that DKIM signatures are made for, usually the sender address's", parseDKIMDomain},
	}
}

// parseSMTPURL reads the SMTP server's URL. Its errors never repeat the
// value: it holds a password.
func parseSMTPURL(c *Config, v string) error {
	c.Mail.SMTP = nil
	if v == "" {
		return nil
	}
	const shape = "must look like smtp://user:password@host:587 or smtps://user:password@host:465 (the value is not shown: it may hold a password)"
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return errors.New(shape)
	}
	s := &SMTP{Host: u.Hostname()}
	if s.Host == "" {
		return errors.New(shape)
	}
	switch u.Scheme {
	case "smtp":
		s.Port, s.Security = 587, "starttls"
	case "smtps":
		s.Port, s.Security = 465, "tls"
	default:
		return errors.New(shape)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return errors.New("has no valid port (1 to 65535)")
		}
		s.Port = n
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return fmt.Errorf("has the unknown parameter %q (only starttls is known)", k)
		}
	}
	if st := q.Get("starttls"); st != "" {
		if u.Scheme == "smtps" {
			return errors.New("smtps:// speaks TLS from the start: starttls does not apply")
		}
		switch st {
		case "required":
		case "opportunistic":
			s.Security = "opportunistic"
		case "off":
			s.Security = "none"
		default:
			return fmt.Errorf("starttls=%q is not required, opportunistic or off", st)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return errors.New("names a password without a user")
		}
		if s.Security == "none" {
			return errors.New("would send the password in plain text: drop starttls=off, or the user and password")
		}
	}
	c.Mail.SMTP = s
	return nil
}

func parseMailOutbox(c *Config, v string) error { return parseSwitch(&c.Mail.Outbox, v) }

func parseMailFrom(c *Config, v string) error {
	c.Mail.From = v
	if v == "" {
		if c.Mail.SMTP != nil {
			return errors.New("is needed with SOLIDARITY_SMTP_URL")
		}
		c.Mail.From = DefaultMailFrom
		return nil
	}
	if _, err := mail.ParseAddress(v); err != nil {
		return fmt.Errorf("%q is not an email address, or a name and an address in angle brackets", v)
	}
	return nil
}

func parseMailRate(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return fmt.Errorf("%q is not a number of messages a minute from 1 to 10000", v)
	}
	c.Mail.Rate = n
	return nil
}

func parseUpdateSettle(c *Config, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute || d > 48*time.Hour {
		return fmt.Errorf("%q is not a duration from 1m to 48h", v)
	}
	c.Mail.UpdateSettle = d
	return nil
}

func parseDKIMKeyFile(c *Config, v string) error {
	c.Mail.DKIMKeyFile = v
	return nil
}

var dkimSelector = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func parseDKIMSelector(c *Config, v string) error {
	if v != "" && !dkimSelector.MatchString(v) {
		return fmt.Errorf("%q is not a DNS label (letters, digits and hyphens)", v)
	}
	c.Mail.DKIMSelector = v
	return nil
}

// parseDKIMDomain comes last of the DKIM settings: it checks that all
// three are set, or none.
func parseDKIMDomain(c *Config, v string) error {
	if v != "" {
		d, err := idna.Lookup.ToASCII(strings.ToLower(v))
		if err != nil || !strings.Contains(d, ".") {
			return fmt.Errorf("%q is not a domain name", v)
		}
		v = d
	}
	c.Mail.DKIMDomain = v
	set := 0
	for _, s := range []string{c.Mail.DKIMKeyFile, c.Mail.DKIMSelector, c.Mail.DKIMDomain} {
		if s != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		return errors.New("SOLIDARITY_DKIM_KEY_FILE, SOLIDARITY_DKIM_SELECTOR and SOLIDARITY_DKIM_DOMAIN go together: set all three, or none")
	}
	return nil
}
