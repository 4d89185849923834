package web_test

// End-to-end tests of what supporters receive by mail: the app sends
// through its real SMTP transport to an SMTP server inside the test
// (internal/smtpsink), the tests follow the links in the messages it
// received over real HTTP, and read the real embedded database.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/smtpsink"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/mail"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// mailTimeout bounds every wait for a message: the worker sends at once,
// but the test machine may be loaded.
const mailTimeout = 30 * time.Second

// newMailSite starts the app on db with its SMTP transport pointed at
// sink; its messages link to the site itself. Its mail worker does not
// run: runMail starts it.
func newMailSite(t *testing.T, db *mongo.Database, sink *smtpsink.Sink) *site {
	t.Helper()
	transport, err := mail.NewSMTP(mail.Sender{From: "Letters <letters@example.net>"}, mail.SMTPOptions{
		Host: sink.Host, Port: sink.Port, Username: smtpsink.User, Password: smtpsink.Password,
		Security: mail.SecurityStartTLS, TLSConfig: sink.ClientTLS, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return newSiteOn(t, db, func(siteURL string) app.Options {
		return app.Options{Mail: transport, MailRate: 6000, BaseURL: siteURL}
	}, nil)
}

// runMail runs the site's mail worker and the worker that composes and
// queues the confirmation messages, as serve does, until the test ends.
func (s *site) runMail(t *testing.T) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- s.Core.Mail.Run(ctx) }()
	go func() { s.Service.RunConfirmations(ctx, slog.New(slog.NewTextHandler(s.Logs, nil))); done <- nil }()
	t.Cleanup(func() {
		stop()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("mail worker: %v", err)
			}
		}
	})
}

// received is a message the sink accepted, decoded.
type received struct {
	To, Subject, Text string
	Header            netmail.Header
}

// decode reads the messages the sink accepted, in the order they came.
func decode(t *testing.T, msgs []smtpsink.Message) []received {
	t.Helper()
	out := make([]received, 0, len(msgs))
	for _, m := range msgs {
		msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		to, err := netmail.ParseAddress(msg.Header.Get("To"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.To) != 1 || m.To[0] != to.Address {
			t.Errorf("envelope recipients %v, header To %s", m.To, to.Address)
		}
		out = append(out, received{To: to.Address, Subject: subject, Text: plainText(t, msg), Header: msg.Header})
	}
	return out
}

// plainText is the message's plain-text part.
func plainText(t *testing.T, m *netmail.Message) string {
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
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			continue
		}
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

// to returns the messages sent to address.
func to(msgs []received, address string) []received {
	var out []received
	for _, m := range msgs {
		if m.To == address {
			out = append(out, m)
		}
	}
	return out
}

// link returns the path of the link in text whose path starts with
// prefix; every node of a site links to the same paths.
func (s *site) link(t *testing.T, text, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+(` + regexp.QuoteMeta(prefix) + `\S+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link to %s… in the message:\n%s", prefix, text)
	}
	return m[1]
}

// settled waits until the queue has nothing left to send or being sent
// (a worker records a send after the server accepted it), and returns its
// status.
func (s *site) settled(t *testing.T) mail.Count {
	t.Helper()
	for deadline := time.Now().Add(mailTimeout); ; time.Sleep(10 * time.Millisecond) {
		st, err := s.Core.Mail.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c := st.Total; c.Waiting+c.Retrying+c.Sending == 0 || time.Now().After(deadline) {
			return c
		}
	}
}

// confirmingCampaign stores a campaign that asks supporters to confirm
// their address by mail.
func (s *site) confirmingCampaign(t *testing.T, slug string, edit func(*campaign.Campaign)) *campaign.Campaign {
	t.Helper()
	return s.addCampaign(t, slug, func(c *campaign.Campaign) {
		c.ConfirmEmail = true
		if edit != nil {
			edit(c)
		}
	})
}

// signAs signs the campaign's form as email, with edit's changes.
func (s *site) signAs(t *testing.T, slug, email string, edit func(url.Values)) {
	t.Helper()
	s.sign(t, slug, func(v url.Values) {
		v.Set("email", email)
		if edit != nil {
			edit(v)
		}
	})
}

// confirmByMail finds the confirmation sent to email among msgs and
// presses its page's button, as the supporter does.
func (s *site) confirmByMail(t *testing.T, msgs []received, email string) {
	t.Helper()
	mine := to(msgs, email)
	if len(mine) != 1 {
		t.Fatalf("%s received %d messages, want 1 confirmation", email, len(mine))
	}
	if res := pressConfirm(t, s, s.link(t, mine[0].Text, "/confirm/")); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm %s: status %d", email, res.Status)
	}
}

