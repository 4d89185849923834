// Package campaign holds campaigns, their recipients and their signatures,
// and the rules of signing: who may sign when, what a valid signature is,
// and that each email address counts once per campaign.
package campaign

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sentinel errors; test for them with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	ErrClosed    = errors.New("campaign is closed")
	ErrNotOpen   = errors.New("campaign is not open yet")
)

// Status is where a campaign stands in its life. It is derived from the
// campaign's times, never stored.
type Status string

// The statuses, in the order a campaign goes through them.
const (
	StatusDraft     Status = "draft"     // not published: no opening time set
	StatusScheduled Status = "scheduled" // published, opens later
	StatusOpen      Status = "open"      // accepting signatures
	StatusClosed    Status = "closed"    // past its deadline
)

// DefaultGreetingMax is the greeting length limit of a new campaign.
const DefaultGreetingMax = 500

// Campaign is a letter that supporters sign for one recipient before a
// deadline.
type Campaign struct {
	ID   string `bson:"_id"`
	Slug string `bson:"slug"`
	// OldSlugs are the slugs the campaign had before; requests to them are
	// redirected to Slug. No two campaigns share a slug, old or current.
	OldSlugs      []string `bson:"old_slugs,omitempty"`
	Title         string   `bson:"title"`
	Summary       string   `bson:"summary"`
	Letter        string   `bson:"letter"` // the text supporters sign, addressed to the recipient
	OrganizerName string   `bson:"organizer_name"`
	// Language is the language its title, summary and letter are written
	// in (a BCP 47 tag such as "be"); the letter's closing line is in it
	// too. Empty, as for campaigns stored before it existed, is English.
	Language string `bson:"language,omitempty"`
	// Share is the line share links propose in the campaign's language;
	// empty lets the site's own line name the title.
	Share string `bson:"share_text,omitempty"`
	// Translations are the campaign's texts in other languages than its
	// own, one per language (see Texts and TextIn).
	Translations []Text `bson:"translations,omitempty"`
	// ReturnAddress holds the sender's postal address lines printed on the
	// envelopes; empty prints the organizer's name alone.
	ReturnAddress []string `bson:"return_address,omitempty"`
	// RecipientID is the person a letter campaign writes to; a drive
	// (Kind) writes to RecipientIDs instead and leaves it empty.
	RecipientID string `bson:"recipient_id"`
	// Kind is what the campaign collects: a letter many people sign (the
	// default, as for campaigns stored before it existed) or a drive of
	// cards to many recipients (drive.go).
	Kind Kind `bson:"kind,omitempty"`
	// RecipientIDs are a drive's recipients, in the order the organizer
	// chose them; nil for a letter.
	RecipientIDs []string `bson:"recipient_ids,omitempty"`
	// Suggestions are greetings an organizer wrote for a drive's cards,
	// offered to supporters in the languages the recipient's prison lets
	// through.
	Suggestions []Suggestion `bson:"suggestions,omitempty"`
	Goal        int          `bson:"goal"`
	// OpensAt is when signing starts; zero for a draft.
	OpensAt time.Time `bson:"opens_at"`
	// ClosesAt is the first instant at which signing is over, in UTC.
	ClosesAt time.Time `bson:"closes_at"`
	// TimeZone is the IANA zone in which the campaign's dates are shown.
	TimeZone  string    `bson:"time_zone"`
	Greetings Greetings `bson:"greetings"`
	// EmbedOrigins are the sites (origins such as "https://partner.example")
	// that may embed the campaign's widget; empty lets any site embed it.
	EmbedOrigins []string `bson:"embed_origins,omitempty"`
	// AtRisk are the countries (ISO 3166-1 alpha-2) whose signers can be
	// prosecuted for signing: the form tells them what is stored and
	// printed, and proposes printing no name. Nil (a campaign stored
	// before the field existed) means DefaultAtRisk; empty means none.
	AtRisk []string `bson:"at_risk_countries"`
	// ArchivedAt hides a campaign from the public and the console's lists;
	// zero while it is not archived.
	ArchivedAt time.Time `bson:"archived_at"`
	// MergeAliases counts "name+tag@" and dotted Gmail addresses as one
	// person's (aliases.go). Off, as for campaigns stored before it
	// existed, counts every address apart.
	MergeAliases bool `bson:"merge_aliases,omitempty"`
	// Unlisted campaigns are reachable by their link only: the home page,
	// the API's list and the sitemap leave them out, and their page asks
	// search engines not to index it. For when the prisoner or their
	// family asks. Absent, as in campaigns stored before it existed, is
	// listed.
	Unlisted bool `bson:"unlisted,omitempty"`
	// ConfirmEmail counts a signature made on the web, in the widget or
	// through the API only once its supporter has confirmed the address
	// (pending.go); paper signatures never wait. New campaigns ask for it;
	// absent, as in campaigns stored before it existed, is off, so they
	// go on as they were and need no migration.
	ConfirmEmail bool      `bson:"confirm_email,omitempty"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`
}

