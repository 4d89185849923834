package campaign

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The campaigns and recipients that public pages show are held in memory
// (a CampaignSet), so that no public page waits on the database. The set is
// read at start-up (LoadCounts) and again every RefreshInterval while Run
// runs, which brings edits made on other nodes within RefreshInterval; an
// edit made through this node's Service is in the set at once.

// CampaignSet is the campaign list and the recipients as last read from
// the database, with this node's edits since. Treat it and everything it
// points to as read-only: it is shared by every request.
type CampaignSet struct {
	// Gen grows whenever what the set holds changes, so that callers can
	// keep what they built from it until it does.
	Gen        uint64
	All        []Campaign
	bySlug     map[string]*Campaign
	byOldSlug  map[string]*Campaign
	recipients map[string]*Recipient
	// recipientSlugs and recipientOldSlugs find recipients by their
	// page's slug, current or old.
	recipientSlugs    map[string]*Recipient
	recipientOldSlugs map[string]*Recipient
}

// newCampaignSet indexes all and recipients.
func newCampaignSet(all []Campaign, recipients []Recipient) *CampaignSet {
	set := &CampaignSet{
		All:        all,
		bySlug:     make(map[string]*Campaign, len(all)),
		byOldSlug:  map[string]*Campaign{},
		recipients: make(map[string]*Recipient, len(recipients)),

		recipientSlugs:    make(map[string]*Recipient, len(recipients)),
		recipientOldSlugs: map[string]*Recipient{},
	}
	for i := range all {
		set.bySlug[all[i].Slug] = &all[i]
		for _, old := range all[i].OldSlugs {
			set.byOldSlug[old] = &all[i]
		}
	}
	for i := range recipients {
		r := &recipients[i]
		set.recipients[r.ID] = r
		if r.Slug != "" {
			set.recipientSlugs[r.Slug] = r
		}
		for _, old := range r.OldSlugs {
			set.recipientOldSlugs[old] = r
		}
	}
	return set
}

// BySlug returns the campaign with that slug, if it was in the list.
func (cs *CampaignSet) BySlug(slug string) (*Campaign, bool) {
	c, ok := cs.bySlug[slug]
	return c, ok
}

// ByID returns the campaign with that ID, if it was in the list.
func (cs *CampaignSet) ByID(id string) (*Campaign, bool) {
	for i := range cs.All {
		if cs.All[i].ID == id {
			return &cs.All[i], true
		}
	}
	return nil, false
}

// Public returns the campaign with that slug if visitors may see it at
// now, as Service.Public does but from memory: a slug the campaign had
// before is a *MovedError naming the current one, anything else that is
// not public ErrNotFound.
func (cs *CampaignSet) Public(slug string, now time.Time) (*Campaign, error) {
	if c, ok := cs.bySlug[slug]; ok {
		if !c.Public(now) {
			return nil, fmt.Errorf("campaign %q is %s: %w", slug, c.Status(now), ErrNotFound)
		}
		return c, nil
	}
	if c, ok := cs.byOldSlug[slug]; ok && c.Public(now) {
		return nil, &MovedError{From: slug, To: c.Slug}
	}
	return nil, fmt.Errorf("find campaign %q: %w", slug, ErrNotFound)
}

// Recipient returns the recipient with that ID, if it was read.
func (cs *CampaignSet) Recipient(id string) (*Recipient, bool) {
	r, ok := cs.recipients[id]
	return r, ok
}

// PublicRecipient returns the recipient whose page has that slug: a slug
// they had before is a *RecipientMovedError naming the current one,
// anything else ErrNotFound. Unlisted recipients are found too: their page
// is reachable by its link.
func (cs *CampaignSet) PublicRecipient(slug string) (*Recipient, error) {
	if r, ok := cs.recipientSlugs[slug]; ok {
		return r, nil
	}
	if r, ok := cs.recipientOldSlugs[slug]; ok {
		return nil, &RecipientMovedError{From: slug, To: r.Slug}
	}
	return nil, fmt.Errorf("find recipient %q: %w", slug, ErrNotFound)
}

// Recipients returns the recipients in memory, in no particular order.
func (cs *CampaignSet) Recipients() []*Recipient {
	out := make([]*Recipient, 0, len(cs.recipients))
	for _, r := range cs.recipients {
		out = append(out, r)
	}
	return out
}

