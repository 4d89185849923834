package app

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// Default retention when Options leave it unset (the settings'
// defaults, internal/config).
const (
	defaultRetentionDays         = 30
	defaultRetentionUnpostedDays = 90
)

// newRetention builds the retention job over the campaigns and the
// delivery log.
func (a *App) newRetention(postedDays, unpostedDays int) *campaign.Retention {
	if postedDays <= 0 {
		postedDays = defaultRetentionDays
	}
	if unpostedDays <= 0 {
		unpostedDays = defaultRetentionUnpostedDays
	}
	day := 24 * time.Hour
	return campaign.NewRetention(a.Signing, a.postedDay, a.Greetings, time.Duration(postedDays)*day, time.Duration(unpostedDays)*day)
}

// postedDay is the last day the delivery log says c's letters were
// posted, at 00:00 in c's time zone: retention counts from the latest
// posting, after which the letters' data may still be asked about.
func (a *App) postedDay(ctx context.Context, c *campaign.Campaign) (time.Time, bool, error) {
	events, err := a.Delivery.Events(ctx, c.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	var last time.Time
	for _, e := range events {
		if e.Kind != delivery.KindPosted {
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", e.Day, c.Location())
		if err != nil {
			return time.Time{}, false, fmt.Errorf("posted day %q of %s: %w", e.Day, c.Slug, err)
		}
		if d.After(last) {
			last = d
		}
	}
	return last, !last.IsZero(), nil
}

// recordRetention writes what a retention run removed from a campaign to
// the audit log: counts only.
func (a *App) recordRetention(ctx context.Context, t campaign.Trimmed) error {
	r := t.Removed
	return a.Audit.Record(ctx, "system", audit.Retained, t.Campaign.Slug,
		fmt.Sprintf("signatures trimmed: %d, stored addresses deleted: %d, greetings never approved deleted: %d, "+
			"domains: %d, network hashes: %d, keys: %d, marks: %d, partner consents: %d, wishes for updates: %d, "+
			"names of country-only supporters: %d, names cut to first name and initial: %d",
			r.Signatures, r.Addresses, r.Greetings, r.Domains, r.Networks, r.Keys, r.Marks, r.Consents, r.Updates, r.Names, r.Initials))
}
