package web_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/mail"
)

// refusing is a transport whose server refuses every message for good,
// echoing the address as servers do.
type refusing struct{}

func (refusing) Send(_ context.Context, m *mail.Outgoing) error {
	return fmt.Errorf("%w: 550 5.1.1 <%s>: mailbox unavailable", mail.ErrPermanent, m.To)
}

func TestMailPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	admin := s.loginAs(t, account.RoleAdmin)
	if res := admin.get(t, "/admin/mail"); res.Status != 200 || !strings.Contains(res.Body, "No message has been queued yet.") {
		t.Fatalf("empty queue: %d, without saying so", res.Status)
	}

	ctx := t.Context()
	for i, kind := range []mail.Kind{"confirm", "confirm", "update"} {
		m, err := s.Core.Mailer.Compose("en", mail.Content{Subject: "Please confirm", Paragraphs: []string{"Hello."}})
		if err != nil {
			t.Fatal(err)
		}
		m.Kind, m.To, m.Key = kind, fmt.Sprintf("bob%d@example.org", i), fmt.Sprintf("k%d", i)
		if err := s.Core.Mail.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Another node, whose server refuses: the first message is given up.
	node := mail.New(s.DB, testKeys(t).Data, emailKey, mail.Options{Transport: refusing{}, Now: s.Clock.Now, Rate: 1000})
	if _, err := node.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := s.Core.Mail.Status(ctx)
	if err != nil || st.Total.Failed != 3 {
		t.Fatalf("status %+v, %v: want 3 given up", st.Total, err)
	}
	m, err := s.Core.Mailer.Compose("fr", mail.Content{Subject: "Merci", Paragraphs: []string{"Bonjour."}})
	if err != nil {
		t.Fatal(err)
	}
	m.Kind, m.To, m.Key = "update", "eve@example.org", "k9"
	if err := s.Core.Mail.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Core.Mail.Enqueue(ctx, m); !errors.Is(err, mail.ErrDuplicate) {
		t.Fatalf("the same key again: %v, want ErrDuplicate", err)
	}

	res := admin.get(t, "/admin/mail")
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	for _, want := range []string{
		`<th scope="row"><code>confirm</code></th><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">2</td>`,
		`<th scope="row"><code>update</code></th><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">1</td>`,
		"The oldest message still to be sent was queued at 2027-06-01 12:00 UTC.",
		"Last failure, at 2027-06-01 12:00 UTC:", "mailbox unavailable", `href="/admin/mail"`,
		// The site's node has no transport (no SMTP server, no outbox).
		"Mail is not being sent: this site has no SMTP server",
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, addr := range []string{"bob0", "bob1", "bob2", "eve@"} {
		if strings.Contains(res.Body, addr) {
			t.Errorf("the page shows the address %s…", addr)
		}
	}
	for _, role := range []account.Role{account.RoleOrganizer, account.RoleModerator} {
		if res := s.loginAs(t, role).get(t, "/admin/mail"); res.Status != 403 {
			t.Errorf("%s: status %d, want 403", role, res.Status)
		}
	}
	if res := s.get(t, "/admin/mail"); res.Status != 303 && res.Status != 302 {
		t.Errorf("signed out: status %d, want a redirect to sign in", res.Status)
	}
}
