package campaign

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// ValidLanguage reports whether code is an ISO 639-1 language code as
// recipients store them: two lower-case letters.
func ValidLanguage(code string) bool {
	return len(code) == 2 && code[0] >= 'a' && code[0] <= 'z' && code[1] >= 'a' && code[1] <= 'z'
}

// Problems lists what is wrong with a recipient as an organizer wrote it,
// field by field, in form order.
func (r *Recipient) Problems() []FieldError {
	var out []FieldError
	switch {
	case strings.TrimSpace(r.Name) == "":
		out = append(out, FieldError{Field: "name", Problem: ProblemRequired})
	case utf8.RuneCountInString(r.Name) > RecipientMax:
		out = append(out, FieldError{Field: "name", Problem: ProblemTooLong, Limit: RecipientMax})
	}
	switch {
	case r.Country == "":
		out = append(out, FieldError{Field: "country", Problem: ProblemRequired})
	case !country.Valid(r.Country):
		out = append(out, FieldError{Field: "country", Problem: ProblemCountry})
	}
	if r.Slug != "" && !ValidSlug(r.Slug) {
		out = append(out, FieldError{Field: "slug", Problem: ProblemSlug})
	}
	if r.DetainedSince != "" {
		if _, err := time.Parse(time.DateOnly, r.DetainedSince); err != nil {
			out = append(out, FieldError{Field: "detained_since", Problem: ProblemDate})
		}
	}
	if r.Birthday != "" && !ValidBirthday(r.Birthday) {
		out = append(out, FieldError{Field: "birthday", Problem: ProblemDate})
	}
	if utf8.RuneCountInString(r.Sentence) > SentenceMax {
		out = append(out, FieldError{Field: "sentence", Problem: ProblemTooLong, Limit: SentenceMax})
	}
	for _, f := range []struct{ field, value string }{
		{"name", r.Name}, {"description", r.Description}, {"sentence", r.Sentence},
		{"address", strings.Join(r.Address, "\n")}, {"language_rules", r.LanguageRules},
	} {
		// Shown on pages and printed on envelopes: no control or
		// text-direction characters, which a page would show raw.
		if textnorm.Check(f.value) != nil {
			out = append(out, FieldError{Field: f.field, Problem: ProblemInvalid})
		}
	}
	for _, l := range r.Languages {
		if !ValidLanguage(l) {
			out = append(out, FieldError{Field: "languages", Problem: ProblemLanguage})
			break
		}
	}
	return out
}

// Recipients returns every recipient, by name.
func (s *Service) Recipients(ctx context.Context) ([]Recipient, error) {
	all, err := s.store.Recipients(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b Recipient) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return all, nil
}

// SaveRecipient stores a new recipient (empty ID: it gets one) or an edit
// of a stored one, whose creation time and status changes are kept (r
// gets them), and reports whether it was new. Problems are a *ValidationError; an unknown ID is ErrNotFound.
func (s *Service) SaveRecipient(ctx context.Context, r *Recipient) (created bool, err error) {
	if p := r.Problems(); len(p) > 0 {
		return false, fmt.Errorf("save recipient: %w", &ValidationError{Fields: p})
	}
	all, err := s.store.Recipients(ctx)
	if err != nil {
		return false, err
	}
	if r.ID != "" && !slices.ContainsFunc(all, func(x Recipient) bool { return x.ID == r.ID }) {
		return false, fmt.Errorf("save recipient %s: %w", r.ID, ErrNotFound)
	}
	if r.Slug == "" {
		r.Slug = freeRecipientSlug(all, r.ID, r.Name)
	}
	if err := recipientSlugFree(all, r.Slug, r.ID); err != nil {
		return false, fmt.Errorf("save recipient: %w", &ValidationError{Fields: []FieldError{{Field: "slug", Problem: ProblemTaken}}})
	}
	if r.ID == "" {
		r.ID = newID()
		r.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
		r.OldSlugs = nil
		if err := s.store.CreateRecipient(ctx, r); err != nil {
			return false, err
		}
		s.remember(nil, r)
		return true, nil
	}
	// The slug it had goes to the old ones, whose links redirect.
	before := all[slices.IndexFunc(all, func(x Recipient) bool { return x.ID == r.ID })]
	r.OldSlugs = slices.Clone(before.OldSlugs)
	if before.Slug != "" && r.Slug != before.Slug {
		r.OldSlugs = slices.DeleteFunc(r.OldSlugs, func(o string) bool { return o == r.Slug })
		if !slices.Contains(r.OldSlugs, before.Slug) {
			r.OldSlugs = append(r.OldSlugs, before.Slug)
		}
	}
	// Only the form's fields: a status change recorded meanwhile stays.
	stored, err := s.store.setRecipient(ctx, r)
	if err != nil {
		return false, err
	}
	*r = *stored
	s.remember(nil, r)
	return false, nil
}

// Rules are what moderating a campaign's greetings needs to know: the
// campaign's slug, for the audit log, and its recipient's language rules
// and censor list.
type Rules struct {
	CampaignID string
	Slug       string
	// Languages are the ISO 639-1 codes of the languages that reach the
	// recipient; empty when the recipient has no language rules.
	Languages []string
	// CensorWords are words or phrases that prison censors reject.
	CensorWords []string
}

// recipientSlugFree returns ErrDuplicate if a recipient other than id has
// or had slug. Recipients are few: the caller reads them all.
func recipientSlugFree(all []Recipient, slug, id string) error {
	for _, r := range all {
		if r.ID != id && (r.Slug == slug || slices.Contains(r.OldSlugs, slug)) {
			return fmt.Errorf("slug %q is used by recipient %s: %w", slug, r.ID, ErrDuplicate)
		}
	}
	return nil
}

// freeRecipientSlug makes a slug for the recipient id from name that no
// other recipient of all has or had: the name's, else with -2, -3...; a
// name with nothing to transliterate gives "recipient".
func freeRecipientSlug(all []Recipient, id, name string) string {
	base := Slugify(name)
	if base == "" {
		base = "recipient"
	}
	slug := base
	for n := 2; recipientSlugFree(all, slug, id) != nil; n++ {
		slug = base + "-" + strconv.Itoa(n)
	}
	return slug
}