// RecipientListed reports whether lists may name the recipient with that
// ID, and what is written to them: an unknown one (none) is listed, an
// unlisted one is not.
func (cs *CampaignSet) RecipientListed(id string) bool {
	r, ok := cs.recipients[id]
	return !ok || !r.Unlisted
}

// CampaignListed reports whether lists may name c: neither it nor its
// recipient is unlisted.
func (cs *CampaignSet) CampaignListed(c *Campaign) bool {
	return !c.Unlisted && cs.RecipientListed(c.RecipientID)
}

// Listed returns the campaigns of set that the front page lists at now:
// none that is unlisted or writes to an unlisted recipient.
func (cs *CampaignSet) Listed(now time.Time) Listing {
	all := cs.All
	if slices.ContainsFunc(all, func(c Campaign) bool { return !cs.CampaignListed(&c) }) {
		// Rare: copy only then, the front page asks on every request.
		all = slices.DeleteFunc(slices.Clone(all), func(c Campaign) bool { return !cs.CampaignListed(&c) })
	}
	return listing(all, now)
}

// same reports whether cs holds what all and recipients hold.
func (cs *CampaignSet) same(all []Campaign, recipients []Recipient) bool {
	if len(all) != len(cs.All) || len(recipients) != len(cs.recipients) {
		return false
	}
	for i := range all {
		if c, ok := cs.bySlug[all[i].Slug]; !ok || !reflect.DeepEqual(*c, all[i]) {
			return false
		}
	}
	for i := range recipients {
		if r, ok := cs.recipients[recipients[i].ID]; !ok || !reflect.DeepEqual(*r, recipients[i]) {
			return false
		}
	}
	return true
}

// memory holds the campaign set.
type memory struct {
	set atomic.Pointer[CampaignSet]
	// mu orders the replacements of set; edits counts this node's edits,
	// so that a read of the database that overlapped one is not kept.
	mu    sync.Mutex
	edits uint64
}

// replace stores set as the current one, with a Gen above the old one's.
// Call it with m.mu held.
func (m *memory) replace(set *CampaignSet) {
	if old := m.set.Load(); old != nil {
		set.Gen = old.Gen + 1
	}
	m.set.Store(set)
}

// LoadCampaigns reads the campaigns and recipients into memory. LoadCounts
// and Refresh call it; call it yourself after writing campaigns or
// recipients other than through the Service (tests, imports).
func (s *Service) LoadCampaigns(ctx context.Context) error {
	m := &s.live.memory
	m.mu.Lock()
	edits := m.edits
	m.mu.Unlock()
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	recipients, err := s.store.Recipients(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.edits != edits {
		// This node changed a campaign or recipient while the lists were
		// read, and they may not have it: keep memory, which has it; the
		// next refresh reads again.
		return nil
	}
	if old := m.set.Load(); old != nil && old.same(all, recipients) {
		return nil
	}
	m.replace(newCampaignSet(all, recipients))
	return nil
}

// remember puts a campaign or a recipient (one of them nil) that this node
// has just stored into memory, so that its pages show it at once.
func (s *Service) remember(c *Campaign, r *Recipient) {
	m := &s.live.memory
	m.mu.Lock()
	defer m.mu.Unlock()
	m.edits++
	old := s.Campaigns()
	all := slices.Clone(old.All)
	recipients := make([]Recipient, 0, len(old.recipients)+1)
	for _, x := range old.recipients {
		if r == nil || x.ID != r.ID {
			recipients = append(recipients, *x)
		}
	}
	if r != nil {
		recipients = append(recipients, *r)
	}
	if c != nil {
		i := slices.IndexFunc(all, func(x Campaign) bool { return x.ID == c.ID })
		if i < 0 {
			all = append(all, *c)
		} else {
			all[i] = *c
		}
	}
	m.replace(newCampaignSet(all, recipients))
}

// Campaigns returns the campaigns and recipients in memory (read by
// LoadCounts or Refresh, at most RefreshInterval old while Run runs, with
// this node's edits); never nil.
func (s *Service) Campaigns() *CampaignSet {
	if set := s.live.memory.set.Load(); set != nil {
		return set
	}
	return &CampaignSet{}
}
