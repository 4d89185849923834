package mail

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
)

// Security is how an SMTP connection is encrypted.
type Security string

// The ways of encrypting an SMTP connection.
const (
	// SecurityStartTLS requires STARTTLS: a server that does not offer it
	// gets nothing (the default).
	SecurityStartTLS Security = "starttls"
	// SecurityOpportunistic uses STARTTLS when the server offers it.
	SecurityOpportunistic Security = "opportunistic"
	// SecurityNone sends in plain text, for a relay on the same host.
	SecurityNone Security = "none"
	// SecurityTLS speaks TLS from the start (smtps, port 465).
	SecurityTLS Security = "tls"
)

// DKIM signs outgoing messages for Domain with the key published under
// Selector.
type DKIM struct {
	Domain, Selector string
	Key              crypto.Signer
}

// ParseDKIMKey reads a PEM private key (RSA in PKCS#1 or PKCS#8, or
// Ed25519) for DKIM.
func ParseDKIMKey(pem []byte) (crypto.Signer, error) {
	k, err := gomail.PrivKeyFromPEM(pem)
	if err != nil {
		return nil, fmt.Errorf("read DKIM key: %w", err)
	}
	return k, nil
}

// Sender is what every transport writes: the From address and the
// optional DKIM signature.
type Sender struct {
	// From is the sender, "Name <address>" or an address.
	From string
	// DKIM, when set, signs every message.
	DKIM *DKIM
}

// build makes the MIME message of m.
func (s Sender) build(m *Outgoing) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("%w: the sender address is invalid: %w", ErrPermanent, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: the recipient address is invalid", ErrPermanent)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.Date)
	msg.SetMessageID()
	for name, value := range m.Headers {
		msg.SetGenHeader(gomail.Header(name), value)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if s.DKIM != nil {
		if err := s.sign(msg, m); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// signedHeaders are the header fields a DKIM signature covers, besides a
// message's extra ones (List-Unsubscribe must be signed for one-click
// unsubscribing, RFC 8058).
var signedHeaders = []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}

// sign adds the DKIM signature of msg as it is written. It uses
// go-msgauth's signer: go-mail's own folds the list of signed fields
// inside a field's name once it is long, which no verifier accepts. The
// message's boundary, date and Message-ID are fixed once it is first
// written, so it is sent exactly as it was signed.
func (s Sender) sign(msg *gomail.Msg, m *Outgoing) error {
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return fmt.Errorf("%w: write message: %w", ErrPermanent, err)
	}
	keys := slices.Clone(signedHeaders)
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		keys = append(keys, name)
	}
	signer, err := dkim.NewSigner(&dkim.SignOptions{Domain: s.DKIM.Domain, Selector: s.DKIM.Selector,
		Signer: s.DKIM.Key, HeaderKeys: keys})
	if err != nil {
		return fmt.Errorf("%w: DKIM: %w", ErrPermanent, err)
	}
	if _, err := signer.Write(b.Bytes()); err != nil {
		return errors.Join(fmt.Errorf("%w: DKIM: %w", ErrPermanent, err), signer.Close())
	}
	if err := signer.Close(); err != nil {
		return fmt.Errorf("%w: DKIM: %w", ErrPermanent, err)
	}
	value := strings.TrimSuffix(strings.TrimPrefix(signer.Signature(), "DKIM-Signature: "), "\r\n")
	msg.SetGenHeaderPreformatted("DKIM-Signature", value)
	return nil
}

// SMTPOptions say how to reach the SMTP server.
type SMTPOptions struct {
	Host string
	Port int
	// Username and Password, when set, authenticate (the best mechanism
	// the server offers).
	Username, Password string
	Security           Security
	// TLSConfig, when set, replaces the system's roots (for tests).
	TLSConfig *tls.Config
	// Timeout bounds each connection; 0: 30 s.
	Timeout time.Duration
	// HELO is the name the client gives; empty: the host's name.
	HELO string
}

