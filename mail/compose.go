package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/site"
)

//go:embed templates
var templates embed.FS

// Organisation gives the profile of whoever runs the site (site.Cache),
// which every message's footer names.
type Organisation interface {
	Profile() (site.Profile, bool)
}

// Link is a labelled absolute http or https address.
type Link struct {
	Label, URL string
}

// Content is what a feature writes into a message, already in the
// recipient's language; the layout adds the footer with the organisation's
// name and postal address. Everything is text: the HTML version escapes
// it.
type Content struct {
	Subject string
	// Paragraphs are the body, one paragraph each.
	Paragraphs []string
	// Action, when set, is the one thing the message asks the recipient
	// to do (a button in HTML, the address on a line of its own in text).
	Action *Link
	// Reason says in the footer why the recipient gets the message.
	Reason string
	// Links are small links in the footer, such as unsubscribing or
	// erasing a signature.
	Links []Link
}

// Composer lays out messages in every language of the catalog.
type Composer struct {
	messages *i18n.Catalog
	org      Organisation
	html     *htmltemplate.Template
	text     *texttemplate.Template
}

// NewComposer parses the layout; a broken template fails start-up.
func NewComposer(messages *i18n.Catalog, org Organisation) (*Composer, error) {
	h, err := htmltemplate.ParseFS(templates, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse the mail layout: %w", err)
	}
	t, err := texttemplate.ParseFS(templates, "templates/layout.txt")
	if err != nil {
		return nil, fmt.Errorf("parse the mail layout: %w", err)
	}
	return &Composer{messages: messages, org: org, html: h, text: t}, nil
}

// footer is the organisation's part of every message.
type footer struct {
	SentBy     string
	Address    []string
	NoTracking string
}

// layout is what the templates see.
type layout struct {
	Content
	Lang   string
	Footer footer
}

// Compose lays out c in the language lang (the catalog's default when it
// has no such language) and returns a message with its language, subject
// and both bodies; the caller sets its kind, recipient, key and headers.
func (c *Composer) Compose(lang string, content Content) (Message, error) {
	if strings.TrimSpace(content.Subject) == "" || len(content.Paragraphs) == 0 {
		return Message{}, fmt.Errorf("%w: a message needs a subject and a body", ErrInvalid)
	}
	links := content.Links
	if content.Action != nil {
		links = append([]Link{*content.Action}, links...)
	}
	for _, l := range links {
		if u, err := url.Parse(l.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || l.Label == "" {
			return Message{}, fmt.Errorf("%w: link %q is not a labelled absolute http or https address", ErrInvalid, l.Label)
		}
	}
	tag, ok := c.messages.Supported(lang)
	if !ok {
		tag = i18n.Default()
	}
	l := c.messages.Localizer(tag)
	f := footer{NoTracking: l.T("mail.footer.no_tracking")}
	if p, ok := c.org.Profile(); ok && p.Name != "" {
		f.SentBy = l.T("mail.footer.sent_by") + " " + p.Name
		f.Address = p.Address
	} else {
		f.SentBy = l.T("mail.footer.no_profile")
	}
	data := layout{Content: content, Lang: tag.String(), Footer: f}
	var h, t bytes.Buffer
	if err := c.html.Execute(&h, data); err != nil {
		return Message{}, fmt.Errorf("lay out the HTML message: %w", err)
	}
	if err := c.text.Execute(&t, data); err != nil {
		return Message{}, fmt.Errorf("lay out the text message: %w", err)
	}
	return Message{Lang: tag.String(), Subject: strings.TrimSpace(content.Subject), Text: t.String(), HTML: h.String()}, nil
}
