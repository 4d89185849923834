// Package mail sends the messages solidarity writes to supporters: a queue
// in the database that survives restarts and several app nodes, a worker
// that delivers through SMTP or into an outbox folder, and the layout every
// message shares (compose.go).
//
// Later features put their messages in with Queue.Enqueue, each under an
// idempotency key: enqueueing the same key again stores nothing and
// returns ErrDuplicate, before and after the first one was sent. The
// recipient's address, the subject, the bodies and the extra headers are
// sealed like every other supporter field, and deleted once the message is
// sent or given up; what stays is its kind, how it ended and when, for the
// console's counts.
//
// Sending is at least once: a node that dies between the SMTP server's
// acceptance and the record of it sends that message again after its
// lease. Two nodes never send the same message at the same time (the claim
// is exclusive, package claim).
package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Errors a caller may branch on.
var (
	// ErrDuplicate is an Enqueue under a key that was enqueued before.
	ErrDuplicate = errors.New("message already queued")
	// ErrInvalid is a message that cannot be queued as it is.
	ErrInvalid = errors.New("invalid message")
	// ErrPermanent marks a failed delivery that trying again cannot mend
	// (an SMTP 5xx answer): the queue gives the message up.
	ErrPermanent = errors.New("permanent delivery failure")
)

// Kind says what a message is for ("confirm", "update", ...): the console
// counts by it. It is lower-case letters, digits and underscores.
type Kind string

var kindShape = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// State is where a message stands.
type State string

// The states of a message.
const (
	// StateQueued waits for its due time (a first try or a retry).
	StateQueued State = "queued"
	// StateSending is claimed by a worker until its lease runs out.
	StateSending State = "sending"
	// StateSent was accepted by the SMTP server or written to the outbox.
	StateSent State = "sent"
	// StateFailed was given up: a permanent failure or too many attempts.
	StateFailed State = "failed"
)

// Message is one message to one recipient.
type Message struct {
	// Kind is what the message is for.
	Kind Kind
	// Lang is the language it is written in (a BCP 47 tag of the catalog).
	Lang string
	// To is the recipient's address.
	To string
	// Subject, Text and HTML are the composed message (Composer.Compose);
	// HTML may be empty for a plain-text message.
	Subject, Text, HTML string
	// Headers are extra header fields, such as List-Unsubscribe and
	// List-Unsubscribe-Post; the queue sets From, To, Subject, Date,
	// Message-ID and the MIME fields itself.
	Headers map[string]string
	// Key makes the message idempotent: a second Enqueue with the same key
	// stores nothing. It is stored only as a keyed hash.
	Key string
	// About are references to what the message is about (its campaign,
	// its supporter's signature): Queue.Cancel with one of them deletes
	// it while it waits. They are stored only as keyed hashes.
	About []string
}

// Limits of a message.
const (
	subjectMax = 300
	bodyMax    = 256 << 10
	headerMax  = 2000
)

// reserved are header fields the queue writes itself.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true, "message-id": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true, "dkim-signature": true,
	"sender": true, "reply-to": true, "return-path": true,
}

var headerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)

// validate checks what Enqueue stores. Its errors never hold the address.
func (m *Message) validate() error {
	problem := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case !kindShape.MatchString(string(m.Kind)):
		return problem("kind %q is not lower-case letters, digits and underscores", m.Kind)
	case m.Lang == "":
		return problem("no language")
	case m.Key == "":
		return problem("no idempotency key")
	case strings.TrimSpace(m.Subject) == "" || len(m.Subject) > subjectMax || strings.ContainsAny(m.Subject, "\r\n"):
		return problem("the subject is empty, longer than %d bytes or has a line break", subjectMax)
	case strings.TrimSpace(m.Text) == "":
		return problem("no plain text")
	case len(m.Text) > bodyMax || len(m.HTML) > bodyMax:
		return problem("a body is longer than %d bytes", bodyMax)
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
		return problem("the recipient is not one plain email address")
	}
	for name, value := range m.Headers {
		switch {
		case !headerName.MatchString(name):
			return problem("header name %q is not allowed", name)
		case reserved[strings.ToLower(name)]:
			return problem("header %s is set by the queue", name)
		case len(value) > headerMax || strings.ContainsAny(value, "\r\n"):
			return problem("header %s is longer than %d bytes or has a line break", name, headerMax)
		}
	}
	return nil
}

// Outgoing is a message a Transport delivers: the queued message opened.
type Outgoing struct {
	Message
	// ID is the queue's ID of the message, for file names; it reveals
	// nothing about the recipient.
	ID string
	// Date is when it is sent.
	Date time.Time
}
