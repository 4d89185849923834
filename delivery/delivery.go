// Package delivery keeps what happened to a campaign's letter after
// signing closed: the events an organizer records (bundle built, posted,
// delivered, returned, confirmed, reply received, confiscated), and the
// public timeline the campaign page draws from them. Public events are
// held in memory so that no public page waits on the database.
//
// Every event has a stable ID, its creation time and its public flag, so
// that a later mail feature can tell the supporters who asked for updates
// about each public event; this package sends nothing.
package delivery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// Sentinel errors; test for them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
)

// Kind is what an event says happened.
type Kind string

// The event kinds, in the order a letter usually goes through them.
const (
	KindBuilt     Kind = "built"     // the print bundle was built
	KindPosted    Kind = "posted"    // the envelopes were posted or handed over
	KindDelivered Kind = "delivered" // the post says they were delivered
	KindReturned  Kind = "returned"  // they came back to the sender
	KindConfirmed Kind = "confirmed" // the recipient confirmed receiving them
	KindReply     Kind = "reply"     // a reply from the recipient arrived
	KindBlocked   Kind = "blocked"   // confiscated or blocked by the prison
)

// Kinds lists every kind, in form order.
var Kinds = []Kind{KindBuilt, KindPosted, KindDelivered, KindReturned, KindConfirmed, KindReply, KindBlocked}

// Method is how envelopes were sent.
type Method string

// The sending methods.
const (
	MethodRegular    Method = "regular"
	MethodRegistered Method = "registered"
	MethodCourier    Method = "courier"
	MethodHanded     Method = "handed" // handed over in person
)

// Methods lists every method, in form order.
var Methods = []Method{MethodRegular, MethodRegistered, MethodCourier, MethodHanded}

// Limits of what an event holds.
const (
	NoteMax     = 1000 // characters of a note or a reason
	TrackingMax = 100  // characters of a tracking number
	SlugMax     = 120  // characters of a post's slug
	EnvelopeMax = 10000
	ReplyMax    = 500 // signature numbers a reply is addressed to
)

// Problems specific to events, besides campaign's.
const (
	ProblemKind    campaign.Problem = "kind"    // not a known kind
	ProblemMethod  campaign.Problem = "method"  // not a known method
	ProblemNumbers campaign.Problem = "numbers" // not a list of signature numbers
	ProblemNoSuch  campaign.Problem = "no_such" // signature numbers that the bundle does not have
	ProblemBundle  campaign.Problem = "bundle"  // not a finished bundle of the campaign
	// ProblemNumbersGone: the bundle's map of numbers to signatures is not
	// stored, so a reply's numbers cannot be resolved.
	ProblemNumbersGone campaign.Problem = "numbers_gone"
)

// Event is one thing that happened to a campaign's letter.
type Event struct {
	ID          string `bson:"_id"`
	CampaignID  string `bson:"campaign_id"`
	RecipientID string `bson:"recipient_id"`
	Kind        Kind   `bson:"kind"`
	// Day is the calendar day it happened, YYYY-MM-DD, in the campaign's
	// time zone.
	Day string `bson:"day"`
	// Public shows the event on the campaign page and in the API; an
	// internal one is for the console only.
	Public bool `bson:"public"`
	// PublicNote is shown with a public event; InternalNote never leaves
	// the console.
	PublicNote   string `bson:"public_note,omitempty"`
	InternalNote string `bson:"internal_note,omitempty"`

	// Bundle names the bundle job built (KindBuilt) or the one whose
	// signature numbers a reply's Numbers are (KindReply); SHA256 and the
	// counts are the bundle's as built.
	Bundle     string `bson:"bundle,omitempty"`
	SHA256     string `bson:"sha256,omitempty"`
	Signatures int    `bson:"signatures,omitempty"`
	Pages      int    `bson:"pages,omitempty"`
	// Envelopes is how many envelopes the bundle has (KindBuilt) or were
	// posted (KindPosted).
	Envelopes int    `bson:"envelopes,omitempty"`
	Method    Method `bson:"method,omitempty"`
	// Tracking is the post's tracking number: console only.
	Tracking string `bson:"tracking,omitempty"`
	// Reason says why letters came back (KindReturned); public with the
	// event.
	Reason string `bson:"reason,omitempty"`
	// Post is the slug of the published post that holds a reply; the
	// page links it when such a post is published.
	Post string `bson:"post,omitempty"`
	// Numbers are the signature numbers, as printed in Bundle, that a
	// reply answers; SignatureIDs the signatures the bundle printed as
	// them (an erased one is taken out). Console only.
	Numbers      []int    `bson:"numbers,omitempty"`
	SignatureIDs []string `bson:"signature_ids,omitempty"`

	RecordedBy string    `bson:"recorded_by"`
	CreatedAt  time.Time `bson:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at"`
}

// Date is the event's day at noon UTC, for formatting as a date; zero
// when Day is not a date.
func (e *Event) Date() time.Time {
	d, err := time.Parse(time.DateOnly, e.Day)
	if err != nil {
		return time.Time{}
	}
	return d.Add(12 * time.Hour)
}

