package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	smail "github.com/solidarity-letters/solidarity/mail"
)

// workerEnv is a database with nodes of the app over it that send into one
// outbox, on one test clock; no background loop runs: the tests run the
// confirmation worker and the mail worker themselves.
type workerEnv struct {
	db    *mongo.Database
	clock *testclock.Clock
	dir   string
}

func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	return &workerEnv{db: dbs.Database(t), clock: testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)), dir: filepath.Join(t.TempDir(), "outbox")}
}

// node starts a node; confirmations replaces the mail queue's sender when
// set.
func (env *workerEnv) node(t *testing.T, confirmations campaign.Confirmations) *app.App {
	t.Helper()
	outbox, err := smail.NewOutbox(env.dir, smail.Sender{From: "letters@example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(env.db), k, app.Options{Now: env.clock.Now, Mail: outbox, MailRate: 6000, Confirmations: confirmations})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a
}

// sign signs c on a as address.
func sign(t *testing.T, a *app.App, c *campaign.Campaign, address string) {
	t.Helper()
	err := a.Signing.Sign(t.Context(), c, campaign.SignInput{Name: "Anna", Email: address, Country: "PL", Consent: true,
		Lang: "uk", LinkBase: "https://letters.example"})
	if err != nil && !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("sign as %s: %v", address, err)
	}
}

// confirmations runs a's confirmation worker once and returns how many
// messages it queued.
func confirmations(t *testing.T, a *app.App) int {
	t.Helper()
	n, err := a.Signing.SendConfirmations(t.Context())
	if err != nil {
		t.Fatalf("send confirmation messages: %v", err)
	}
	return n
}

// waiting is how many messages the mail queue holds unsent.
func waiting(t *testing.T, a *app.App) int64 {
	t.Helper()
	st, err := a.Mail.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.Total.Waiting + st.Total.Retrying + st.Total.Sending
}

// delivered runs a's mail worker once and returns how many messages the
// outbox holds for address.
func (env *workerEnv) delivered(t *testing.T, a *app.App, address string) int {
	t.Helper()
	if _, err := a.Mail.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range readOutbox(t, env.dir) {
		if m.To == address {
			n++
		}
	}
	return n
}

// The signing queues no message: the worker does, for a new address and
// for a pending one whose last message is an hour old, and the message
// arrives; for a confirmed address and a pending one within the hour it
// has nothing to do.
func TestConfirmationWorkerQueuesWhatTheSigningLeft(t *testing.T) {
	t.Parallel()
	env := newWorkerEnv(t)
	a := env.node(t, nil)
	c := addCampaign(t, a, "worker")
	// Signed while the campaign did not ask for confirmation: stored, as
	// a confirmed signature is.
	sign(t, a, c, "confirmed@example.org")
	c.ConfirmEmail = true
	sign(t, a, c, "after@example.org")
	sign(t, a, c, "within@example.org")
	if n := confirmations(t, a); n != 2 {
		t.Fatalf("the worker queued %d messages of the first signings, want 2", n)
	}
	if env.delivered(t, a, "after@example.org") != 1 || env.delivered(t, a, "within@example.org") != 1 {
		t.Fatal("the first messages did not arrive")
	}
	env.clock.Add(campaign.ResendAfter)
	sign(t, a, c, "within@example.org") // an hour after "after", a new message for it is due
	if n := confirmations(t, a); n != 1 {
		t.Fatalf("the worker queued %d messages, want 1", n)
	}
	if n := env.delivered(t, a, "within@example.org"); n != 2 {
		t.Fatalf("within@ has %d messages after the resend, want 2", n)
	}
	env.clock.Add(time.Minute) // "after" is an hour and a minute old, "within" a minute
	for _, tc := range []struct {
		address string
		queued  int // by the worker
		total   int // messages the address then has
	}{
		{"new@example.org", 1, 1},
		{"confirmed@example.org", 0, 0},
		{"within@example.org", 0, 2},
		{"after@example.org", 1, 2},
	} {
		t.Run(tc.address, func(t *testing.T) {
			sign(t, a, c, tc.address)
			if n := waiting(t, a); n != 0 {
				t.Errorf("the signing queued %d messages itself, want none", n)
			}
			if n := confirmations(t, a); n != tc.queued {
				t.Errorf("the worker queued %d messages, want %d", n, tc.queued)
			}
			if n := env.delivered(t, a, tc.address); n != tc.total {
				t.Errorf("%s has %d messages, want %d", tc.address, n, tc.total)
			}
			if n := confirmations(t, a); n != 0 {
				t.Errorf("a second look queued %d messages, want none", n)
			}
		})
	}
}

// queueThenStop queues the message as the mail queue's sender does, then
// fails as a node that stops before it records that it did.
type queueThenStop struct {
	a *app.App
}

func (q *queueThenStop) SendConfirmation(ctx context.Context, m campaign.ConfirmationMail) error {
	msg, err := q.a.Mailer.Compose(m.Lang, smail.Content{Subject: "Confirm", Paragraphs: []string{"Confirm."},
		Action: &smail.Link{Label: "Confirm", URL: m.ConfirmURL}})
	if err != nil {
		return err
	}
	msg.Kind, msg.To, msg.Key = app.KindConfirm, m.To, m.Key
	if err := q.a.Mail.Enqueue(ctx, msg); err != nil {
		return err
	}
	return errors.New("the node stopped")
}

// A message left by a node that stopped is sent once by the next node:
// whether the node stopped before its worker ran, or after the worker
// queued the message but before it recorded that (the next worker takes
// it over when its lease runs out, and the mail queue stores its key
// once).
func TestConfirmationSentOnceAfterARestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		stopAfter bool // the first node's worker queued the message, then stopped
	}{
		{"stopped before the worker ran", false},
		{"stopped after the worker queued", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newWorkerEnv(t)
			stopper := &queueThenStop{}
			first := env.node(t, stopper)
			stopper.a = first
			c := addCampaign(t, first, "restart")
			c.ConfirmEmail = true
			sign(t, first, c, "anna@example.org")
			if tc.stopAfter {
				if n, err := first.Signing.SendConfirmations(t.Context()); n != 0 || err == nil {
					t.Fatalf("the stopping worker: %d queued, %v; want 0 and its failure", n, err)
				}
			}
			next := env.node(t, nil)
			if tc.stopAfter {
				if n := confirmations(t, next); n != 0 {
					t.Fatalf("the next node took a message whose lease runs: %d", n)
				}
				env.clock.Add(3 * time.Minute)
			}
			if n := confirmations(t, next); n != 1 {
				t.Fatalf("the next node queued %d messages, want 1", n)
			}
			for _, node := range []*app.App{next, first} {
				if n := confirmations(t, node); n != 0 {
					t.Errorf("a later look queued %d messages, want none", n)
				}
			}
			env.clock.Add(3 * time.Minute) // the lease of the worker that queued it has run out
			if n := confirmations(t, next); n != 0 {
				t.Errorf("a look after the lease queued %d messages, want none: the message is recorded as queued", n)
			}
			if n := env.delivered(t, next, "anna@example.org"); n != 1 {
				t.Errorf("anna received %d messages, want 1", n)
			}
			if n := env.delivered(t, first, "anna@example.org"); n != 1 {
				t.Errorf("after the first node's mail worker ran, anna has %d messages, want 1", n)
			}
		})
	}
}
