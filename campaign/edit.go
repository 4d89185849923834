package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrWrongStatus is an action the campaign's status does not allow, such as
// closing a campaign that is not open.
var ErrWrongStatus = errors.New("not possible in the campaign's status")

// ErrConflict is a save over a campaign that someone else changed since it
// was read: nothing is stored, so that a stale form never undoes a newer
// change (such as closing early).
var ErrConflict = errors.New("campaign was changed by someone else")

// Problems of the console's forms, besides those of the sign form.
const (
	ProblemSlug          Problem = "slug"           // not a valid slug
	ProblemTaken         Problem = "taken"          // another record uses it
	ProblemTimeZone      Problem = "time_zone"      // not an IANA zone name
	ProblemDate          Problem = "date"           // not a date or time
	ProblemNumber        Problem = "number"         // not a whole number in range (Limit is the maximum)
	ProblemBeforeOpening Problem = "before_opening" // closes before it opens
	ProblemUnknown       Problem = "unknown"        // refers to a record that does not exist
	ProblemLanguage      Problem = "language"       // not an ISO 639-1 code
)

// Limits of what organizers type.
const (
	TitleMax        = 200
	OrganizerMax    = 200  // the organisation's name the letter is signed with
	GreetingMaxHigh = 5000 // the highest greeting length limit a campaign may set
	RecipientMax    = 120  // a recipient's name
	SentenceMax     = 300  // a recipient's sentence
)

// MovedError is a request for a campaign by a slug it had before. Callers
// that face the public redirect to the campaign's current slug; those that
// do not know it treat it as ErrNotFound.
type MovedError struct {
	From, To string // the old and the current slug
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("campaign %q is now %q", e.From, e.To)
}

// Is makes a MovedError count as ErrNotFound: nothing is under the old slug.
func (e *MovedError) Is(target error) bool { return target == ErrNotFound }

// RecipientMovedError is a request for a recipient's page by a slug it had
// before: pages redirect to the current one.
type RecipientMovedError struct {
	From, To string // the old and the current slug
}

func (e *RecipientMovedError) Error() string {
	return fmt.Sprintf("recipient %q is now %q", e.From, e.To)
}

// Is makes a RecipientMovedError count as ErrNotFound.
func (e *RecipientMovedError) Is(target error) bool { return target == ErrNotFound }

// moved answers a slug that names no campaign: a *MovedError if it is an
// old slug of a campaign visitors may see, else notFound.
func (s *Service) moved(ctx context.Context, slug string, notFound error) error {
	c, err := s.store.CampaignByOldSlug(ctx, slug)
	switch {
	case errors.Is(err, ErrNotFound):
		return notFound
	case err != nil:
		return err
	case !c.Public(s.now()):
		return notFound
	}
	return &MovedError{From: slug, To: c.Slug}
}

// Problems lists what is wrong with a campaign as an organizer wrote it,
// field by field, in form order. Unlike Validate it insists on a closing
// time even for a draft, so that every campaign has a deadline.
func (c *Campaign) Problems() []FieldError {
	var out []FieldError
	switch {
	case c.Slug == "":
		out = append(out, FieldError{Field: "slug", Problem: ProblemRequired})
	case !ValidSlug(c.Slug):
		out = append(out, FieldError{Field: "slug", Problem: ProblemSlug})
	}
	switch {
	case c.Title == "":
		out = append(out, FieldError{Field: "title", Problem: ProblemRequired})
	case utf8.RuneCountInString(c.Title) > TitleMax:
		out = append(out, FieldError{Field: "title", Problem: ProblemTooLong, Limit: TitleMax})
	}
	switch {
	case strings.TrimSpace(c.OrganizerName) == "":
		out = append(out, FieldError{Field: "organizer_name", Problem: ProblemRequired})
	case utf8.RuneCountInString(c.OrganizerName) > OrganizerMax:
		out = append(out, FieldError{Field: "organizer_name", Problem: ProblemTooLong, Limit: OrganizerMax})
	}
	if utf8.RuneCountInString(c.Share) > ShareMax {
		out = append(out, FieldError{Field: "share", Problem: ProblemTooLong, Limit: ShareMax})
	}
	switch {
	case c.Language != "" && !ValidLanguage(c.Language):
		out = append(out, FieldError{Field: "language", Problem: ProblemLanguage})
	case c.HasTranslation(c.TextLanguage()):
		// Two texts in one language: readers would see only one of them.
		out = append(out, FieldError{Field: "language", Problem: ProblemTaken})
	}
	if c.Goal < 0 {
		out = append(out, FieldError{Field: "goal", Problem: ProblemNumber})
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		out = append(out, FieldError{Field: "time_zone", Problem: ProblemTimeZone})
	}
	switch {
	case c.ClosesAt.IsZero():
		out = append(out, FieldError{Field: "closes", Problem: ProblemRequired})
	case !c.OpensAt.IsZero() && !c.ClosesAt.After(c.OpensAt):
		out = append(out, FieldError{Field: "closes", Problem: ProblemBeforeOpening})
	}
	if c.Greetings.Enabled && (c.Greetings.MaxLength <= 0 || c.Greetings.MaxLength > GreetingMaxHigh) {
		out = append(out, FieldError{Field: "greetings_max", Problem: ProblemNumber, Limit: GreetingMaxHigh})
	}
	return out
}