// Greetings are a campaign's settings for the short personal messages that
// supporters may add to their signature.
type Greetings struct {
	Enabled   bool `bson:"enabled"`
	MaxLength int  `bson:"max_length"`
	// ShowPublic shows the latest approved greetings on the campaign page.
	ShowPublic bool `bson:"show_public"`
}

// Recipient is the person a campaign writes to. Recipients are records of
// their own so that several campaigns can write to the same person.
type Recipient struct {
	ID string `bson:"_id"`
	// Slug names the recipient's public page, /r/{slug}; OldSlugs are the
	// ones it had before, redirected to it. No two recipients share a
	// slug, old or current.
	Slug     string   `bson:"slug"`
	OldSlugs []string `bson:"old_slugs,omitempty"`
	Name     string   `bson:"name"`
	// Description is the short story of who they are and why they are
	// held, shown on their page and their campaigns'.
	Description string `bson:"description"`
	// DetainedSince is the day they were detained, YYYY-MM-DD; "" when
	// unknown.
	DetainedSince string `bson:"detained_since,omitempty"`
	// Sentence is the sentence as people say it ("5 years in a
	// high-security colony"); "" before a verdict or when unknown.
	Sentence string `bson:"sentence,omitempty"`
	// Unlisted recipients are reachable by their page's link only: no
	// list, feed or sitemap names them, their campaigns or the posts about
	// them.
	Unlisted bool `bson:"unlisted,omitempty"`
	// Birthday is MM-DD, or YYYY-MM-DD when the year is known (birthday.go);
	// "" when unknown. The console suggests a birthday campaign from it.
	Birthday string `bson:"birthday,omitempty"`
	// ShowBirthday lets the public directory show the birthday's day and
	// month: only when the recipient or their family agreed.
	ShowBirthday bool `bson:"show_birthday,omitempty"`
	// Address holds the postal address lines, as they go on an envelope.
	Address []string `bson:"address"`
	Country string   `bson:"country"` // ISO 3166-1 alpha-2
	// LanguageRules says in which languages letters reach the recipient,
	// e.g. "Letters must be in Belarusian or Russian".
	LanguageRules string `bson:"language_rules"`
	// Languages are the ISO 639-1 codes of the languages the prison lets
	// through (e.g. be, ru); greetings in others need a translation.
	Languages []string `bson:"languages"`
	// CensorWords are words that prison censors are known to reject;
	// greetings containing one are flagged in moderation.
	CensorWords []string `bson:"censor_words"`
	// Changes are what happened to the recipient since: transfers (with
	// the address from then on), release, incommunicado, death; by day
	// (recipients_status.go). Address stays the address before the first
	// transfer. Recipients stored before it existed have none.
	Changes   []StatusChange `bson:"status_changes,omitempty"`
	CreatedAt time.Time      `bson:"created_at"`
}

