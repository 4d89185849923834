package mail_test

import (
	"bytes"
	"errors"
	htmlpkg "html"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/site"
)

// org is a fixed organisation profile.
type org struct {
	p  site.Profile
	ok bool
}

func (o org) Profile() (site.Profile, bool) { return o.p, o.ok }

var viasna = org{p: site.Profile{Name: "Viasna Letters Group", Address: []string{"PO Box 17", "00-950 Warszawa"}}, ok: true}

func composer(t *testing.T, o mail.Organisation) (*mail.Composer, *i18n.Catalog) {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	comp, err := mail.NewComposer(c, o)
	if err != nil {
		t.Fatal(err)
	}
	return comp, c
}

func content() mail.Content {
	return mail.Content{
		Subject:    "Your letter to Ales",
		Paragraphs: []string{"Thank you for signing.", "We use <b>no</b> tricks & no trackers."},
		Action:     &mail.Link{Label: "Confirm", URL: "https://letters.example.net/confirm/abc?x=1&y=2"},
		Reason:     "You signed the letter to Ales.",
		Links:      []mail.Link{{Label: "Erase my signature", URL: "https://letters.example.net/erase/abc"}},
	}
}

// parts reads a received message's plain-text and HTML parts.
func parts(t *testing.T, data []byte) (text, html string, header netmail.Header) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return text, html, m.Header
}

// Every language lays out a message with both versions and the
// organisation's name and address, delivered through SMTP.
func TestComposedMessageDelivered(t *testing.T) {
	t.Parallel()
	comp, cat := composer(t, viasna)
	s := newSetup(t, nil)
	langs := cat.Languages()
	if len(langs) != 9 {
		t.Fatalf("the catalog has %d languages, want 9", len(langs))
	}
	for i, tag := range langs {
		m, err := comp.Compose(tag.String(), content())
		if err != nil {
			t.Fatal(err)
		}
		m.Kind, m.To, m.Key = "test", address(i), "compose/"+tag.String()
		s.enqueue(t, m)
	}
	for runOnce(t, s.queue) > 0 {
	}
	got := s.sink.Received()
	if len(got) != len(langs) {
		t.Fatalf("received %d, want %d", len(got), len(langs))
	}
	for _, r := range got {
		text, html, header := parts(t, r.Data)
		l := cat.Localizer(langs[indexOf(t, r.To[0], len(langs))])
		for name, body := range map[string]string{"text": text, "html": htmlpkg.UnescapeString(html)} {
			for _, want := range []string{"Viasna Letters Group", "PO Box 17", "00-950 Warszawa", l.T("mail.footer.sent_by"),
				l.T("mail.footer.no_tracking"), "Thank you for signing.", "https://letters.example.net/erase/abc"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s, %s part lacks %q:\n%s", l.Lang(), name, want, body)
				}
			}
		}
		if !strings.Contains(html, `lang="`+l.Lang()+`"`) {
			t.Errorf("%s: the HTML does not say its language", l.Lang())
		}
		if header.Get("Subject") == "" {
			t.Errorf("%s: no subject", l.Lang())
		}
		// The HTML escapes the text, loads nothing and tracks nothing.
		if strings.Contains(html, "<b>no</b>") || !strings.Contains(html, "&lt;b&gt;no&lt;/b&gt;") {
			t.Errorf("%s: the HTML does not escape the body", l.Lang())
		}
		for _, bad := range []string{"<img", "<script", "<link", "src=", "url("} {
			if strings.Contains(strings.ToLower(html), bad) {
				t.Errorf("%s: the HTML holds %q", l.Lang(), bad)
			}
		}
		if !strings.Contains(text, "https://letters.example.net/confirm/abc?x=1&y=2") {
			t.Errorf("%s: the text lacks the action's address", l.Lang())
		}
	}
}

// indexOf is the language index a test address was sent for.
func indexOf(t *testing.T, to string, n int) int {
	t.Helper()
	for i := range n {
		if to == address(i) {
			return i
		}
	}
	t.Fatalf("unexpected recipient %s", to)
	return 0
}

func TestComposeWithoutProfile(t *testing.T) {
	t.Parallel()
	comp, cat := composer(t, org{})
	m, err := comp.Compose("pl", content())
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := cat.Supported("pl")
	want := cat.Localizer(pl).T("mail.footer.no_profile")
	if !strings.Contains(m.Text, want) || m.Lang != "pl" {
		t.Errorf("lang %s, text lacks %q:\n%s", m.Lang, want, m.Text)
	}
	// An unknown language falls back to the default.
	m, err = comp.Compose("xx", content())
	if err != nil || m.Lang != i18n.Default().String() {
		t.Errorf("unknown language: %v, lang %q", err, m.Lang)
	}
}

func TestComposeRefuses(t *testing.T) {
	t.Parallel()
	comp, _ := composer(t, viasna)
	for name, change := range map[string]func(*mail.Content){
		"no subject":        func(c *mail.Content) { c.Subject = " " },
		"no body":           func(c *mail.Content) { c.Paragraphs = nil },
		"script link":       func(c *mail.Content) { c.Links = []mail.Link{{Label: "x", URL: "javascript:alert(1)"}} },
		"relative action":   func(c *mail.Content) { c.Action = &mail.Link{Label: "x", URL: "/confirm"} },
		"unlabelled action": func(c *mail.Content) { c.Action = &mail.Link{URL: "https://x.example/"} },
	} {
		t.Run(name, func(t *testing.T) {
			c := content()
			change(&c)
			if _, err := comp.Compose("en", c); !errors.Is(err, mail.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}
