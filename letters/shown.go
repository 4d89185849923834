package letters

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

// The approved greetings a campaign page shows, kept in memory per campaign.

// Shown is an approved greeting as the public campaign page shows it: the
// supporter's first name only, with city and country code.
type Shown struct {
	ID        string
	At        time.Time // when the greeting arrived
	Text      string
	Language  string // ISO 639-1, "" when unknown
	FirstName string
	City      string
	Country   string
}

// shownEntry is one campaign's public greetings in memory.
type shownEntry struct {
	load sync.Mutex // held by the one request that reloads

	mu     sync.Mutex // guards the fields below
	shown  []Shown
	valid  bool      // shown has been loaded once
	loaded time.Time // when; zero when a load overlapped an approval
	gen    uint64    // counts approvals, to notice a load that overlaps one
}

// Latest returns a campaign's latest approved greetings (up to
// PublicCount, newest first) for its public page, from memory.
//
// The first request for a campaign reads them from the database (a scan of
// the greetings on the embedded database); approvals in this process then
// update them in memory. They are read again shownTTL after, so that
// approvals by another process show too; while one request reloads,
// others get what was there before.
func (s *Service) Latest(ctx context.Context, campaignID string) ([]Shown, error) {
	s.shownMu.Lock()
	e, ok := s.shown[campaignID]
	if !ok {
		e = &shownEntry{}
		s.shown[campaignID] = e
	}
	s.shownMu.Unlock()

	fresh := func() bool {
		now := s.now()
		return e.valid && !e.loaded.IsZero() && now.Sub(e.loaded) < shownTTL && !now.Before(e.loaded)
	}
	e.mu.Lock()
	shown, valid, isFresh := e.shown, e.valid, fresh()
	e.mu.Unlock()
	if isFresh {
		return shown, nil
	}
	if valid {
		if !e.load.TryLock() {
			return shown, nil // another request is reloading
		}
	} else {
		e.load.Lock()
	}
	defer e.load.Unlock()
	e.mu.Lock()
	if fresh() {
		shown = e.shown
		e.mu.Unlock()
		return shown, nil
	}
	gen := e.gen
	e.mu.Unlock()

	loaded, err := s.loadShown(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != gen {
		// An approval came in meanwhile and may be missing from what was
		// read: keep what memory has, and read again next time.
		e.loaded = time.Time{}
		return e.shown, nil
	}
	e.shown, e.valid, e.loaded = loaded, true, s.now()
	return loaded, nil
}

func (s *Service) loadShown(ctx context.Context, campaignID string) ([]Shown, error) {
	gs, err := s.store.Latest(ctx, campaignID, PublicCount)
	if err != nil {
		return nil, err
	}
	out := make([]Shown, 0, len(gs))
	for i := range gs {
		sh, ok, err := s.toShown(ctx, &gs[i])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sh)
		}
	}
	return out, nil
}

// toShown makes an approved greeting public: false when its signature is
// gone.
func (s *Service) toShown(ctx context.Context, g *Greeting) (Shown, bool, error) {
	sig, err := s.campaigns.Signature(ctx, g.ID)
	if errors.Is(err, campaign.ErrNotFound) {
		return Shown{}, false, nil
	}
	if err != nil {
		return Shown{}, false, err
	}
	sh := Shown{ID: g.ID, At: g.CreatedAt, Text: g.Text, Language: g.Language, Country: sig.Person.Country}
	// The supporter chose how much of their name goes on the letter; the
	// public page shows no more than that: a first name and city at most,
	// and nothing but the country for someone who chose no name.
	// A name or city a moderator has not let through is not shown either.
	nameOK, cityOK, err := s.nameShown(ctx, sig)
	if err != nil {
		return Shown{}, false, err
	}
	if sig.Person.Display != campaign.NameCountry {
		if f := strings.Fields(sig.Person.Name); len(f) > 0 && nameOK {
			sh.FirstName = f[0]
		}
		if cityOK {
			sh.City = sig.Person.City
		}
	}
	return sh, true, nil
}

// showApproved adds a greeting just approved to its campaign's public
// greetings in memory, if they are loaded and it is among the newest.
func (s *Service) showApproved(ctx context.Context, g *Greeting) error {
	s.shownMu.Lock()
	e, ok := s.shown[g.CampaignID]
	s.shownMu.Unlock()
	if !ok {
		return nil // read from the database when first asked for
	}
	sh, ok, err := s.toShown(ctx, g)
	if err != nil || !ok {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen++
	if !e.valid {
		return nil
	}
	newer := func(a, b Shown) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	}
	list := append(slices.Clone(e.shown), sh)
	slices.SortFunc(list, newer)
	if len(list) > PublicCount {
		list = list[:PublicCount]
	}
	e.shown = list
	return nil
}
