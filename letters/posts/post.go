// Package posts holds the letters and news published about the people a
// campaign writes to: a letter the recipient wrote back, a letter to them
// made public, or news about them. Organizers write a post in the console
// (Markdown, with scans of the original pages and translations), and
// publish it at once or at a time; the public pages under /letters show
// the published ones from memory (Cache), never waiting on the database.
//
// A letter from the recipient is published only with their consent, or
// that of whoever may give it for them, recorded with who gave it.
package posts

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// Errors of the store and the service.
var (
	// ErrNotFound: no post (or scan) with that ID.
	ErrNotFound = errors.New("post not found")
	// ErrConflict: the post was changed since the form was opened.
	ErrConflict = errors.New("post was changed by someone else")
	// ErrSkipped: Load left out posts it could not read (their consent
	// cannot be unsealed, say); the others are in memory.
	ErrSkipped = errors.New("posts left out")
)

// ProblemOldSlug is a slug another post had before: its old links lead
// there, so no other post may take it.
const ProblemOldSlug campaign.Problem = "old_slug"

// Kind is what a post is.
type Kind string

// The kinds of post.
const (
	KindFrom Kind = "from" // a letter from the recipient
	KindTo   Kind = "to"   // a letter to the recipient, made public
	KindNews Kind = "news" // news about the recipient
)

// Kinds lists the kinds in the order forms offer them.
func Kinds() []Kind { return []Kind{KindFrom, KindTo, KindNews} }

// Channel is how a letter reached the organisation.
type Channel string

// The channels.
const (
	ByPost   Channel = "post"
	ByFamily Channel = "family"
	ByLawyer Channel = "lawyer"
	ByOther  Channel = "other"
)

// Channels lists the channels in the order forms offer them.
func Channels() []Channel { return []Channel{ByPost, ByFamily, ByLawyer, ByOther} }

// State is where a post is on its way to the public.
type State string

// The states. A scheduled post is public from PublishAt on.
const (
	Draft     State = "draft"
	Scheduled State = "scheduled"
	Published State = "published"
)

// Translation is a post's title, excerpt and body in another language.
type Translation struct {
	Lang    string `bson:"lang"`
	Title   string `bson:"title"`
	Excerpt string `bson:"excerpt,omitempty"`
	Body    string `bson:"body"`
}

// Scan is a picture of an original page, stored once by its content's
// hash (see package scanimage).
type Scan struct {
	ID     string `bson:"id"` // hex SHA-256 of the JPEG
	Width  int    `bson:"w"`
	Height int    `bson:"h"`
}

// Post is a letter or a piece of news.
type Post struct {
	ID   string `bson:"_id"`
	Slug string `bson:"slug"`
	// OldSlugs are the slugs the post had before, oldest first: their
	// links lead to it (a 301), and no other post may take them. Posts
	// stored before slugs were kept lack the field, which reads as none:
	// no migration is needed.
	OldSlugs []string `bson:"old_slugs,omitempty"`
	Title    string   `bson:"title"`
	// Lang is the language Title, Excerpt and Body are written in.
	Lang        string `bson:"lang"`
	RecipientID string `bson:"recipient_id"`
	Kind        Kind   `bson:"kind"`
	// WrittenOn is the day it was written, YYYY-MM-DD, "" when unknown;
	// WrittenAt where ("Babruysk").
	WrittenOn string `bson:"written_on,omitempty"`
	WrittenAt string `bson:"written_at,omitempty"`
	// ReceivedOn is the day it reached the organisation, and ReceivedBy
	// how.
	ReceivedOn string  `bson:"received_on,omitempty"`
	ReceivedBy Channel `bson:"received_by,omitempty"`
	// ShowReceivedBy says that the public pages may say how it reached
	// us. Absent, as in older posts, only the console shows it: that a
	// letter came through the family or a lawyer can expose them.
	ShowReceivedBy bool `bson:"show_received_by,omitempty"`
	// Consent says that publication was agreed to, and ConsentBy by whom
	// (kept in memory only: the store seals it).
	Consent   bool   `bson:"consent"`
	ConsentBy string `bson:"-"`
	Excerpt   string `bson:"excerpt,omitempty"`
	// Body is Markdown (package markdown renders it).
	Body         string        `bson:"body"`
	Tags         []string      `bson:"tags,omitempty"`
	CampaignID   string        `bson:"campaign_id,omitempty"`
	Translations []Translation `bson:"translations,omitempty"`
	Scans        []Scan        `bson:"scans,omitempty"`
	State        State         `bson:"state"`
	// PublishAt is when a scheduled or published post became or becomes
	// public.
	PublishAt time.Time `bson:"publish_at,omitempty"`
	// Unlisted posts are reachable by their link only: no list, feed or
	// tag page names them.
	Unlisted  bool      `bson:"unlisted,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at"`
	// Version counts the saves, from 1; a save names the version it
	// replaces.
	Version int64 `bson:"version"`
}

// Live reports whether visitors may read the post at now (by its link, at
// least: an unlisted one is live too).
func (p *Post) Live(now time.Time) bool {
	return (p.State == Published || p.State == Scheduled) && !p.PublishAt.IsZero() && !now.Before(p.PublishAt)
}

// Listed reports whether lists, feeds and tag pages show the post at now.
func (p *Post) Listed(now time.Time) bool { return p.Live(now) && !p.Unlisted }

// NeedsConsent reports whether the post may be published only with a
// recorded consent: a letter from the recipient.
func (p *Post) NeedsConsent() bool { return p.Kind == KindFrom }

// Text is a post's words in one language.
type Text struct {
	Lang, Title, Excerpt, Body string
}

// TextIn returns the post's words in lang, and false when it has no
// translation into lang and lang is not its own: then it is the original.
func (p *Post) TextIn(lang string) (Text, bool) {
	orig := Text{Lang: p.Lang, Title: p.Title, Excerpt: p.Excerpt, Body: p.Body}
	if lang == p.Lang {
		return orig, true
	}
	for _, t := range p.Translations {
		if t.Lang == lang {
			return Text{Lang: t.Lang, Title: t.Title, Excerpt: t.Excerpt, Body: t.Body}, true
		}
	}
	return orig, false
}

// Languages lists the languages the post can be read in, its own first.
func (p *Post) Languages() []string {
	out := []string{p.Lang}
	for _, t := range p.Translations {
		out = append(out, t.Lang)
	}
	return out
}

// HasTag reports whether the post carries tag.
func (p *Post) HasTag(tag string) bool { return slices.Contains(p.Tags, tag) }

// Date is the day the post is dated by in lists: the day it was written,
// else the day it became public.
func (p *Post) Date() string {
	if p.WrittenOn != "" {
		return p.WrittenOn
	}
	if !p.PublishAt.IsZero() {
		return p.PublishAt.UTC().Format(time.DateOnly)
	}
	return ""
}

// newerFirst orders posts newest first by Date, then by when they became
// public, then by ID.
func newerFirst(a, b *Post) int {
	if c := strings.Compare(b.Date(), a.Date()); c != 0 {
		return c
	}
	if c := b.PublishAt.Compare(a.PublishAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}