// sigID is the ID of email's signature of c.
func sigID(c *campaign.Campaign, email string) string {
	return campaign.SignatureID(emailKey, c.ID, campaign.DuplicateKey(email, c.MergeAliases))
}

// a. The confirmation arrives by mail; a mail scanner that opens its link
// confirms nothing; the supporter's button does, once.
func TestEndToEndConfirmFlow(t *testing.T) {
	t.Parallel()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.confirmingCampaign(t, "e2e-confirm", nil)
	s.runMail(t)
	s.signAs(t, c.Slug, "anna@example.org", nil)

	msgs := decode(t, sink.WaitFor(t, 1, mailTimeout))
	m := msgs[0]
	if m.To != "anna@example.org" || !strings.Contains(m.Subject, c.Title) {
		t.Errorf("message to %s, subject %q; want anna's confirmation of %q", m.To, m.Subject, c.Title)
	}
	path := s.link(t, m.Text, "/confirm/")
	if !strings.Contains(m.Text, s.URL+path) {
		t.Errorf("the link does not lead to the site %s:\n%s", s.URL, m.Text)
	}
	for range 2 { // a scanner, then the supporter
		page := s.get(t, path)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Confirm my signature</button>") {
			t.Fatalf("GET %s: status %d, no button\n%s", path, page.Status, page.Body)
		}
		if n := s.Service.Count(c.ID); n != 0 {
			t.Fatalf("counted %d after the link was opened, want 0", n)
		}
	}
	res := pressConfirm(t, s, path)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/c/e2e-confirm/confirmed" {
		t.Fatalf("confirm: status %d to %q", res.Status, res.Header.Get("Location"))
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("counted %d after the confirmation, want 1", n)
	}
	if page := s.get(t, res.Header.Get("Location")); page.Status != http.StatusOK || !strings.Contains(page.Body, "Your name is on the letter") {
		t.Errorf("confirmed page: status %d\n%s", page.Status, page.Body)
	}
}

// b. A signature left unconfirmed for 72 hours is deleted by the cleanup
// job; its link then says it no longer works, and nothing is counted.
func TestEndToEndConfirmationExpires(t *testing.T) {
	t.Parallel()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.confirmingCampaign(t, "e2e-expiry", nil)
	s.runMail(t)
	s.signAs(t, c.Slug, "anna@example.org", nil)
	path := s.link(t, decode(t, sink.WaitFor(t, 1, mailTimeout))[0].Text, "/confirm/")
	ctx := t.Context()

	sweep := func() int64 {
		t.Helper()
		swept, n, err := s.Service.SweepPending(ctx)
		if err != nil || !swept {
			t.Fatalf("sweep: swept %v, %v", swept, err)
		}
		return n
	}
	s.Clock.Add(72*time.Hour - 10*time.Minute) // what the message promises, not campaign.PendingKeep
	if n := sweep(); n != 0 {
		t.Fatalf("before 72 hours the cleanup deleted %d pending signatures", n)
	}
	if page := s.get(t, path); page.Status != http.StatusOK {
		t.Fatalf("before 72 hours the link answers %d", page.Status)
	}
	s.Clock.Add(20 * time.Minute)
	if n := sweep(); n != 1 {
		t.Fatalf("after 72 hours the cleanup deleted %d pending signatures, want 1", n)
	}
	if n, err := s.Service.CountPending(ctx, c.ID); err != nil || n != 0 {
		t.Errorf("pending after the cleanup: %d, %v; want 0", n, err)
	}
	for _, res := range []response{s.get(t, path), s.post(t, path, url.Values{"token": {"x"}})} {
		if res.Status != http.StatusGone || !strings.Contains(res.Body, "more than 72 hours old") {
			t.Errorf("the expired link: status %d, want 410 and the kind page\n%s", res.Status, res.Body)
		}
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("counted %d after the expiry, want 0", n)
	}
}

