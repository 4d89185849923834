package campaign

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// Bursts. The console groups a campaign's recent signatures by the minute
// they were signed in, their network's hash, their email domain or their
// partner, and an organizer can invalidate a group in bulk, and restore
// it. An invalidated signature stays stored, with its marks, but is not
// counted, printed in bundles, exported, in the statistics or shown with
// its greeting on the public page; restoring it counts it again.
//
// An invalidation is one small document naming the group (its grouping,
// key and time range), not a flag written into each signature: on the
// embedded database an update of many documents rewrites them one by one,
// each found by a scan of the collection (see ../docs/performance.md),
// while holding the write lock that signing needs. The readers of
// signatures (EachSignature, the statistics, the recount) read the
// campaign's few invalidations and leave out the signatures they hold.
//
// The counts change through the counts path, in the minute of the change
// (as an erasure does); each invalidation keeps when it was made and
// restored, and the recount leaves out what an invalidation held at its
// cut-off, so it neither loses nor doubles the change (recount.go).

// BurstKind is what the bursts group by.
type BurstKind string

// The groupings.
const (
	BurstMinute  BurstKind = "minute"
	BurstNetwork BurstKind = "network"
	BurstDomain  BurstKind = "domain"
	BurstPartner BurstKind = "partner"
)

// BurstKinds lists the groupings in the order the console offers them.
func BurstKinds() []BurstKind {
	return []BurstKind{BurstMinute, BurstNetwork, BurstDomain, BurstPartner}
}

// ErrBurstKey is a group that cannot be changed in bulk: an unknown
// grouping, a key that is not valid, or the group of signatures whose key
// is unknown.
var ErrBurstKey = errors.New("not a group of signatures")

// BurstsMax is how many groups Bursts returns, the largest first.
const BurstsMax = 50

// BurstQuery names the signatures to group: a campaign's, signed in
// [From, Until), grouped by Kind.
type BurstQuery struct {
	CampaignID  string
	Kind        BurstKind
	From, Until time.Time
}

// Burst is one group of signatures.
type Burst struct {
	// Key names the group within its kind: the Unix minute, the network
	// hash, or the keyed hash of the domain or partner; empty for the
	// signatures whose key is unknown (stored before it was kept).
	Key string
	// Minute is the group's minute (BurstMinute); Domain and Partner the
	// domain or partner it stands for, read from one of its signatures.
	Minute          time.Time
	Domain, Partner string
	// Total counts its signatures, Marked those with a mark, Invalid
	// those invalidated (by this group's invalidation or another's);
	// Restorable those that restoring the group counts again: those its
	// own invalidation holds and no other. Reasons counts each mark.
	Total, Marked, Invalid, Restorable int
	Reasons                            map[Mark]int
	// First and Last are its first and last signing times.
	First, Last time.Time

	domain, partner sealed.Text
	id              string
}

// Valid is how many of its signatures count.
func (b *Burst) Valid() int { return b.Total - b.Invalid }

// burstFields are what grouping reads of each signature.
var burstFields = append([]string{"marks", "referrer", "person.domain"}, groupFields...)

