package web_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// mailbox records the confirmation messages the app sends: the mail port,
// not the database, is what it stands in for. The worker that sends them
// (svc's SendConfirmations) runs when a test reads the mailbox.
type mailbox struct {
	svc  *campaign.Service
	mu   sync.Mutex
	sent []campaign.ConfirmationMail
}

func (m *mailbox) SendConfirmation(_ context.Context, c campaign.ConfirmationMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, c)
	return nil
}

// all runs the worker that sends the waiting messages, and returns every
// message sent.
func (m *mailbox) all(t testing.TB) []campaign.ConfirmationMail {
	t.Helper()
	if _, err := m.svc.SendConfirmations(t.Context()); err != nil {
		t.Fatalf("send confirmation messages: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]campaign.ConfirmationMail(nil), m.sent...)
}

// optInSite is a site with a campaign "optin" that asks for confirmation,
// and the mailbox its messages go to.
func optInSite(t *testing.T) (*site, *campaign.Campaign, *mailbox) {
	t.Helper()
	s := newSite(t, dbs.Database(t))
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	c := s.addCampaign(t, "optin", func(c *campaign.Campaign) { c.ConfirmEmail = true })
	return s, c, box
}

// confirmPath returns the path of a message's link.
func confirmPath(t *testing.T, m campaign.ConfirmationMail) string {
	t.Helper()
	u, err := url.Parse(m.ConfirmURL)
	if err != nil || !strings.HasPrefix(u.Path, "/confirm/") {
		t.Fatalf("confirm URL %q is not a confirmation link", m.ConfirmURL)
	}
	return u.Path
}

// pressConfirm loads the confirmation page as a browser does and presses
// its button.
func pressConfirm(t *testing.T, s *site, path string) response {
	t.Helper()
	page := s.get(t, path)
	m := tokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("GET %s: status %d, no form token", path, page.Status)
	}
	return s.post(t, path, url.Values{"token": {m[1]}})
}

func TestOptInConfirmFlow(t *testing.T) {
	s, c, box := optInSite(t)
	ctx := context.Background()
	res := s.post(t, "/c/optin/sign", signForm(s.token(t, "optin"), nil))
	if res.Status != 303 || res.Header.Get("Location") != "/c/optin/thanks" {
		t.Fatalf("sign: %d to %q, want 303 to the thanks page", res.Status, res.Header.Get("Location"))
	}
	thanks := s.get(t, "/c/optin/thanks")
	if !strings.Contains(thanks.Body, "check your email") {
		t.Errorf("the thanks page does not ask to check the mail:\n%s", thanks.Body)
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count before confirmation = %d, want 0", n)
	}
	sent := box.all(t)
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	m := sent[0]
	if m.To != "anna@example.org" || m.CampaignID != c.ID || m.CampaignTitle != c.Title || m.Lang != "en" || m.Key == "" {
		t.Errorf("message = %+v", m)
	}
	if n, err := s.Service.CountPending(ctx, c.ID); err != nil || n != 1 {
		t.Errorf("pending = %d, %v; want 1", n, err)
	}
	path := confirmPath(t, m)

	// A mail scanner opens the link: the page shows a button and changes
	// nothing.
	for range 2 {
		page := s.get(t, path)
		if page.Status != 200 || !strings.Contains(page.Body, "Confirm my signature") || !strings.Contains(page.Body, c.Title) {
			t.Fatalf("GET %s: %d\n%s", path, page.Status, page.Body)
		}
		for h, want := range map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"} {
			if got := page.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if !strings.Contains(page.Body, `<meta name="robots" content="noindex">`) {
			t.Error("the confirmation page lacks its noindex meta")
		}
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count after the scanner's GETs = %d, want 0", n)
	}

	// Without the page's token, or from another site, nothing is
	// confirmed.
	if res := s.post(t, path, url.Values{"token": {"nope"}}); res.Status != 403 {
		t.Errorf("POST without a token: %d, want 403", res.Status)
	}
	page := s.get(t, path)
	tok := tokenRE.FindStringSubmatch(page.Body)[1]
	if res := s.post(t, path, url.Values{"token": {tok}}, "Origin", "https://evil.example"); res.Status != 403 {
		t.Errorf("POST from another site: %d, want 403", res.Status)
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Fatalf("count after refused POSTs = %d, want 0", n)
	}

	res = s.post(t, path, url.Values{"token": {tok}})
	if res.Status != 303 || res.Header.Get("Location") != "/c/optin/confirmed" {
		t.Fatalf("confirm: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("count after confirmation = %d, want 1", n)
	}
	done := s.get(t, "/c/optin/confirmed")
	if done.Status != 200 || !strings.Contains(done.Body, "Your name is on the letter") {
		t.Errorf("confirmed page: %d\n%s", done.Status, done.Body)
	}
	sigID := campaign.SignatureID(emailKey, c.ID, "anna@example.org")
	sig, err := s.Service.Store().Signature(ctx, sigID)
	if err != nil {
		t.Fatalf("the confirmed signature: %v", err)
	}
	if sig.Person.Name != "Anna Nowak" || sig.Greeting != "Trzymaj się, Ales!" || !sig.SignedAt.Equal(s.Clock.Now()) || sig.Source != campaign.SourceWeb {
		t.Errorf("stored %+v; want Anna's, signed at the confirmation (%v)", sig, s.Clock.Now())
	}
	if has, err := s.Core.Moderation.HasGreeting(ctx, sigID); err != nil || !has {
		t.Errorf("greeting recorded for moderation: %v, %v; want true", has, err)
	}
	if n, err := s.Service.CountPending(ctx, c.ID); err != nil || n != 0 {
		t.Errorf("pending after confirmation = %d, %v; want 0", n, err)
	}

	// The link is used: a second POST, and GET, get a kind page.
	for _, res := range []response{s.post(t, path, url.Values{"token": {tok}}), s.get(t, path)} {
		if res.Status != 410 || !strings.Contains(res.Body, "This link no longer works") {
			t.Errorf("used link: %d\n%s", res.Status, res.Body)
		}
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("count after a second POST = %d, want 1", n)
	}
}

func TestOptInBadLinks(t *testing.T) {
	s, _, box := optInSite(t)
	s.post(t, "/c/optin/sign", signForm(s.token(t, "optin"), nil))
	path := confirmPath(t, box.all(t)[0])
	id, secret, _ := strings.Cut(strings.TrimPrefix(path, "/confirm/"), ".")
	other := strings.Repeat("A", len(secret))
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"wrong secret", "/confirm/" + id + "." + other, 410},
		{"unknown ID", "/confirm/" + strings.Repeat("0", 64) + "." + secret, 410},
		{"not a link", "/confirm/nothing", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, res := range []response{s.get(t, tc.path), s.post(t, tc.path, url.Values{"token": {"x"}})} {
				if res.Status != tc.status || !strings.Contains(res.Body, "This link no longer works") {
					t.Errorf("%d, want %d and the kind page\n%s", res.Status, tc.status, res.Body)
				}
			}
		})
	}
}

