package app_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
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
	subject, text := readOutbox(t, dir)
	if !strings.Contains(subject, "Пацвердзіце свой подпіс") || !strings.Contains(text, "Send a message to Ales Bialiatski") {
		t.Errorf("the message is not the Belarusian confirmation of the campaign:\n%s\n%s", subject, text)
	}
	link := regexp.MustCompile(`https://letters\.example/confirm/([0-9a-f]{64})\.(\S{43})`).FindStringSubmatch(text)
	if link == nil {
		t.Fatalf("no confirmation link in the message:\n%s", text)
	}
	if _, err := a.Signing.ConfirmPending(t.Context(), link[1], link[2]); err != nil {
		t.Fatalf("confirm with the message's link: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); a.Signing.Count(c.ID) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("counted %d after the confirmation, want 1", a.Signing.Count(c.ID))
		}
	}
}

// readOutbox waits for the one message of the outbox and returns its
// decoded subject and plain text.
func readOutbox(t *testing.T, dir string) (subject, text string) {
	t.Helper()
	var files []string
	for deadline := time.Now().Add(30 * time.Second); len(files) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no message in the outbox")
		}
		files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no plain text part: %v", err)
		}
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			continue
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return subject, string(b)
	}
}