// Bursts groups the query's signatures and returns the BurstsMax largest
// groups, largest first (the newest first among equals).
func (s *Service) Bursts(ctx context.Context, q BurstQuery) ([]Burst, error) {
	if !slices.Contains(BurstKinds(), q.Kind) {
		return nil, fmt.Errorf("bursts by %q: %w", q.Kind, ErrBurstKey)
	}
	rules, err := s.store.invalidations(ctx, q.CampaignID)
	if err != nil {
		return nil, err
	}
	groups := map[string]*Burst{}
	err = s.store.scanPlain(ctx, rangeFilter(q), burstFields, func(p *plainSignature) error {
		key := p.group().key(q.Kind)
		b, ok := groups[key]
		if !ok {
			b = &Burst{Key: key, Reasons: map[Mark]int{}, First: p.SignedAt, domain: p.Person.Domain, partner: p.Referrer, id: p.ID}
			groups[key] = b
		}
		tallyBurst(b, p, q.Kind, rules)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bursts of %s: %w", q.CampaignID, err)
	}
	out := make([]Burst, 0, len(groups))
	for _, b := range groups {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Burst) int {
		return cmp.Or(b.Total-a.Total, b.Last.Compare(a.Last), cmp.Compare(a.Key, b.Key))
	})
	out = out[:min(len(out), BurstsMax)]
	for i := range out {
		if err := s.describe(q.Kind, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tallyBurst counts p in its group b of the grouping kind.
func tallyBurst(b *Burst, p *plainSignature, kind BurstKind, rules invalidations) {
	b.Total++
	if len(p.Marks) > 0 {
		b.Marked++
	}
	for _, m := range p.Marks {
		b.Reasons[m]++
	}
	g := p.group()
	own, other := false, false
	for i := range rules {
		r := &rules[i]
		if !r.holdsAt(never) || !r.matches(g) {
			continue
		}
		if r.Kind == kind {
			own = true // a rule of this grouping that matches has this key
		} else {
			other = true
		}
	}
	if own || other {
		b.Invalid++
	}
	if own && !other {
		b.Restorable++
	}
	if p.SignedAt.Before(b.First) {
		b.First = p.SignedAt
	}
	if p.SignedAt.After(b.Last) {
		b.Last = p.SignedAt
	}
}

// describe fills in what the group stands for: its minute, or its domain
// or partner opened from one of its signatures.
func (s *Service) describe(kind BurstKind, b *Burst) error {
	var err error
	switch kind {
	case BurstMinute:
		if m, perr := strconv.ParseInt(b.Key, 10, 64); perr == nil {
			b.Minute = time.Unix(m*60, 0).UTC()
		}
	case BurstDomain:
		if b.Key != "" {
			b.Domain, err = b.domain.Open(s.store.keys, sigAAD(b.id, fieldDomain))
		}
	case BurstPartner:
		if b.Key != "" {
			b.Partner, err = b.partner.Open(s.store.keys, sigAAD(b.id, fieldReferrer))
		}
	}
	if err != nil {
		return fmt.Errorf("open group of signature %s: %w", b.id, err)
	}
	return nil
}

// Burst returns the one group key of the query's grouping, for the
// confirmation of a bulk change; a group with no signatures is
// ErrNotFound.
func (s *Service) Burst(ctx context.Context, q BurstQuery, key string) (Burst, error) {
	filter, err := groupFilter(q, key)
	if err != nil {
		return Burst{}, err
	}
	rules, err := s.store.invalidations(ctx, q.CampaignID)
	if err != nil {
		return Burst{}, err
	}
	b := Burst{Key: key, Reasons: map[Mark]int{}}
	err = s.store.scanPlain(ctx, filter, burstFields, func(p *plainSignature) error {
		if b.Total == 0 {
			b.First, b.domain, b.partner, b.id = p.SignedAt, p.Person.Domain, p.Referrer, p.ID
		}
		tallyBurst(&b, p, q.Kind, rules)
		return nil
	})
	if err != nil {
		return Burst{}, fmt.Errorf("burst of %s: %w", q.CampaignID, err)
	}
	if b.Total == 0 {
		return Burst{}, fmt.Errorf("burst %s %s: %w", q.Kind, key, ErrNotFound)
	}
	return b, s.describe(q.Kind, &b)
}

// SetBurstValid invalidates (valid false) the signatures of one group of
// the query's grouping that were signed by now, or restores (valid true)
// what the group's invalidations hold, and returns how many signatures it
// took off the count or counted again: those no other invalidation
// holds. The counts change at once; the public greetings follow.
func (s *Service) SetBurstValid(ctx context.Context, q BurstQuery, key string, valid bool) (int, error) {
	filter, err := groupFilter(q, key)
	if err != nil {
		return 0, err
	}
	rules, err := s.store.invalidations(ctx, q.CampaignID)
	if err != nil {
		return 0, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	// changed are the invalidations made or ended; others the ones that
	// hold afterwards.
	var changed, others invalidations
	if valid {
		for _, r := range rules {
			if r.holdsAt(never) && r.Kind == q.Kind && r.Key == key {
				changed = append(changed, r)
			} else {
				others = append(others, r)
			}
		}
		if len(changed) == 0 {
			return 0, nil
		}
		if err := s.store.restore(ctx, changed, now); err != nil {
			return 0, err
		}
		// Every signature they held, whatever range the page shows now.
		from, until := changed[0].From, changed[0].Until
		for _, r := range changed {
			from, until = minTime(from, r.From), maxTime(until, r.Until)
		}
		if filter, err = groupFilter(BurstQuery{CampaignID: q.CampaignID, Kind: q.Kind, From: from, Until: until}, key); err != nil {
			return 0, err
		}
	} else {
		op := make([]byte, 12)
		_, _ = rand.Read(op) // never fails
		// Signed by now: those signed later are not in it.
		until := q.Until
		if next := now.Add(time.Millisecond); until.IsZero() || until.After(next) {
			until = next
		}
		r := invalidation{ID: hex.EncodeToString(op), CampaignID: q.CampaignID, Kind: q.Kind, Key: key, From: q.From, Until: until, At: now}
		if err := s.store.addInvalidation(ctx, &r); err != nil {
			return 0, err
		}
		changed, others = invalidations{r}, rules
	}
	n, greetings := 0, false
	type place struct{ country, recipient string }
	countries := map[place]int64{}
	err = s.store.scanPlain(ctx, filter, append([]string{"person.country", "has_greeting", "recipient_id"}, groupFields...), func(p *plainSignature) error {
		g := p.group()
		if changedMatch(changed, g) && !others.invalid(g, never) {
			n++
			countries[place{p.Person.Country, p.RecipientID}]++
			greetings = greetings || p.HasGreeting
		}
		return nil
	})
	sign := int64(-1)
	if valid {
		sign = 1
	}
	if len(countries) > 0 {
		// One counter write for the whole burst; a failed one is written
		// again by Run, and the memory has the change at once.
		m := minutes{}
		for at, k := range countries {
			m.addCard(minuteOf(now), at.country, at.recipient, sign*k)
		}
		_ = s.countNow(ctx, q.CampaignID, m)
	}
	if err != nil {
		return n, fmt.Errorf("count a burst of %s: %w", q.CampaignID, err)
	}
	if greetings {
		if g, ok := s.greetings.(ShownGreetings); ok {
			if err := g.GreetingsChanged(ctx, q.CampaignID); err != nil {
				return n, fmt.Errorf("public greetings of %s: %w", q.CampaignID, err)
			}
		}
	}
	return n, nil
}

// changedMatch reports whether one of rs, held or ended, matches g.
func changedMatch(rs invalidations, g signatureGroup) bool {
	for i := range rs {
		if rs[i].matches(g) {
			return true
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ShownGreetings is what a GreetingRecorder that shows greetings in public
// implements, to hear that signatures of a campaign were invalidated or
// restored.
type ShownGreetings interface {
	GreetingsChanged(ctx context.Context, campaignID string) error
}