// Problems lists what is wrong with an event as an organizer wrote it,
// field by field, in form order. It does not check the bundle or the
// signature numbers, which need the database.
func (e *Event) Problems() []campaign.FieldError {
	var out []campaign.FieldError
	add := func(field string, p campaign.Problem, limit int) {
		out = append(out, campaign.FieldError{Field: field, Problem: p, Limit: limit})
	}
	if !slices.Contains(Kinds, e.Kind) {
		add("kind", ProblemKind, 0)
	}
	switch {
	case e.Day == "":
		add("day", campaign.ProblemRequired, 0)
	case e.Date().IsZero():
		add("day", campaign.ProblemDate, 0)
	}
	if e.Kind == KindBuilt && e.Bundle == "" {
		add("bundle", campaign.ProblemRequired, 0)
	}
	if e.Kind == KindPosted {
		if !slices.Contains(Methods, e.Method) {
			add("method", ProblemMethod, 0)
		}
		if e.Envelopes < 1 || e.Envelopes > EnvelopeMax {
			add("envelopes", campaign.ProblemNumber, EnvelopeMax)
		}
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{
		{"tracking", e.Tracking, TrackingMax}, {"reason", e.Reason, NoteMax}, {"post", e.Post, SlugMax},
		{"public_note", e.PublicNote, NoteMax}, {"internal_note", e.InternalNote, NoteMax},
	} {
		switch {
		case textnorm.Check(f.value) != nil:
			// Control and text-direction characters would reach the
			// timeline raw.
			add(f.field, campaign.ProblemInvalid, 0)
		case utf8.RuneCountInString(f.value) > f.max:
			add(f.field, campaign.ProblemTooLong, f.max)
		}
	}
	if e.Post != "" && !campaign.ValidSlug(e.Post) {
		add("post", campaign.ProblemSlug, 0)
	}
	if len(e.Numbers) > ReplyMax {
		add("numbers", ProblemNumbers, ReplyMax)
	}
	return out
}

// clean drops the fields the event's kind does not have, so that a kind
// changed in the form leaves nothing behind.
func (e *Event) clean() {
	if e.Kind != KindBuilt && e.Kind != KindReply {
		e.Bundle = ""
	}
	if e.Kind != KindBuilt {
		e.SHA256, e.Signatures, e.Pages = "", 0, 0
	}
	if e.Kind != KindBuilt && e.Kind != KindPosted {
		e.Envelopes = 0
	}
	if e.Kind != KindPosted {
		e.Method, e.Tracking = "", ""
	}
	if e.Kind != KindReturned {
		e.Reason = ""
	}
	if e.Kind != KindReply {
		e.Post, e.Numbers, e.SignatureIDs = "", nil, nil
	}
	if e.Kind == KindReply && len(e.Numbers) == 0 {
		e.Bundle = ""
	}
}

// Changed lists the fields of an event, by their form names, in which
// after differs from before, for the audit log: which fields, never what
// they say.
func Changed(before, after *Event) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"kind", before.Kind == after.Kind}, {"day", before.Day == after.Day}, {"public", before.Public == after.Public},
		{"public_note", before.PublicNote == after.PublicNote}, {"internal_note", before.InternalNote == after.InternalNote},
		{"bundle", before.Bundle == after.Bundle}, {"method", before.Method == after.Method},
		{"envelopes", before.Envelopes == after.Envelopes}, {"tracking", before.Tracking == after.Tracking},
		{"reason", before.Reason == after.Reason}, {"post", before.Post == after.Post},
		{"numbers", slices.Equal(before.Numbers, after.Numbers)},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// ParseNumbers reads signature numbers as an organizer types them:
// "3, 17 40-42" is 3, 17, 40, 41 and 42. They come back sorted, each once.
func ParseNumbers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		lo, hi, isRange := strings.Cut(f, "-")
		a, err := number(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = number(hi); err != nil {
				return nil, err
			}
		}
		if b < a || b-a >= ReplyMax {
			return nil, fmt.Errorf("range %q: %w", f, errBadNumber)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
		if len(out) > ReplyMax {
			return nil, fmt.Errorf("more than %d numbers: %w", ReplyMax, errBadNumber)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

var errBadNumber = errors.New("not a signature number")

func number(s string) (int, error) {
	if s == "" || len(s) > 9 {
		return 0, fmt.Errorf("%q: %w", s, errBadNumber)
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q: %w", s, errBadNumber)
		}
		n = n*10 + int(r-'0')
	}
	if n == 0 {
		return 0, fmt.Errorf("%q: %w", s, errBadNumber)
	}
	return n, nil
}

// FormatNumbers writes numbers as ParseNumbers reads them, runs as ranges.
func FormatNumbers(ns []int) string {
	var b strings.Builder
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if j > i+1 {
			fmt.Fprintf(&b, "%d-%d", ns[i], ns[j])
		} else {
			fmt.Fprintf(&b, "%d", ns[i])
			if j == i+1 {
				fmt.Fprintf(&b, ", %d", ns[j])
			}
		}
		i = j + 1
	}
	return b.String()
}

// Public is an event as public pages and the API show it: nothing that
// is for the console only (notes, tracking number, who recorded it,
// whom a reply answers).
type Public struct {
	ID string
	// Recipient is the ID of the recipient the event is about: a drive's
	// events are each about one of its recipients.
	Recipient string
	Kind      Kind
	Day       string
	Date      time.Time // Day at noon UTC
	Note      string
	Method    Method
	Envelopes int
	// Signatures and Pages are a built bundle's counts.
	Signatures, Pages int
	Reason            string
	Post              string
}

// PublicView returns what e shows publicly: what the campaign page's timeline
// and the API show of it, and what the console summarises.
func (e *Event) PublicView() Public {
	return Public{ID: e.ID, Recipient: e.RecipientID, Kind: e.Kind, Day: e.Day, Date: e.Date(), Note: e.PublicNote, Method: e.Method,
		Envelopes: e.Envelopes, Signatures: e.Signatures, Pages: e.Pages, Reason: e.Reason, Post: e.Post}
}

// order sorts events by day, then by when they were recorded.
func order(a, b Event) int {
	if c := strings.Compare(a.Day, b.Day); c != 0 {
		return c
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
