package config_test

import (
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/config"
)

func TestMailSettings(t *testing.T) {
	t.Parallel()
	c, err := config.Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTP != nil || c.Mail.Outbox || c.Mail.From != config.DefaultMailFrom || c.Mail.Rate != 60 {
		t.Errorf("defaults %+v, want no SMTP, no outbox, %s and 60 a minute", c.Mail, config.DefaultMailFrom)
	}
	if c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_MAIL_OUTBOX": "true"})); err != nil || !c.Mail.Outbox {
		t.Errorf("SOLIDARITY_MAIL_OUTBOX=true: outbox %v, %v; want on", c.Mail.Outbox, err)
	}
	if _, err := config.Load(nil, env(map[string]string{"SOLIDARITY_MAIL_OUTBOX": "maybe"})); err == nil || !strings.Contains(err.Error(), "SOLIDARITY_MAIL_OUTBOX") {
		t.Errorf("SOLIDARITY_MAIL_OUTBOX=maybe: %v, want an error naming the setting", err)
	}
	for _, tc := range []struct {
		url  string
		want config.SMTP
	}{
		{"smtp://mailer:p%40ss%2Fword@mail.example.org", config.SMTP{Host: "mail.example.org", Port: 587, Username: "mailer", Password: "p@ss/word", Security: "starttls"}},
		{"smtp://mail.example.org:2525?starttls=opportunistic", config.SMTP{Host: "mail.example.org", Port: 2525, Security: "opportunistic"}},
		{"smtp://localhost:25?starttls=off", config.SMTP{Host: "localhost", Port: 25, Security: "none"}},
		{"smtps://u:p@[2001:db8::1]", config.SMTP{Host: "2001:db8::1", Port: 465, Username: "u", Password: "p", Security: "tls"}},
	} {
		c, err := config.Load(nil, env(map[string]string{"SOLIDARITY_SMTP_URL": tc.url, "SOLIDARITY_MAIL_FROM": "Letters <letters@example.org>",
			"SOLIDARITY_BASE_URL": "https://letters.example.org"}))
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if c.Mail.SMTP == nil || *c.Mail.SMTP != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.url, c.Mail.SMTP, tc.want)
		}
	}
	c, err = config.Load(nil, env(map[string]string{"SOLIDARITY_DKIM_KEY_FILE": "/etc/dkim.pem", "SOLIDARITY_DKIM_SELECTOR": "s2026",
		"SOLIDARITY_DKIM_DOMAIN": "Example.ORG", "SOLIDARITY_MAIL_RATE": "600"}))
	if err != nil || c.Mail.DKIMDomain != "example.org" || c.Mail.Rate != 600 {
		t.Errorf("DKIM and rate: %+v, %v", c.Mail, err)
	}
}

func TestMailSettingsRejected(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-secret"
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SOLIDARITY_SMTP_URL": "http://u:" + secret + "@x.org", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "SOLIDARITY_SMTP_URL"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org:99999", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "no valid port"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org?starttls=off", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "plain text"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org?starttls=maybe", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "starttls"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtps://u:" + secret + "@x.org?starttls=off", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "does not apply"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org?tls=1", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "unknown parameter"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org"}, "needed with SOLIDARITY_SMTP_URL"},
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://:" + secret + "@x.org", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "without a user"},
		// Real mail links to the configured address only, never to a
		// request's Host header.
		{map[string]string{"SOLIDARITY_SMTP_URL": "smtp://u:" + secret + "@x.org", "SOLIDARITY_MAIL_FROM": "a@x.org"}, "SOLIDARITY_BASE_URL: required"},
		{map[string]string{"SOLIDARITY_MAIL_FROM": "not an address"}, "SOLIDARITY_MAIL_FROM"},
		{map[string]string{"SOLIDARITY_MAIL_RATE": "0"}, "SOLIDARITY_MAIL_RATE"},
		{map[string]string{"SOLIDARITY_MAIL_RATE": "lots"}, "SOLIDARITY_MAIL_RATE"},
		{map[string]string{"SOLIDARITY_DKIM_KEY_FILE": "/k.pem"}, "go together"},
		{map[string]string{"SOLIDARITY_DKIM_KEY_FILE": "/k.pem", "SOLIDARITY_DKIM_SELECTOR": "s", "SOLIDARITY_DKIM_DOMAIN": "localhost"}, "not a domain"},
		{map[string]string{"SOLIDARITY_DKIM_KEY_FILE": "/k.pem", "SOLIDARITY_DKIM_SELECTOR": "s_1", "SOLIDARITY_DKIM_DOMAIN": "x.org"}, "SOLIDARITY_DKIM_SELECTOR"},
	} {
		_, err := config.Load(nil, env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error saying %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}