// SMTP delivers through an SMTP server, one connection per message.
type SMTP struct {
	sender Sender
	opts   SMTPOptions
}

// NewSMTP returns the transport through the server of opts.
func NewSMTP(sender Sender, opts SMTPOptions) (*SMTP, error) {
	if opts.Host == "" || opts.Port <= 0 {
		return nil, errors.New("SMTP server needs a host and a port")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Security == "" {
		opts.Security = SecurityStartTLS
	}
	return &SMTP{sender: sender, opts: opts}, nil
}

// client makes the client of one connection.
func (s *SMTP) client() (*gomail.Client, error) {
	o := s.opts
	tlsConfig := o.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = o.Host
	}
	opts := []gomail.Option{gomail.WithPort(o.Port), gomail.WithTimeout(o.Timeout), gomail.WithTLSConfig(tlsConfig)}
	switch o.Security {
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case SecurityOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if o.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(o.Username), gomail.WithPassword(o.Password))
	}
	if o.HELO != "" {
		opts = append(opts, gomail.WithHELO(o.HELO))
	}
	c, err := gomail.NewClient(o.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return c, nil
}

// Send delivers m. An answer in 5xx from the server wraps ErrPermanent;
// an answer in 4xx, a network failure or a refused STARTTLS is temporary.
func (s *SMTP) Send(ctx context.Context, m *Outgoing) error {
	msg, err := s.sender.build(m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return fmt.Errorf("%w: SMTP %d: %w", ErrPermanent, se.ErrorCode(), err)
	}
	return fmt.Errorf("SMTP %s:%d: %w", s.opts.Host, s.opts.Port, err)
}

// Outbox writes each message as an .eml file into a folder instead of
// sending it, so that a site without SMTP (the demo, a laptop) shows what
// it would send. The folder is 0700 and the files 0600: they hold
// addresses.
type Outbox struct {
	dir    string
	sender Sender
	log    *slog.Logger
}

// NewOutbox returns the outbox in dir, which it creates. It logs each
// message's kind and subject, never its address.
func NewOutbox(dir string, sender Sender, log *slog.Logger) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the outbox: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restrict the outbox to its owner: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{dir: dir, sender: sender, log: log}, nil
}

// Dir is the outbox's folder.
func (o *Outbox) Dir() string { return o.dir }

// OutboxKeep is how long the outbox keeps a message: long enough to read
// it, short enough that the folder is not a list of supporters' addresses.
const OutboxKeep = 24 * time.Hour

// Prune deletes the messages written more than OutboxKeep before now, and
// returns how many it deleted. Each holds an address in the clear.
func (o *Outbox) Prune(now time.Time) (int, error) {
	files, err := filepath.Glob(filepath.Join(o.dir, "*.eml"))
	if err != nil {
		return 0, fmt.Errorf("prune the outbox: %w", err)
	}
	n := 0
	var errs []error
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil || now.Sub(info.ModTime()) <= OutboxKeep {
			continue // gone meanwhile, or still kept
		}
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("prune the outbox: %w", errors.Join(errs...))
	}
	return n, nil
}

// Send writes m into the outbox as <date>-<kind>-<id>.eml.
func (o *Outbox) Send(_ context.Context, m *Outgoing) error {
	msg, err := o.sender.build(m)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return fmt.Errorf("%w: write message: %w", ErrPermanent, err)
	}
	name := fmt.Sprintf("%s-%s-%s.eml", m.Date.UTC().Format("20060102T150405Z"), m.Kind, m.ID)
	tmp, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write to the outbox: %w", err)
	}
	_, err = tmp.Write(b.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(o.dir, name))
	}
	if err != nil {
		return errors.Join(fmt.Errorf("write to the outbox: %w", err), os.Remove(tmp.Name()))
	}
	o.log.Info("mail written to the outbox", "kind", m.Kind, "subject", strings.TrimSpace(m.Subject), "file", name)
	return nil
}