// ChangedFields names the fields an edit changed, for the audit log.
func ChangedFields(before, after *Campaign) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("slug", before.Slug != after.Slug)
	add("title", before.Title != after.Title)
	add("summary", before.Summary != after.Summary)
	add("letter", before.Letter != after.Letter)
	add("share text", before.Share != after.Share)
	add("translations", !slices.Equal(before.Translations, after.Translations))
	add("organizer", before.OrganizerName != after.OrganizerName)
	add("return address", !slices.Equal(before.ReturnAddress, after.ReturnAddress))
	add("recipient", before.RecipientID != after.RecipientID)
	add("goal", before.Goal != after.Goal)
	add("opens", !before.OpensAt.Equal(after.OpensAt))
	add("closes", !before.ClosesAt.Equal(after.ClosesAt))
	add("time_zone", before.TimeZone != after.TimeZone)
	add("greetings", before.Greetings != after.Greetings)
	add("embed origins", !slices.Equal(before.EmbedOrigins, after.EmbedOrigins))
	add("at-risk countries", !slices.Equal(before.RiskCountries(), after.RiskCountries()))
	add("archived", before.Archived() != after.Archived())
	add("merge aliases", before.MergeAliases != after.MergeAliases)
	add("unlisted", before.Unlisted != after.Unlisted)
	add("confirm email", before.ConfirmEmail != after.ConfirmEmail)
	return out
}

// ProposeDeadline proposes when a campaign should close for its letters to
// arrive on arrival (YYYY-MM-DD) when printing and post take days: it
// closes as the day arrival − days begins in the time zone tz, so that
// supporters "sign before" that day.
func ProposeDeadline(arrival string, days int, tz string) (time.Time, error) {
	if days < 0 || days > 366 {
		return time.Time{}, fmt.Errorf("%d days for printing and post is out of range", days)
	}
	day, err := time.Parse(time.DateOnly, arrival)
	if err != nil {
		return time.Time{}, fmt.Errorf("arrival date %q is not YYYY-MM-DD", arrival)
	}
	day = day.AddDate(0, 0, -days)
	return Deadline(day.Format(time.DateOnly), tz)
}

// Campaign returns the campaign with that ID, whatever its status, or
// ErrNotFound. It is for the console.
func (s *Service) Campaign(ctx context.Context, id string) (*Campaign, error) {
	return s.store.Campaign(ctx, id)
}

