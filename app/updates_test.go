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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	smail "github.com/solidarity-letters/solidarity/mail"
)

// updatesEnv is a campaign with supporters on one database, and nodes of
// the app over it that send into one outbox, on one test clock.
type updatesEnv struct {
	nodes []*app.App
	db    *mongo.Database
	clock *testclock.Clock
	dir   string
	camp  *campaign.Campaign
	// confirmations holds the messages that ask to confirm an address.
	confirmations *confirmRecorder
}

const updatesBase = "https://letters.example.org"

// confirmRecorder keeps the messages that ask supporters to confirm their
// address, to follow their links.
type confirmRecorder struct {
	mu   sync.Mutex
	sent []campaign.ConfirmationMail
}

func (r *confirmRecorder) SendConfirmation(_ context.Context, m campaign.ConfirmationMail) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

// confirm confirms the address of the newest message, as its link's
// button does.
func (r *confirmRecorder) confirm(t *testing.T, a *app.App) {
	t.Helper()
	if _, err := a.Signing.SendConfirmations(t.Context()); err != nil {
		t.Fatalf("send confirmation messages: %v", err)
	}
	r.mu.Lock()
	link := r.sent[len(r.sent)-1].ConfirmURL
	r.mu.Unlock()
	id, secret, ok := campaign.SplitConfirmCode(link[strings.LastIndex(link, "/")+1:])
	if !ok {
		t.Fatalf("%q is no confirmation link", link)
	}
	if _, _, err := a.Signing.ConfirmPending(t.Context(), id, secret); err != nil {
		t.Fatalf("confirm: %v", err)
	}
}