// c. A message the SMTP server refused for now is sent again after the
// backoff; a message queued by a node that stopped before sending it is
// sent once by the next node that starts on the database.
func TestEndToEndRetryAndRestart(t *testing.T) {
	t.Parallel()
	t.Run("temporary failure", func(t *testing.T) {
		t.Parallel()
		sink := smtpsink.New(t)
		s := newMailSite(t, dbs.Database(t), sink)
		c := s.confirmingCampaign(t, "e2e-retry", nil)
		sink.FailNext(smtpsink.Error(451, "4.3.0 try again later"))
		s.signAs(t, c.Slug, "anna@example.org", nil)
		send := func() int {
			t.Helper()
			if _, err := s.Service.SendConfirmations(t.Context()); err != nil {
				t.Fatal(err)
			}
			n, err := s.Core.Mail.RunOnce(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		send()
		if sink.Tries() != 1 || len(sink.Received()) != 0 {
			t.Fatalf("first attempt: offered %d, accepted %d; want 1 refused", sink.Tries(), len(sink.Received()))
		}
		send() // before the backoff: not due
		if sink.Tries() != 1 {
			t.Fatalf("offered %d times before the backoff ended, want 1", sink.Tries())
		}
		s.Clock.Add(10 * time.Minute)
		send()
		msgs := decode(t, sink.Received())
		if sink.Tries() != 2 || len(msgs) != 1 {
			t.Fatalf("after the backoff: offered %d, accepted %d; want 2 and 1", sink.Tries(), len(msgs))
		}
		s.confirmByMail(t, msgs, "anna@example.org")
		if n := s.Service.Count(c.ID); n != 1 {
			t.Errorf("counted %d after confirming the retried message, want 1", n)
		}
	})
	t.Run("restart", func(t *testing.T) {
		t.Parallel()
		sink := smtpsink.New(t)
		db := dbs.Database(t)
		first := newMailSite(t, db, sink)
		c := first.confirmingCampaign(t, "e2e-restart", nil)
		first.signAs(t, c.Slug, "anna@example.org", nil) // its worker never runs
		if n := len(sink.Received()); n != 0 {
			t.Fatalf("sent %d messages without a worker", n)
		}

		next := newMailSite(t, db, sink)
		next.Clock.Set(first.Clock.Now())
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- next.Core.Run(ctx) }() // every loop, as serve runs them
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}()
		msgs := decode(t, sink.WaitFor(t, 1, mailTimeout))
		next.settled(t)
		for _, node := range []*site{first, next} {
			if _, err := node.Core.Mail.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(sink.Received()); n != 1 || sink.Tries() != 1 {
			t.Fatalf("offered %d, accepted %d; want the queued message once", sink.Tries(), n)
		}
		next.confirmByMail(t, msgs, "anna@example.org")
		if n := next.Service.Count(c.ID); n != 1 {
			t.Errorf("counted %d, want 1", n)
		}
	})
}

// d. Two nodes whose workers start at once over one queue send each of
// its messages exactly once.
func TestEndToEndTwoNodesSendOnce(t *testing.T) {
	t.Parallel()
	const n = 20
	sink := smtpsink.New(t)
	db := dbs.Database(t)
	nodes := []*site{newMailSite(t, db, sink), newMailSite(t, db, sink)}
	c := nodes[0].confirmingCampaign(t, "e2e-nodes", nil)
	nodes[1].reload(t)
	addresses := make([]string, n)
	for i := range addresses {
		addresses[i] = "supporter" + string(rune('a'+i)) + "@example.org"
		nodes[i%2].signAs(t, c.Slug, addresses[i], nil) // each node queues half
	}
	for _, node := range nodes {
		node.runMail(t)
	}
	sink.WaitFor(t, n, mailTimeout)
	nodes[0].settled(t)
	for _, node := range nodes { // what was sent is not sent again
		if _, err := node.Core.Mail.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	got := decode(t, sink.Received())
	if len(got) != n || sink.Tries() != n {
		t.Errorf("the sink was offered %d and accepted %d messages, want %d", sink.Tries(), len(got), n)
	}
	for _, a := range addresses {
		if k := len(to(got, a)); k != 1 {
			t.Errorf("%s received %d messages, want 1", a, k)
		}
	}
	if st := nodes[0].settled(t); st.Sent != n || st.Waiting+st.Retrying+st.Sending+st.Failed != 0 {
		t.Errorf("queue status %+v, want %d sent and nothing left", st, n)
	}
}

// subscribedSite is a site with a confirming campaign that anna and boris
// signed asking for updates and confirmed by mail, and a posted event
// whose update both received.
func subscribedSite(t *testing.T, slug string) (*site, *smtpsink.Sink, *campaign.Campaign) {
	t.Helper()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.confirmingCampaign(t, slug, nil)
	s.runMail(t)
	for _, email := range []string{"anna@example.org", "boris@example.org"} {
		s.signAs(t, slug, email, func(v url.Values) { v.Set("updates", "yes") })
	}
	msgs := decode(t, sink.WaitFor(t, 2, mailTimeout))
	for _, email := range []string{"anna@example.org", "boris@example.org"} {
		s.confirmByMail(t, msgs, email)
	}
	s.update(t, c, delivery.KindPosted)
	sink.WaitFor(t, 4, mailTimeout)
	return s, sink, c
}

// update records a public delivery event of c, lets it settle and runs
// the updates job, whose messages the worker then sends.
func (s *site) update(t *testing.T, c *campaign.Campaign, kind delivery.Kind) {
	t.Helper()
	e := &delivery.Event{Kind: kind, Day: s.Clock.Now().Format("2006-01-02"), Public: true, PublicNote: "note of " + string(kind)}
	if kind == delivery.KindPosted {
		e.Method, e.Envelopes = delivery.MethodRegistered, 1
	}
	if _, err := s.Core.Delivery.Add(t.Context(), c, e, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Add(2 * time.Hour)
	if err := s.Core.Updates.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// updatesTo returns the update messages (those with a List-Unsubscribe
// header) the sink accepted for address.
func updatesTo(t *testing.T, sink *smtpsink.Sink, address string) []received {
	t.Helper()
	var out []received
	for _, m := range to(decode(t, sink.Received()), address) {
		if m.Header.Get("List-Unsubscribe") != "" {
			out = append(out, m)
		}
	}
	return out
}

// e. The update carries the one-click unsubscribe headers of RFC 8058;
// the POST a mail provider sends to that address, without cookies or
// origin, stops the updates: the next one reaches boris only.
func TestEndToEndOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	s, sink, c := subscribedSite(t, "e2e-unsub")
	mine := updatesTo(t, sink, "anna@example.org")
	if len(mine) != 1 {
		t.Fatalf("anna received %d updates, want 1", len(mine))
	}
	m := mine[0]
	if p := m.Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", p)
	}
	lu := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(lu, s.URL+"/u/") {
		t.Fatalf("List-Unsubscribe %q is not the site's one-click address", lu)
	}
	req, err := http.NewRequest(http.MethodPost, lu, strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := s.do(t, req); res.Status != http.StatusOK {
		t.Fatalf("one-click POST: status %d\n%s", res.Status, res.Body)
	}
	sig, err := s.Core.Campaigns.Signature(t.Context(), sigID(c, "anna@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if sig.Updates || sig.Person.Email != "" {
		t.Errorf("after the one-click POST anna's signature has updates %v, address kept %v", sig.Updates, sig.Person.Email != "")
	}

	s.update(t, c, delivery.KindDelivered)
	sink.WaitFor(t, 5, mailTimeout)
	if n := len(updatesTo(t, sink, "boris@example.org")); n != 2 {
		t.Errorf("boris received %d updates, want 2", n)
	}
	if n := len(updatesTo(t, sink, "anna@example.org")); n != 1 {
		t.Errorf("anna received %d updates, want 1: none after unsubscribing", n)
	}
}

// f. The erasure link in a received message shows a page with a button
// and erases nothing; its button erases the signature, its greeting and
// its address, and the count follows.
func TestEndToEndSelfErasure(t *testing.T) {
	t.Parallel()
	s, sink, c := subscribedSite(t, "e2e-erase")
	ctx := t.Context()
	mine := updatesTo(t, sink, "boris@example.org")
	if len(mine) != 1 {
		t.Fatalf("boris received %d updates, want 1", len(mine))
	}
	path := s.link(t, mine[0].Text, "/erase/")
	id := sigID(c, "boris@example.org")
	if _, err := s.Greetings.Greeting(ctx, id); err != nil {
		t.Fatalf("boris's greeting before the erasure: %v", err)
	}

	page := s.get(t, path)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Erase my signature</button>") {
		t.Fatalf("GET %s: status %d, no button\n%s", path, page.Status, page.Body)
	}
	if _, err := s.Service.Store().Signature(ctx, id); err != nil {
		t.Fatalf("the signature after the GET: %v", err)
	}
	if n := s.Service.Count(c.ID); n != 2 {
		t.Fatalf("counted %d after the GET, want 2", n)
	}
	code := regexp.MustCompile(`name="code" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if code == nil {
		t.Fatalf("the erasure page has no code in its form\n%s", page.Body)
	}
	if res := s.post(t, "/erase", url.Values{"code": {code[1]}}); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/erase/done" {
		t.Fatalf("POST /erase: status %d to %q", res.Status, res.Header.Get("Location"))
	}
	if _, err := s.Service.Store().Signature(ctx, id); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("the signature after the erasure: %v, want ErrNotFound", err)
	}
	if _, err := s.Greetings.Greeting(ctx, id); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("the greeting after the erasure: %v, want ErrNotFound", err)
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("counted %d after the erasure, want 1", n)
	}
	// No address of boris is left to write to: the next update reaches
	// anna only.
	s.update(t, c, delivery.KindDelivered)
	sink.WaitFor(t, 5, mailTimeout)
	if n := len(updatesTo(t, sink, "boris@example.org")); n != 1 {
		t.Errorf("boris received %d updates, want 1: none after the erasure", n)
	}
	if n := len(updatesTo(t, sink, "anna@example.org")); n != 2 {
		t.Errorf("anna received %d updates, want 2", n)
	}
}

// g. A supporter's consent on partner A's widget reaches partner A only:
// signed through A with the box ticked, through B without it, and
// through B with it, all confirmed by mail, A's key lists its supporter
// with the time and the label they read, and nothing of B's.
func TestEndToEndPartnerConsentReachesOnlyThatPartner(t *testing.T) {
	t.Parallel()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.confirmingCampaign(t, "e2e-pc", func(c *campaign.Campaign) {
		c.EmbedOrigins = []string{"https://a.example", "https://b.example"}
	})
	keyA := s.addPartner(t, "alpha", "https://a.example")
	keyB := s.addPartner(t, "beta", "https://b.example")
	s.runMail(t)
	const labelA = "Also let NGO alpha, who show this form on their site, contact me at this address."
	signed := map[string]time.Time{}
	for _, sg := range []struct {
		origin, email string
		tick          bool
	}{
		{"https://a.example", "anna@example.org", true},
		{"https://b.example", "boris@example.org", false},
		{"https://b.example", "carl@example.org", true},
	} {
		path := "/embed/" + c.Slug + "?origin=" + url.QueryEscape(sg.origin)
		tok := s.embedToken(t, path)
		res := s.post(t, "/embed/"+c.Slug+"/sign?origin="+url.QueryEscape(sg.origin), signForm(tok, func(v url.Values) {
			v.Set("origin", sg.origin)
			v.Set("email", sg.email)
			if sg.tick {
				v.Set("partner_contact", "yes")
			}
		}))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("sign as %s through %s: status %d", sg.email, sg.origin, res.Status)
		}
		signed[sg.email] = s.Clock.Now()
	}
	msgs := decode(t, sink.WaitFor(t, 3, mailTimeout))
	for _, email := range []string{"anna@example.org", "boris@example.org", "carl@example.org"} {
		s.confirmByMail(t, msgs, email)
	}

	list := func(key string) []string {
		t.Helper()
		out, status := s.partnerContacts(t, key, "")
		if status != http.StatusOK {
			t.Fatalf("contacts: status %d", status)
		}
		var emails []string
		for _, ct := range out.Contacts {
			emails = append(emails, ct.Email)
			if ct.Email == "anna@example.org" && (ct.ConsentText != labelA || ct.ConsentedAt.IsZero() || ct.ConsentedAt.Before(signed["anna@example.org"].Add(-time.Minute))) {
				t.Errorf("anna's consent to A: text %q at %v; want %q, at or after she signed (%v)", ct.ConsentText, ct.ConsentedAt, labelA, signed["anna@example.org"])
			}
		}
		slices.Sort(emails)
		return emails
	}
	if got := list(keyA); !slices.Equal(got, []string{"anna@example.org"}) {
		t.Errorf("partner A lists %v, want anna only", got)
	}
	if got := list(keyB); !slices.Equal(got, []string{"carl@example.org"}) {
		t.Errorf("partner B lists %v, want carl only", got)
	}
}

// h. Thirty days after the letters were posted the retention job removes
// the address and the other fields kept only for contact; the name as
// printed, the country and the dates remain, and a bundle built after
// prints the same.
func TestEndToEndRetentionKeepsWhatWasPrinted(t *testing.T) {
	t.Parallel()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.confirmingCampaign(t, "e2e-keep", nil)
	ctx := t.Context()
	s.runMail(t)
	s.signAs(t, c.Slug, "anna@example.org", func(v url.Values) { v.Set("updates", "yes") })
	s.confirmByMail(t, decode(t, sink.WaitFor(t, 1, mailTimeout)), "anna@example.org")
	id := sigID(c, "anna@example.org")
	if _, err := s.Greetings.Decide(ctx, id, letters.StatusApproved, "", s.Clock.Now(), false); err != nil {
		t.Fatal(err)
	}
	if doc := rawSignature(t, s, c, "anna@example.org"); !has(doc, "person", "email") {
		t.Fatal("anna's address is not stored: nothing to test")
	}

	s.Clock.Set(time.Date(2027, 7, 21, 10, 0, 0, 0, time.UTC))
	if _, err := s.Core.Delivery.Add(ctx, c, &delivery.Event{Kind: delivery.KindPosted, Day: "2027-07-20",
		Method: delivery.MethodRegistered, Envelopes: 1}, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
	scope, err := s.Core.Builder.ScopeAt(ctx, c.ID, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	before := s.printed(t, c, scope)

	s.Clock.Add(30*24*time.Hour + time.Hour)
	trimmed, err := s.Core.Retention.RunOnce(ctx, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(trimmed) != 1 || trimmed[0].Addresses != 1 {
		t.Fatalf("retention trimmed %+v, want the campaign's one address", trimmed)
	}
	doc := rawSignature(t, s, c, "anna@example.org")
	for _, gone := range [][]string{{"person", "email"}, {"person", "domain"}, {"domain_key"}, {"net"}, {"ref_key"}, {"marks"}} {
		if has(doc, gone...) {
			t.Errorf("after retention the signature still holds %v", gone)
		}
	}
	for _, kept := range [][]string{{"person", "name"}, {"person", "country"}, {"signed_at"}, {"campaign_id"}} {
		if !has(doc, kept...) {
			t.Errorf("retention removed %v, which the letter printed", kept)
		}
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("counted %d after retention, want 1", n)
	}
	if after := s.printed(t, c, scope); after != before {
		t.Errorf("the bundle built after retention differs:\nbefore %s\nafter  %s", before, after)
	}
}

// printed builds c's bundle of scope and returns what identifies what it
// prints: the hashes of its files and its greetings' names and places.
func (s *site) printed(t *testing.T, c *campaign.Campaign, scope bundle.Scope) string {
	t.Helper()
	ctx := t.Context()
	stored, err := s.Service.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := s.Core.Builder.Build(ctx, stored, bundle.Options{Lang: "en"}, scope, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if manifest.Signatures == 0 || manifest.Greetings == 0 {
		t.Fatalf("the bundle prints %d signatures and %d greetings", manifest.Signatures, manifest.Greetings)
	}
	var b strings.Builder
	for _, f := range manifest.Files {
		b.WriteString(f.Name + "=" + f.SHA256 + " ")
	}
	err = s.Bundles.EachPrinted(ctx, stored, scope, "en", func(p *bundle.Printed) error {
		b.WriteString("[" + p.Name + "|" + p.City + "|" + p.Country + "|" + p.Text + "]")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A drive that confirms addresses: one supporter's two cards, to two
// people, each wait for their own confirmation, and each confirmed card
// counts for the person it was written to, not for the other.
func TestEndToEndDriveCardsConfirmed(t *testing.T) {
	t.Parallel()
	sink := smtpsink.New(t)
	s := newMailSite(t, dbs.Database(t), sink)
	c := s.addDrive(t, "e2e-drive", func(c *campaign.Campaign) { c.ConfirmEmail = true })
	s.runMail(t)
	s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
	for _, to := range []string{"r-ihar-e2e-drive", "r-maria-e2e-drive"} {
		s.signAs(t, c.Slug, "anna@example.org", func(v url.Values) { v.Set("recipient", to) })
	}
	msgs := to(decode(t, sink.WaitFor(t, 2, mailTimeout)), "anna@example.org")
	if len(msgs) != 2 {
		t.Fatalf("anna received %d messages, want a confirmation per card", len(msgs))
	}
	if got := s.Service.CardCounts(c.ID); got["r-ihar-e2e-drive"] != 0 || got["r-maria-e2e-drive"] != 0 {
		t.Fatalf("cards counted before any confirmation: %v", got)
	}
	want := []map[string]int64{
		{"r-ihar-e2e-drive": 1, "r-maria-e2e-drive": 0},
		{"r-ihar-e2e-drive": 1, "r-maria-e2e-drive": 1},
	}
	for i, m := range msgs {
		if res := pressConfirm(t, s, s.link(t, m.Text, "/confirm/")); res.Status != http.StatusSeeOther {
			t.Fatalf("confirm card %d: status %d", i, res.Status)
		}
		got := s.Service.CardCounts(c.ID)
		// The messages may arrive in either order: what matters is one
		// more card for exactly one person each time.
		if got["r-ihar-e2e-drive"]+got["r-maria-e2e-drive"] != int64(i+1) || got["r-ihar-e2e-drive"] > 1 || got["r-maria-e2e-drive"] > 1 {
			t.Errorf("after confirming card %d: %v, want %v in some order", i, got, want[i])
		}
	}
	if n := s.Service.Count(c.ID); n != 2 {
		t.Errorf("drive counts %d cards, want 2", n)
	}
}