func TestOptInClosedBeforeConfirmation(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	box := &mailbox{svc: s.Service}
	s.Service.SetConfirmations(box)
	c := s.addCampaign(t, "optin", func(c *campaign.Campaign) {
		c.ConfirmEmail = true
		c.ClosesAt = s.Clock.Now().Add(time.Hour)
	})
	s.post(t, "/c/optin/sign", signForm(s.token(t, "optin"), nil))
	path := confirmPath(t, box.all(t)[0])
	page := s.get(t, path)
	tok := tokenRE.FindStringSubmatch(page.Body)[1]
	s.Clock.Set(c.ClosesAt.Add(1))
	res := s.post(t, path, url.Values{"token": {tok}})
	if res.Status != 410 || !strings.Contains(res.Body, "The campaign has closed") {
		t.Errorf("confirm after closing: %d\n%s", res.Status, res.Body)
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count = %d, want 0", n)
	}
}

var csvNameRE = regexp.MustCompile(`Anna Nowak`)

// Pending signatures are not counted, listed, exported, printed or
// moderated; paper signatures and campaigns that do not ask for
// confirmation count at once.
func TestOptInPendingIsNowhereElse(t *testing.T) {
	s, c, box := optInSite(t)
	ctx := context.Background()
	key := s.addPartner(t, "ngo", "https://ngo.example")
	if res := s.post(t, "/c/optin/sign", signForm(s.token(t, "optin"), nil)); res.Status != 303 {
		t.Fatalf("sign: %d", res.Status)
	}
	res := s.apiPost(t, "optin", key, sigJSON("olga@example.org", nil))
	if res.Status != 202 || !strings.Contains(res.Body, `"status":"pending_confirmation"`) {
		t.Errorf("API sign: %d %s; want 202 pending_confirmation", res.Status, res.Body)
	}
	if got := len(box.all(t)); got != 2 {
		t.Errorf("sent %d messages, want 2", got)
	}
	if n, _ := s.Service.CountPending(ctx, c.ID); n != 2 {
		t.Errorf("pending = %d, want 2", n)
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count = %d, want 0", n)
	}
	// What bundles print from.
	printed := 0
	if err := s.Service.Store().EachSignature(ctx, c.ID, func(*campaign.Signature) error { printed++; return nil }); err != nil {
		t.Fatal(err)
	}
	if printed != 0 {
		t.Errorf("%d signatures to print, want 0", printed)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	if csv := org.get(t, "/admin/campaigns/"+c.ID+"/signatures.csv"); csv.Status != 200 || csvNameRE.MatchString(csv.Body) || strings.Contains(csv.Body, "Olga") {
		t.Errorf("export: %d\n%s", csv.Status, csv.Body)
	}
	if list := org.get(t, "/admin/campaigns/"+c.ID+"/signatures"); strings.Contains(list.Body, "Anna Nowak") {
		t.Error("the console's list shows a pending signature")
	}
	mod := s.loginAs(t, account.RoleModerator)
	if q := mod.get(t, "/admin/moderation"); q.Status != 200 || strings.Contains(q.Body, "Trzymaj") {
		t.Errorf("moderation: %d; shows the pending greeting: %v", q.Status, strings.Contains(q.Body, "Trzymaj"))
	}
	sigID := campaign.SignatureID(emailKey, c.ID, "anna@example.org")
	if has, err := s.Core.Moderation.HasGreeting(ctx, sigID); err != nil || has {
		t.Errorf("greeting stored before confirmation: %v, %v", has, err)
	}
	if _, err := s.Service.Store().Signature(ctx, sigID); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("signature before confirmation: %v, want ErrNotFound", err)
	}

	// Paper signatures count at once.
	if _, err := s.Service.AddPaperTally(ctx, c, campaign.PaperTallyInput{Count: "5", Country: "PL"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Service.Count(c.ID); n != 5 {
		t.Errorf("count after 5 on paper = %d, want 5", n)
	}

	// A campaign that does not ask (as every campaign stored before the
	// setting) counts at once and sends nothing.
	plain := s.addCampaign(t, "plain", nil)
	if res := s.post(t, "/c/plain/sign", signForm(s.token(t, "plain"), nil)); res.Status != 303 {
		t.Fatalf("sign plain: %d", res.Status)
	}
	if n := s.Service.Count(plain.ID); n != 1 {
		t.Errorf("plain count = %d, want 1", n)
	}
	if thanks := s.get(t, "/c/plain/thanks"); strings.Contains(thanks.Body, "check your email") {
		t.Error("a campaign without confirmation asks to check the mail")
	}
	if got := len(box.all(t)); got != 2 {
		t.Errorf("sent %d messages, want still 2", got)
	}
}

// A repeat gets the answer a new address gets; a pending address is sent
// the message again at most once an hour, a confirmed one never, and the
// repeat's writes go to decoys.
func TestOptInRepeats(t *testing.T) {
	s, c, box := optInSite(t)
	ctx := context.Background()
	sign := func(email string) response {
		t.Helper()
		res := s.post(t, "/c/optin/sign", signForm(s.freshToken(c.ID), func(v url.Values) { v.Set("email", email) }))
		res.Header = nil // dates differ
		return res
	}
	first := sign("anna@example.org")
	if got := len(box.all(t)); got != 1 {
		t.Fatalf("sent %d, want 1", got)
	}
	type step struct {
		name  string
		clock time.Duration
		sent  int
	}
	for _, st := range []step{
		{"at once", 0, 1},
		{"59 minutes on", 59 * time.Minute, 1},
		{"an hour after the first message", time.Minute, 2},
		{"again at once", 0, 2},
	} {
		s.Clock.Add(st.clock)
		if got := sign("anna@example.org"); got.Status != first.Status || got.Body != first.Body {
			t.Errorf("%s: answer %d %q, want the new address's %d %q", st.name, got.Status, got.Body, first.Status, first.Body)
		}
		if got := len(box.all(t)); got != st.sent {
			t.Errorf("%s: sent %d messages in all, want %d", st.name, got, st.sent)
		}
	}
	sent := box.all(t)
	if sent[0].Key == sent[1].Key || sent[0].ConfirmURL == sent[1].ConfirmURL {
		t.Errorf("the message sent again has the key and link of the first: %+v", sent)
	}
	// The first message's link still works; the second's confirms.
	if page := s.get(t, confirmPath(t, sent[0])); page.Status != 200 {
		t.Errorf("the first link: %d, want 200", page.Status)
	}
	if res := pressConfirm(t, s, confirmPath(t, sent[1])); res.Status != 303 {
		t.Fatalf("confirm: %d", res.Status)
	}

	// Confirmed: repeats send nothing, at once or hours later, and store
	// nothing but decoys.
	decoys := s.DB.Collection("decoy_pending_signatures")
	before, err := decoys.CountDocuments(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, wait := range []time.Duration{0, 3 * time.Hour} {
		s.Clock.Add(wait)
		if got := sign("anna@example.org"); got.Status != first.Status || got.Body != first.Body {
			t.Errorf("confirmed repeat: %d %q, want %d %q", got.Status, got.Body, first.Status, first.Body)
		}
	}
	if got := len(box.all(t)); got != 2 {
		t.Errorf("sent %d messages after confirmed repeats, want still 2", got)
	}
	if n, _ := s.Service.CountPending(ctx, c.ID); n != 0 {
		t.Errorf("pending after confirmed repeats = %d, want 0", n)
	}
	if after, _ := decoys.CountDocuments(ctx, map[string]any{}); after != before+2 {
		t.Errorf("pending decoys %d → %d, want two more", before, after)
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Errorf("count = %d, want 1", n)
	}
}

// Of repeats that come at once when a message is due, one sends it.
func TestOptInConcurrentRepeatsSendOnce(t *testing.T) {
	s, c, box := optInSite(t)
	form := func() url.Values { return signForm(s.freshToken(c.ID), nil) }
	s.post(t, "/c/optin/sign", form())
	if got := len(box.all(t)); got != 1 { // the worker sends the first
		t.Fatalf("sent %d messages, want 1", got)
	}
	s.Clock.Add(2 * time.Hour)
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		f := form()
		wg.Go(func() { statuses[i] = s.post(t, "/c/optin/sign", f).Status })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 303 {
			t.Errorf("repeat %d: %d, want 303", i, st)
		}
	}
	if got := len(box.all(t)); got != 2 {
		t.Errorf("sent %d messages, want 2 (the first and one again)", got)
	}
}

// Pending signatures expire at 72 hours: their link answers that it no
// longer works, and the cleanup deletes them then, keeping younger ones.
func TestOptInExpiry(t *testing.T) {
	s, c, box := optInSite(t)
	ctx := context.Background()
	t0 := s.Clock.Now()
	sign := func(email string) {
		t.Helper()
		if res := s.post(t, "/c/optin/sign", signForm(s.freshToken(c.ID), func(v url.Values) { v.Set("email", email) })); res.Status != 303 {
			t.Fatalf("sign %s: %d", email, res.Status)
		}
	}
	pending := func(email string) bool {
		t.Helper()
		_, err := s.Service.Store().Pending(ctx, campaign.PendingID(emailKey, c.ID, email))
		if err != nil && !errors.Is(err, campaign.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	sweep := func(wantSwept bool, wantDeleted int64) {
		t.Helper()
		swept, n, err := s.Service.SweepPending(ctx)
		if err != nil || swept != wantSwept || n != wantDeleted {
			t.Errorf("at %v: sweep = %v, %d, %v; want %v, %d", s.Clock.Now().Sub(t0), swept, n, err, wantSwept, wantDeleted)
		}
	}
	sign("anna@example.org")
	sweep(true, 0)  // the first cleanup, with no cursor yet
	sweep(false, 0) // another node's, in the same period
	s.Clock.Set(t0.Add(time.Hour))
	sign("olga@example.org")
	linkA := confirmPath(t, box.all(t)[0])

	s.Clock.Set(t0.Add(72*time.Hour - time.Second))
	if page := s.get(t, linkA); page.Status != 200 {
		t.Errorf("link a second before 72 h: %d, want 200", page.Status)
	}
	sweep(true, 0)
	countPending := func(want int64) {
		t.Helper()
		if n, err := s.Service.CountPending(ctx, c.ID); err != nil || n != want {
			t.Errorf("at %v: pending count %d, %v; want %d", s.Clock.Now().Sub(t0), n, err, want)
		}
	}
	countPending(2)
	s.Clock.Set(t0.Add(72 * time.Hour))
	if page := s.get(t, linkA); page.Status != 410 || !strings.Contains(page.Body, "This link no longer works") {
		t.Errorf("link at 72 h: %d, want 410 and the kind page", page.Status)
	}
	sweep(true, 1)
	if pending("anna@example.org") || !pending("olga@example.org") {
		t.Errorf("after the sweep at 72 h: anna pending %v, olga %v; want false, true", pending("anna@example.org"), pending("olga@example.org"))
	}
	if page := s.get(t, linkA); page.Status != 410 {
		t.Errorf("link after the sweep: %d, want 410", page.Status)
	}
	s.Clock.Set(t0.Add(72*time.Hour + 10*time.Minute)) // anna's slot has expired whole
	sweep(true, 0)
	countPending(1)
	s.Clock.Set(t0.Add(73 * time.Hour))
	sweep(true, 1)
	s.Clock.Set(t0.Add(73*time.Hour + 10*time.Minute))
	sweep(true, 0)
	countPending(0)
	if pending("olga@example.org") {
		t.Error("olga's pending signature outlived 72 h")
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("count = %d, want 0", n)
	}
}

// The console offers the setting, on for a new campaign, and shows how
// many signatures wait.
func TestOptInConsole(t *testing.T) {
	s, c, _ := optInSite(t)
	plain := s.addCampaign(t, "plain", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	ctx := context.Background()
	form := org.get(t, "/admin/campaigns/new")
	if !regexp.MustCompile(`name="confirm_email" type="checkbox" value="yes" checked`).MatchString(form.Body) {
		t.Errorf("the new campaign form does not ask for confirmation by default")
	}
	for _, tc := range []struct {
		slug string
		box  bool
	}{{"with-confirmation", true}, {"without-confirmation", false}} {
		res := org.post(t, "/admin/campaigns/new", newCampaignForm(func(v url.Values) {
			v.Set("recipient_id", c.RecipientID)
			v.Set("slug", tc.slug)
			if tc.box {
				v.Set("confirm_email", "yes")
			}
		}))
		got, err := s.Service.Campaign(ctx, campaignID(t, res))
		if err != nil {
			t.Fatal(err)
		}
		if got.ConfirmEmail != tc.box {
			t.Errorf("%s: ConfirmEmail = %v, want %v", tc.slug, got.ConfirmEmail, tc.box)
		}
	}
	for _, email := range []string{"a@example.org", "b@example.org"} {
		s.post(t, "/c/optin/sign", signForm(s.freshToken(c.ID), func(v url.Values) { v.Set("email", email) }))
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID); !strings.Contains(page.Body, "2 signatures wait for email confirmation") {
		t.Errorf("the campaign's console page does not count the pending signatures")
	}
	if page := org.get(t, "/admin/campaigns/"+plain.ID); strings.Contains(page.Body, "wait for email confirmation") {
		t.Errorf("a campaign without confirmation shows a pending count")
	}
}