// newUpdatesEnv starts n nodes and stores an open campaign that asks
// supporters to confirm their address, signed by anna (in Russian) and
// boris (in German), who asked for updates, by carl, who did not, all
// three confirmed, and by dan, who asked for updates and has not confirmed.
func newUpdatesEnv(t *testing.T, n int) *updatesEnv {
	t.Helper()
	ctx := t.Context()
	db := dbs.Database(t)
	env := &updatesEnv{db: db, clock: testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)), dir: filepath.Join(t.TempDir(), "outbox")}
	outbox, err := smail.NewOutbox(env.dir, smail.Sender{From: "letters@example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	env.confirmations = &confirmRecorder{}
	for range n {
		a, err := app.New(dbs.Wrap(db), k, app.Options{Now: env.clock.Now, Mail: outbox, MailRate: 6000, BaseURL: updatesBase,
			Confirmations: env.confirmations})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		env.nodes = append(env.nodes, a)
	}
	a := env.nodes[0]
	r := campaign.Recipient{ID: "r-upd", Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
	if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	closes, err := campaign.Deadline("2027-07-12", "Europe/Minsk")
	if err != nil {
		t.Fatal(err)
	}
	env.camp = &campaign.Campaign{
		ID: "c-upd", Slug: "upd", Title: "Write to Ales", Summary: "A message from outside.", Letter: "Dear Ales,",
		OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 100, Language: "en",
		OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: closes, TimeZone: "Europe/Minsk",
		ConfirmEmail: true,
	}
	if err := a.Campaigns.CreateCampaign(ctx, env.camp); err != nil {
		t.Fatal(err)
	}
	for _, node := range env.nodes {
		if err := node.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		name, lang         string
		updates, confirmed bool
	}{{"anna", "ru", true, true}, {"boris", "de", true, true}, {"carl", "en", false, true}, {"dan", "pl", true, false}} {
		err := a.Signing.Sign(ctx, env.camp, campaign.SignInput{Name: s.name, Email: s.name + "@example.org", Country: "PL",
			Consent: true, Updates: s.updates, Lang: s.lang, LinkBase: updatesBase})
		if err != nil {
			t.Fatalf("sign as %s: %v", s.name, err)
		}
		if s.confirmed {
			env.confirmations.confirm(t, a)
		}
	}
	return env
}

// event records a delivery event on the first node now.
func (env *updatesEnv) event(t *testing.T, kind delivery.Kind, public bool) *delivery.Event {
	t.Helper()
	e := &delivery.Event{Kind: kind, Day: "2027-06-01", Public: public, PublicNote: "note of " + string(kind)}
	if kind == delivery.KindPosted {
		e.Method, e.Envelopes = delivery.MethodRegistered, 1
	}
	if _, err := env.nodes[0].Delivery.Add(t.Context(), env.camp, e, "organizer"); err != nil {
		t.Fatal(err)
	}
	for _, node := range env.nodes[1:] {
		if err := node.Delivery.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// tick runs the updates job on every node at once, then sends what it
// queued, and returns the messages the outbox holds.
func (env *updatesEnv) tick(t *testing.T) []sentMessage {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(env.nodes))
	for i, node := range env.nodes {
		wg.Go(func() { errs[i] = node.Updates.Tick(t.Context()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("tick: %v", err)
		}
	}
	if _, err := env.nodes[0].Mail.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	return readOutbox(t, env.dir)
}

// sentMessage is a message as the outbox wrote it.
type sentMessage struct {
	To, Subject, Text string
	Header            mail.Header
}

// readOutbox reads the messages in dir, decoded.
func readOutbox(t *testing.T, dir string) []sentMessage {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out []sentMessage
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		to, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sentMessage{To: to.Address, Subject: subject, Text: textPart(t, m), Header: m.Header})
	}
	slices.SortFunc(out, func(a, b sentMessage) int { return strings.Compare(a.To, b.To) })
	return out
}

// textPart is the message's plain text.
func textPart(t *testing.T, m *mail.Message) string {
	t.Helper()
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
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			var body io.Reader = p
			if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				body = quotedprintable.NewReader(p) // multipart decodes it itself when it says so
			}
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// Two public events recorded within the settle time make one message for
// each supporter who asked, in the language they signed in, once the
// newest of them settled; a non-public event is not in it; carl, who did
// not ask, gets nothing; another tick sends nothing again.
func TestUpdatesOneMessagePerSupporter(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 1)
	env.clock.Add(time.Minute)
	env.event(t, delivery.KindPosted, true)
	env.clock.Add(20 * time.Minute)
	env.event(t, delivery.KindDelivered, true)
	env.event(t, delivery.KindReturned, false)
	env.clock.Add(59 * time.Minute) // the second event is not settled yet
	if got := env.tick(t); len(got) != 0 {
		t.Fatalf("before the settle time %d messages were sent, want none", len(got))
	}
	env.clock.Add(2 * time.Minute)
	got := env.tick(t)
	if len(got) != 2 {
		t.Fatalf("%d messages were sent, want 2 (anna and boris, not dan, who has not confirmed)", len(got))
	}
	for i, want := range []struct{ to, subject string }{
		{"anna@example.org", "Новости кампании «Write to Ales»"},
		{"boris@example.org", "Neues von der Kampagne „Write to Ales“"},
	} {
		m := got[i]
		if m.To != want.to || m.Subject != want.subject {
			t.Errorf("message %d: to %s, subject %q; want %s, %q", i, m.To, m.Subject, want.to, want.subject)
		}
		for _, note := range []string{"note of posted", "note of delivered"} {
			if !strings.Contains(m.Text, note) {
				t.Errorf("message to %s does not tell %q:\n%s", m.To, note, m.Text)
			}
		}
		if strings.Contains(m.Text, "note of returned") {
			t.Errorf("message to %s tells of the non-public event", m.To)
		}
		if lu := m.Header.Get("List-Unsubscribe"); !strings.HasPrefix(lu, "<"+updatesBase+"/u/") || !strings.Contains(m.Text, strings.Trim(lu, "<>")) {
			t.Errorf("message to %s: List-Unsubscribe %q, not in its text too", m.To, lu)
		}
		if p := m.Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
			t.Errorf("message to %s: List-Unsubscribe-Post %q", m.To, p)
		}
		// Every message carries the link that erases its supporter's
		// signature, and no one else's.
		erase := regexp.MustCompile(regexp.QuoteMeta(updatesBase) + `/erase/(\S+)`).FindStringSubmatch(m.Text)
		if erase == nil {
			t.Errorf("message to %s has no erasure link:\n%s", m.To, m.Text)
			continue
		}
		ref, err := env.nodes[0].Erasures.Parse(erase[1])
		want := campaign.SignatureID([]byte("0123456789abcdef0123456789abcdef"), env.camp.ID, m.To)
		if err != nil || ref.SignatureID != want || ref.CampaignID != env.camp.ID {
			t.Errorf("message to %s: its erasure link names %+v, %v; want its own signature", m.To, ref, err)
		}
	}
	env.clock.Add(2 * time.Hour)
	if got := env.tick(t); len(got) != 2 {
		t.Errorf("after another tick the outbox holds %d messages, want the same 2", len(got))
	}
}

// An event made non-public, or deleted, before the settle time sends
// nothing; nor does an event that was never public.
func TestUpdatesNothingPublic(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 1)
	ctx := t.Context()
	hidden := env.event(t, delivery.KindPosted, true)
	removed := env.event(t, delivery.KindDelivered, true)
	env.event(t, delivery.KindReturned, false)
	env.clock.Add(10 * time.Minute)
	hidden.Public = false
	if _, err := env.nodes[0].Delivery.Save(ctx, env.camp, hidden, "organizer"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.nodes[0].Delivery.Remove(ctx, env.camp.ID, removed.ID); err != nil {
		t.Fatal(err)
	}
	env.clock.Add(3 * time.Hour)
	if got := env.tick(t); len(got) != 0 {
		t.Errorf("%d messages were sent, want none: %+v", len(got), got)
	}
}

// Two nodes that look at once send each supporter one message; after
// anna unsubscribes, the next notice reaches boris only.
func TestUpdatesOnceAcrossNodesAndAfterUnsubscribing(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 2)
	env.event(t, delivery.KindPosted, true)
	env.clock.Add(2 * time.Hour)
	if got := env.tick(t); len(got) != 2 {
		t.Fatalf("two nodes sent %d messages, want 2", len(got))
	}
	a := env.nodes[0]
	anna := campaign.SignatureID([]byte("0123456789abcdef0123456789abcdef"), env.camp.ID, "anna@example.org")
	if ok, err := a.Campaigns.Unsubscribe(t.Context(), anna); err != nil || !ok {
		t.Fatalf("unsubscribe anna: %v, %v", ok, err)
	}
	sig, err := a.Campaigns.Signature(t.Context(), anna)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Updates || sig.Person.Email != "" {
		t.Errorf("after unsubscribing, anna's signature has updates %v and address %q", sig.Updates, sig.Person.Email)
	}
	env.event(t, delivery.KindDelivered, true)
	env.clock.Add(2 * time.Hour)
	got := env.tick(t)
	if len(got) != 3 {
		t.Fatalf("the outbox holds %d messages, want 3", len(got))
	}
	var boris int
	for _, m := range got {
		if m.To == "boris@example.org" {
			boris++
		}
	}
	if boris != 2 {
		t.Errorf("boris got %d messages, want 2 (anna none after unsubscribing)", boris)
	}
}

// A supporter who asks for updates on a campaign that does not have
// addresses confirmed gets none: the address may be a stranger's.
func TestUpdatesNotToUnconfirmedAddresses(t *testing.T) {
	t.Parallel()
	env := newUpdatesEnv(t, 1)
	a := env.nodes[0]
	open := *env.camp
	open.ID, open.Slug, open.ConfirmEmail = "c-open", "open", false
	if err := a.Campaigns.CreateCampaign(t.Context(), &open); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.Signing.Sign(t.Context(), &open, campaign.SignInput{Name: "Stranger", Email: "stranger@example.org", Country: "PL",
		Consent: true, Updates: true, Lang: "en", LinkBase: updatesBase}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Delivery.Add(t.Context(), &open, &delivery.Event{Kind: delivery.KindPosted, Day: "2027-06-01", Public: true,
		PublicNote: "posted", Method: delivery.MethodRegistered, Envelopes: 1}, "organizer"); err != nil {
		t.Fatal(err)
	}
	env.clock.Add(2 * time.Hour)
	for _, m := range env.tick(t) {
		t.Errorf("a message went to %s", m.To)
	}
}
