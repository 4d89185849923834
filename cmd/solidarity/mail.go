package main

import (
	"crypto"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/mail"
)

// mailTransport builds what delivers the messages to supporters: the SMTP
// server of the settings; else, with the demo on or the outbox asked for,
// the outbox folder in the data folder, which holds the messages in the
// clear; else none (nil), and messages wait in the queue, sealed, until a
// node with SMTP sends them. It reads the DKIM key, which must be its
// owner's alone. It logs where mail goes, never the SMTP password.
func mailTransport(cfg config.Config, logger *slog.Logger) (mail.Transport, error) {
	sender := mail.Sender{From: cfg.Mail.From}
	if cfg.Mail.DKIMKeyFile != "" {
		key, err := readDKIMKey(cfg.Mail.DKIMKeyFile)
		if err != nil {
			return nil, fmt.Errorf("setting SOLIDARITY_DKIM_KEY_FILE: %w", err)
		}
		sender.DKIM = &mail.DKIM{Domain: cfg.Mail.DKIMDomain, Selector: cfg.Mail.DKIMSelector, Key: key}
	}
	log := logger.With("component", "mail")
	if s := cfg.Mail.SMTP; s != nil {
		t, err := mail.NewSMTP(sender, mail.SMTPOptions{Host: s.Host, Port: s.Port, Username: s.Username,
			Password: s.Password, Security: mail.Security(s.Security)})
		if err != nil {
			return nil, fmt.Errorf("setting SOLIDARITY_SMTP_URL: %w", err)
		}
		log.Info("mail goes through SMTP", "host", s.Host, "port", s.Port, "security", s.Security,
			"authenticated", s.Username != "", "dkim", sender.DKIM != nil, "per_minute", cfg.Mail.Rate)
		return t, nil
	}
	if !cfg.Demo && !cfg.Mail.Outbox {
		log.Warn("mail is not being sent: no SMTP server is set (SOLIDARITY_SMTP_URL); messages to supporters wait in the queue, sealed, until a node with one sends them")
		return nil, nil
	}
	dir := filepath.Join(cfg.DataDir, "outbox")
	t, err := mail.NewOutbox(dir, sender, log)
	if err != nil {
		return nil, err
	}
	log.Warn("no SMTP server is set (SOLIDARITY_SMTP_URL): messages are written to the outbox in the clear, each kept 24 hours; never use it on a real site", "folder", dir,
		"demo", cfg.Demo, "outbox_setting", cfg.Mail.Outbox)
	return t, nil
}

// readDKIMKey reads the PEM private key at path, which no other user may
// read.
func readDKIMKey(path string) (crypto.Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read the DKIM key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the DKIM key: %w", err)
	}
	return mail.ParseDKIMKey(b)
}