// Status derives the campaign's status at the instant now.
func (c *Campaign) Status(now time.Time) Status {
	switch {
	case c.OpensAt.IsZero():
		return StatusDraft
	case now.Before(c.OpensAt):
		return StatusScheduled
	case now.Before(c.ClosesAt):
		return StatusOpen
	default:
		return StatusClosed
	}
}

// Public reports whether visitors may see the campaign at now: open or
// closed, never a draft, one that has not opened yet or an archived one.
func (c *Campaign) Public(now time.Time) bool {
	s := c.Status(now)
	return (s == StatusOpen || s == StatusClosed) && !c.Archived()
}

// Archived reports whether the campaign has been archived.
func (c *Campaign) Archived() bool { return !c.ArchivedAt.IsZero() }

// Location is the campaign's time zone, or UTC when it has none.
func (c *Campaign) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate checks what every stored campaign must satisfy.
func (c *Campaign) Validate() error {
	var errs []error
	if !ValidSlug(c.Slug) {
		errs = append(errs, fmt.Errorf("slug %q must be 1 to 80 lower-case letters, digits and single hyphens", c.Slug))
	}
	if c.Title == "" {
		errs = append(errs, errors.New("title is empty"))
	}
	if c.Goal < 0 {
		errs = append(errs, errors.New("goal is negative"))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		errs = append(errs, fmt.Errorf("time zone %q is not an IANA zone name", c.TimeZone))
	}
	if !c.OpensAt.IsZero() && !c.ClosesAt.After(c.OpensAt) {
		errs = append(errs, errors.New("closes_at must be after opens_at"))
	}
	if c.Greetings.Enabled && c.Greetings.MaxLength <= 0 {
		errs = append(errs, errors.New("greeting max length must be positive"))
	}
	return errors.Join(errs...)
}

// ValidSlug reports whether s can name a campaign in its address: 1 to 80
// characters, a-z, 0-9 and hyphens, not starting or ending with a hyphen and
// without two in a row.
func ValidSlug(s string) bool {
	if len(s) == 0 || len(s) > 80 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
		case ch == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// StartOfDay returns the first instant of the calendar day y-m-d in loc,
// which is when a campaign "before 12 July" closes. Where midnight does not
// exist (a clock change at 00:00) it is the first instant that does; where
// midnight happens twice it is the first one.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	// Midnight computed with the offset in force at noon of the day before
	// and at noon of the day itself; any clock change near midnight lies
	// between the two. The earliest candidate that falls on the day wins.
	var best time.Time
	for _, noon := range []time.Time{
		time.Date(y, m, d-1, 12, 0, 0, 0, loc),
		time.Date(y, m, d, 12, 0, 0, 0, loc),
	} {
		_, offset := noon.Zone()
		c := time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("", offset)).In(loc)
		cy, cm, cd := c.Date()
		if cy == y && cm == m && cd == d && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if best.IsZero() {
		// The day does not exist there (Samoa skipped 30 December 2011):
		// the deadline is the start of the next day that does.
		return StartOfDay(y, m, d+1, loc)
	}
	return best.UTC()
}

// Deadline returns the closing instant of a campaign that runs "before"
// the given date (YYYY-MM-DD) in the IANA time zone tz.
func Deadline(date, tz string) (time.Time, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		return time.Time{}, fmt.Errorf("time zone %q is not an IANA zone name", tz)
	}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", date)
	}
	return StartOfDay(day.Year(), day.Month(), day.Day(), loc), nil
}

// TextLanguage is the language the campaign's texts are written in: its
// Language, or English.
func (c *Campaign) TextLanguage() string {
	if c.Language == "" {
		return "en"
	}
	return c.Language
}

// AllowsLanguage reports whether letters in the language code reach the
// recipient: the prison's list names it, or the list is empty (no rule
// known).
func (r *Recipient) AllowsLanguage(code string) bool {
	return len(r.Languages) == 0 || slices.Contains(r.Languages, code)
}
