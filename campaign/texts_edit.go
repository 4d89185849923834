package campaign

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ShareMax is the longest share line (Text.Share, Campaign.Share), in
// characters: what a message or a post comfortably carries besides the
// link.
const ShareMax = 280

// ProblemOriginal is a translation into the language the campaign is
// written in, whose text the campaign's own fields hold.
const ProblemOriginal Problem = "original"

// Clean returns the text as the console stores it, normalised as the
// campaign form normalises the original's fields: the title and the share
// line trimmed, the summary and the letter trimmed with their line ends
// made "\n".
func (t Text) Clean() Text {
	block := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return Text{
		Lang:    strings.ToLower(strings.TrimSpace(t.Lang)),
		Title:   strings.TrimSpace(t.Title),
		Summary: block(t.Summary),
		Letter:  block(t.Letter),
		Share:   strings.TrimSpace(t.Share),
	}
}

// Problems lists what is wrong with a translation as an organizer wrote
// it, field by field in form order (lang, title, share), with the limits
// of the original's fields.
func (t Text) Problems() []FieldError {
	var out []FieldError
	switch {
	case t.Lang == "":
		out = append(out, FieldError{Field: "lang", Problem: ProblemRequired})
	case !ValidLanguage(t.Lang):
		out = append(out, FieldError{Field: "lang", Problem: ProblemLanguage})
	}
	switch {
	case t.Title == "":
		out = append(out, FieldError{Field: "title", Problem: ProblemRequired})
	case utf8.RuneCountInString(t.Title) > TitleMax:
		out = append(out, FieldError{Field: "title", Problem: ProblemTooLong, Limit: TitleMax})
	}
	if utf8.RuneCountInString(t.Share) > ShareMax {
		out = append(out, FieldError{Field: "share", Problem: ProblemTooLong, Limit: ShareMax})
	}
	return out
}

// HasTranslation reports whether the campaign has a translation into
// lang (not counting its original).
func (c *Campaign) HasTranslation(lang string) bool {
	return slices.ContainsFunc(c.Translations, func(x Text) bool { return sameLanguage(x.Lang, lang) })
}

// SaveTranslation stores t, cleaned, as the translation of the campaign
// with that ID into t.Lang, adding it or replacing the one in that
// language, and returns the campaign as it was and as it is now. version
// is the campaign's UpdatedAt when the organizer's form was filled in: a
// campaign saved since is ErrConflict, and nothing is stored, so that a
// stale form never overwrites a newer change. Problems, and a translation
// into the campaign's own language, are a *ValidationError.
func (s *Service) SaveTranslation(ctx context.Context, id string, version time.Time, t Text) (before, after *Campaign, err error) {
	t = t.Clean()
	probs := t.Problems()
	before, err = s.store.Campaign(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if t.Lang != "" && sameLanguage(t.Lang, before.TextLanguage()) {
		probs = append([]FieldError{{Field: "lang", Problem: ProblemOriginal}}, probs...)
	}
	if len(probs) > 0 {
		return before, nil, fmt.Errorf("translation of %s: %w", before.Slug, &ValidationError{Fields: probs})
	}
	if !before.UpdatedAt.Equal(version) {
		return before, nil, fmt.Errorf("translation of %s into %s: %w", before.Slug, t.Lang, ErrConflict)
	}
	a := *before
	a.Translations = slices.Clone(before.Translations)
	a.SetTranslation(t)
	if err := s.save(ctx, before, &a); err != nil {
		return before, nil, fmt.Errorf("translation of %s into %s: %w", before.Slug, t.Lang, err)
	}
	return before, &a, nil
}

// DeleteTranslation removes the campaign's translation into lang and
// returns the campaign as it is now. A campaign without one is
// ErrNotFound.
func (s *Service) DeleteTranslation(ctx context.Context, id, lang string) (*Campaign, error) {
	return s.change(ctx, id, func(c *Campaign, _ time.Time) error {
		if !c.HasTranslation(lang) {
			return fmt.Errorf("no translation into %q: %w", lang, ErrNotFound)
		}
		c.Translations = slices.Clone(c.Translations)
		c.RemoveTranslation(lang)
		return nil
	})
}
