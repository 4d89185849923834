package app_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	smail "github.com/solidarity-letters/solidarity/mail"
)

// A signature on a campaign that asks for confirmation reaches the
// supporter as a message from the mail queue, in the language they signed
// in, whose link confirms it; until then it is not counted.
func TestConfirmationGoesThroughTheMailQueue(t *testing.T) {
	t.Parallel()
	db := dbs.Database(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	outbox, err := smail.NewOutbox(dir, smail.Sender{From: "letters@localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(db), k, app.Options{Now: clk.Now, Mail: outbox, MailRate: 6000})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := addCampaign(t, a, "confirm-mail")
	c.ConfirmEmail = true
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { stop(); <-done }()

	err = a.Signing.Sign(t.Context(), c, campaign.SignInput{Name: "Анна Шыманская", Email: "anna@example.org", Country: "PL",
		Consent: true, Lang: "be", LinkBase: "https://letters.example"})
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	if n := a.Signing.Count(c.ID); n != 0 {
		t.Fatalf("counted %d before the confirmation", n)
	}
	var sent []sentMessage
	for deadline := time.Now().Add(30 * time.Second); len(sent) == 0; sent = readOutbox(t, dir) {
		if time.Now().After(deadline) {
			t.Fatal("no message in the outbox")
		}
		time.Sleep(20 * time.Millisecond)
	}
	subject, text := sent[0].Subject, sent[0].Text
	if !strings.Contains(subject, "Пацвердзіце свой подпіс") || !strings.Contains(text, "Send a message to Ales Bialiatski") {
		t.Errorf("the message is not the Belarusian confirmation of the campaign:\n%s\n%s", subject, text)
	}
	link := regexp.MustCompile(`https://letters\.example/confirm/([0-9a-f]{64})\.(\S{43})`).FindStringSubmatch(text)
	if link == nil {
		t.Fatalf("no confirmation link in the message:\n%s", text)
	}
	if _, _, err := a.Signing.ConfirmPending(t.Context(), link[1], link[2]); err != nil {
		t.Fatalf("confirm with the message's link: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); a.Signing.Count(c.ID) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("counted %d after the confirmation, want 1", a.Signing.Count(c.ID))
		}
	}
}
