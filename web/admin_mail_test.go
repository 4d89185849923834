package web_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/updates"
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
	for i, kind := range []mail.Kind{app.KindConfirm, app.KindConfirm, updates.Kind} {
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
	m.Kind, m.To, m.Key = updates.Kind, "eve@example.org", "k9"
	if err := s.Core.Mail.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Core.Mail.Enqueue(ctx, m); !errors.Is(err, mail.ErrDuplicate) {
		t.Fatalf("the same key again: %v, want ErrDuplicate", err)
	}
	// A kind this version does not name (one of a newer node, say).
	m.Kind, m.To, m.Key = "digest", "ann@example.org", "k10"
	if err := s.Core.Mail.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}

	res := admin.get(t, "/admin/mail")
	english := res.Body
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	for _, want := range []string{
		`<th scope="row"><span title="confirm">Requests to confirm a signature</span></th><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">2</td>`,
		`<th scope="row"><span title="update">News of a campaign</span></th><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">1</td>`,
		`<th scope="row"><code>digest</code></th><td class="num">1</td>`,
		"The oldest message still to be sent was queued at 2027-06-01 12:00 UTC.",
		"Last failure, at 2027-06-01 12:00 UTC:", "mailbox unavailable", `href="/admin/mail"`,
		// The site's node has no transport (no SMTP server, no outbox).
		"Mail is not being sent: this site has no SMTP server",
	} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, addr := range []string{"bob0", "bob1", "bob2", "eve@", "ann@"} {
		if strings.Contains(res.Body, addr) {
			t.Errorf("the page shows the address %s…", addr)
		}
	}
	// Every kind the application sends is named in every language of the
	// console, by its own words.
	for _, lang := range s.Core.Messages.Languages() {
		res := admin.get(t, "/admin/mail?lang="+lang.String())
		for _, kind := range []mail.Kind{app.KindConfirm, updates.Kind} {
			name := kindName(res.Body, kind)
			if name == "" || strings.Contains(name, "admin.mail.kind") || (lang.String() != "en" && name == kindName(english, kind)) {
				t.Errorf("%s: the kind %s is named %q", lang, kind, name)
			}
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

// kindName is the name the mail page gives kind: the text of the row
// heading whose title is its code.
func kindName(page string, kind mail.Kind) string {
	_, after, ok := strings.Cut(page, `<span title="`+string(kind)+`">`)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(after, "</span>")
	return name
}
