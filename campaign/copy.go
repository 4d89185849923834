package campaign

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// CopyForNextYear stores a new draft made from the campaign with that ID,
// for the same occasion a year on: its texts and translations, recipients,
// suggestions, greetings settings, goal and other settings, a closing time
// one year later (more years while that is still past, for a campaign
// older than last year), no opening time (a draft opens when an organizer
// schedules it) and no signatures. Its slug is the old one with the year
// moved on, or the new year added, made unique. It returns the copy and
// the old campaign's opening moved by the same years (zero for a draft),
// which the schedule form can propose. An unknown ID is ErrNotFound.
func (s *Service) CopyForNextYear(ctx context.Context, id string) (copied *Campaign, opens time.Time, err error) {
	old, err := s.store.Campaign(ctx, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	now := s.now()
	loc := old.Location()
	years := 1
	for !old.ClosesAt.IsZero() && !old.ClosesAt.In(loc).AddDate(years, 0, 0).After(now) {
		years++
	}
	c := &Campaign{
		Title: old.Title, Summary: old.Summary, Letter: old.Letter, OrganizerName: old.OrganizerName,
		Language: old.Language, Share: old.Share, Translations: slices.Clone(old.Translations),
		ReturnAddress: slices.Clone(old.ReturnAddress), RecipientID: old.RecipientID, Kind: old.Kind,
		RecipientIDs: slices.Clone(old.RecipientIDs), Suggestions: slices.Clone(old.Suggestions), Goal: old.Goal,
		TimeZone: old.TimeZone, Greetings: old.Greetings, EmbedOrigins: slices.Clone(old.EmbedOrigins),
		AtRisk: slices.Clone(old.AtRisk), MergeAliases: old.MergeAliases, Unlisted: old.Unlisted,
		ConfirmEmail: old.ConfirmEmail,
	}
	if !old.ClosesAt.IsZero() {
		c.ClosesAt = old.ClosesAt.In(loc).AddDate(years, 0, 0).UTC()
	}
	if !old.OpensAt.IsZero() {
		opens = old.OpensAt.In(loc).AddDate(years, 0, 0).UTC()
	}
	from, to := now.In(loc).Year()-years, now.In(loc).Year()
	if !old.ClosesAt.IsZero() {
		from, to = old.ClosesAt.In(loc).Year(), c.ClosesAt.In(loc).Year()
	}
	set := s.Campaigns()
	base := nextYearSlug(old.Slug, from, to)
	c.Slug = base
	for n := 2; set.SlugUsed(c.Slug); n++ {
		c.Slug = trimSlug(base, len("-"+strconv.Itoa(n))) + "-" + strconv.Itoa(n)
	}
	if err := s.CreateCampaign(ctx, c); err != nil {
		return nil, time.Time{}, fmt.Errorf("copy campaign %s: %w", id, err)
	}
	return c, opens, nil
}

// SlugUsed reports whether a campaign in the set has or had slug.
func (cs *CampaignSet) SlugUsed(slug string) bool {
	_, cur := cs.bySlug[slug]
	_, was := cs.byOldSlug[slug]
	return cur || was
}

// yearInSlug finds a year standing alone between hyphens in a slug.
var yearInSlug = regexp.MustCompile(`(^|-)(\d{4})(-|$)`)

// nextYearSlug is slug with the year from replaced by to, or to added at
// its end when it names no such year.
func nextYearSlug(slug string, from, to int) string {
	old, year := strconv.Itoa(from), strconv.Itoa(to)
	replaced := false
	out := yearInSlug.ReplaceAllStringFunc(slug, func(m string) string {
		sub := yearInSlug.FindStringSubmatch(m)
		if replaced || sub[2] != old {
			return m
		}
		replaced = true
		return sub[1] + year + sub[3]
	})
	if replaced {
		return out
	}
	return trimSlug(slug, len("-"+year)) + "-" + year
}

// trimSlug shortens slug so that n more characters fit within slugMax,
// without leaving a hyphen at its end.
func trimSlug(slug string, n int) string {
	if len(slug)+n <= slugMax {
		return slug
	}
	slug = slug[:slugMax-n]
	for len(slug) > 0 && slug[len(slug)-1] == '-' {
		slug = slug[:len(slug)-1]
	}
	return slug
}