// CreateCampaign stores a new campaign and gives it its ID. Problems are a
// *ValidationError; a slug that another campaign has or had is
// ErrDuplicate.
func (s *Service) CreateCampaign(ctx context.Context, c *Campaign) error {
	if p := c.Problems(); len(p) > 0 {
		return fmt.Errorf("create campaign: %w", &ValidationError{Fields: p})
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if err := s.checkSlug(ctx, c.Slug, c.ID); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	c.OldSlugs = nil
	c.CreatedAt, c.UpdatedAt = now, now
	if err := s.store.CreateCampaign(ctx, c); err != nil {
		return err
	}
	s.remember(c, nil)
	return nil
}

// UpdateCampaign stores an organizer's edit of the campaign with c.ID and
// returns the campaign as it was. The slug history and the creation and
// archive times are kept from the stored campaign; a changed slug joins the
// history so that links to it keep working. Signatures and their counts are
// never touched: they belong to the campaign's ID, which does not change.
func (s *Service) UpdateCampaign(ctx context.Context, c *Campaign) (*Campaign, error) {
	if p := c.Problems(); len(p) > 0 {
		return nil, fmt.Errorf("update campaign: %w", &ValidationError{Fields: p})
	}
	before, err := s.store.Campaign(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.ArchivedAt = before.CreatedAt, before.ArchivedAt
	if err := s.save(ctx, before, c); err != nil {
		return nil, err
	}
	return before, nil
}

// save stores after over before, keeping the slug history.
func (s *Service) save(ctx context.Context, before, after *Campaign) error {
	after.OldSlugs = slices.Clone(before.OldSlugs)
	if after.Slug != before.Slug {
		if err := s.checkSlug(ctx, after.Slug, after.ID); err != nil {
			return err
		}
		after.OldSlugs = slices.DeleteFunc(after.OldSlugs, func(o string) bool { return o == after.Slug })
		if !slices.Contains(after.OldSlugs, before.Slug) {
			after.OldSlugs = append(after.OldSlugs, before.Slug)
		}
	}
	after.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := s.store.ReplaceCampaign(ctx, after, before.UpdatedAt); err != nil {
		return err
	}
	s.remember(after, nil)
	return nil
}

// checkSlug returns ErrDuplicate if a campaign other than id has or had
// slug. Campaigns are few, so this reads them all.
func (s *Service) checkSlug(ctx context.Context, slug, id string) error {
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.ID != id && (c.Slug == slug || slices.Contains(c.OldSlugs, slug)) {
			return fmt.Errorf("slug %q is used by campaign %s: %w", slug, c.ID, ErrDuplicate)
		}
	}
	return nil
}

// change applies edit to the stored campaign with that ID and stores it.
func (s *Service) change(ctx context.Context, id string, edit func(c *Campaign, now time.Time) error) (*Campaign, error) {
	before, err := s.store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	after := *before
	now := s.now().UTC().Truncate(time.Millisecond)
	if err := edit(&after, now); err != nil {
		return nil, fmt.Errorf("campaign %s: %w", before.Slug, err)
	}
	if err := s.save(ctx, before, &after); err != nil {
		return nil, err
	}
	return &after, nil
}

// Schedule sets when a draft or scheduled campaign opens; the zero time
// makes it a draft again. A campaign that has opened is ErrWrongStatus, an
// opening at or after the closing time a *ValidationError for "opens".
func (s *Service) Schedule(ctx context.Context, id string, opens time.Time) (*Campaign, error) {
	return s.change(ctx, id, func(c *Campaign, now time.Time) error {
		if st := c.Status(now); st != StatusDraft && st != StatusScheduled {
			return fmt.Errorf("schedule a campaign that is %s: %w", st, ErrWrongStatus)
		}
		if !opens.IsZero() && !c.ClosesAt.After(opens) {
			return &ValidationError{Fields: []FieldError{{Field: "opens", Problem: ProblemBeforeOpening}}}
		}
		c.OpensAt = opens.UTC().Truncate(time.Millisecond)
		return nil
	})
}

// CloseNow closes an open campaign at once. One that is not open is
// ErrWrongStatus.
func (s *Service) CloseNow(ctx context.Context, id string) (*Campaign, error) {
	return s.change(ctx, id, func(c *Campaign, now time.Time) error {
		if st := c.Status(now); st != StatusOpen {
			return fmt.Errorf("close a campaign that is %s: %w", st, ErrWrongStatus)
		}
		c.ClosesAt = now
		return nil
	})
}

// SetArchived archives the campaign (hiding it from the public) or brings
// it back. Archiving an archived campaign keeps its first archive time.
func (s *Service) SetArchived(ctx context.Context, id string, archived bool) (*Campaign, error) {
	return s.change(ctx, id, func(c *Campaign, now time.Time) error {
		switch {
		case archived && !c.Archived():
			c.ArchivedAt = now
		case !archived:
			c.ArchivedAt = time.Time{}
		}
		return nil
	})
}
