package letters

import (
	"context"
	"errors"
	"log/slog"
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

// The public greetings are kept in memory for every campaign that has
// any, so that no page waits on the database for them: Prepare reads them
// at start-up, a change on this node (an approval, an erasure, a name
// decision) reloads its campaign's at once, and RunShown reloads those
// another node changed within RefreshInterval. Nodes tell each other by a
// version per campaign in the shown_versions collection ({_id: campaign
// ID, v: number}), which every change increments and RunShown reads.

// shownEntry is one campaign's public greetings in memory.
type shownEntry struct {
	load sync.Mutex // held while the entry is read from the database

	mu    sync.Mutex // guards the fields below
	shown []Shown
	// stored is the campaign's version in shown_versions that shown was
	// read at or after; gen grows with every change of shown, for
	// LatestVersion; loaded is when shown was last read.
	stored int64
	gen    uint64
	loaded time.Time
}

// Latest returns a campaign's latest approved greetings (up to
// PublicCount, newest first) for its public page, from memory: it never
// reads the database. A campaign none of whose greetings was ever
// approved has none.
func (s *Service) Latest(_ context.Context, campaignID string) ([]Shown, error) {
	shown, _ := s.LatestVersion(campaignID)
	return shown, nil
}

// LatestVersion returns what Latest does and a number that changes
// whenever that does, so that callers can keep what they built from the
// greetings until it does.
func (s *Service) LatestVersion(campaignID string) ([]Shown, uint64) {
	s.shownMu.Lock()
	e, ok := s.shown[campaignID]
	s.shownMu.Unlock()
	if !ok {
		return nil, 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.shown, e.gen
}

// entry returns the campaign's entry, made empty if it has none.
func (s *Service) entry(campaignID string) *shownEntry {
	s.shownMu.Lock()
	defer s.shownMu.Unlock()
	e, ok := s.shown[campaignID]
	if !ok {
		e = &shownEntry{}
		s.shown[campaignID] = e
	}
	return e
}

// set stores what was read at now and at version stored of the
// campaign's public greetings, unless memory holds a newer read already.
func (e *shownEntry) set(shown []Shown, stored int64, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if stored < e.stored {
		return
	}
	e.stored, e.loaded = stored, now
	if !slices.Equal(e.shown, shown) {
		e.shown = shown
		e.gen++
	}
}

// reloadShown reads the campaign's public greetings into memory; stored
// is its version in shown_versions, read before.
func (s *Service) reloadShown(ctx context.Context, campaignID string, stored int64) error {
	e := s.entry(campaignID)
	e.load.Lock()
	defer e.load.Unlock()
	shown, err := s.loadShown(ctx, campaignID)
	if err != nil {
		return err
	}
	e.set(shown, stored, s.now())
	return nil
}

// shownChanged tells every node that the campaign's public greetings
// changed, and reloads them on this one.
func (s *Service) shownChanged(ctx context.Context, campaignID string) error {
	v, err := s.store.bumpShown(ctx, campaignID)
	if err != nil {
		return err
	}
	return s.reloadShown(ctx, campaignID, v)
}

// RefreshShown reloads the public greetings of the campaigns whose
// version in shown_versions differs from what memory was read at, and of
// those read more than shownTTL ago.
func (s *Service) RefreshShown(ctx context.Context) error {
	versions, err := s.store.shownVersions(ctx)
	if err != nil {
		return err
	}
	s.shownMu.Lock()
	for id := range s.shown {
		if _, ok := versions[id]; !ok {
			versions[id] = 0
		}
	}
	s.shownMu.Unlock()
	now := s.now()
	for id, v := range versions {
		e := s.entry(id)
		e.mu.Lock()
		current := e.stored == v && now.Sub(e.loaded) < shownTTL && !now.Before(e.loaded)
		e.mu.Unlock()
		if current {
			continue
		}
		if err := s.reloadShown(ctx, id, v); err != nil {
			return err
		}
	}
	return nil
}

// ShownRefreshInterval is how often RunShown looks for changes of the
// public greetings made on other nodes.
const ShownRefreshInterval = time.Second

// RunShown keeps the public greetings in memory in step with the other
// nodes until ctx ends (see RefreshShown); failures are logged and retried
// at the next tick. It returns when ctx ends.
func (s *Service) RunShown(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(ShownRefreshInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := s.RefreshShown(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refresh public greetings", "error", err)
			}
		}
	}
}

// loadAllShown reads the public greetings of every campaign, from the
// approved greetings of a scan of them all (Prepare).
func (s *Service) loadAllShown(ctx context.Context, approved map[string][]Greeting, versions map[string]int64) error {
	for id, gs := range approved {
		slices.SortFunc(gs, newerGreeting)
		if len(gs) > PublicCount {
			gs = gs[:PublicCount]
		}
		out := make([]Shown, 0, len(gs))
		for i := range gs {
			sh, ok, err := s.toShown(ctx, &gs[i])
			if err != nil {
				return err
			}
			if ok {
				out = append(out, sh)
			}
		}
		s.entry(id).set(out, versions[id], s.now())
	}
	return nil
}

// newerGreeting orders greetings newest first, as Store.Latest does.
func newerGreeting(a, b Greeting) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
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

// GreetingsChanged reloads the campaign's public greetings on every node:
// some of its signatures were invalidated or restored
// (campaign.ShownGreetings).
func (s *Service) GreetingsChanged(ctx context.Context, campaignID string) error {
	return s.shownChanged(ctx, campaignID)
}

// toShown makes an approved greeting public: false when its signature is
// gone or invalidated.
func (s *Service) toShown(ctx context.Context, g *Greeting) (Shown, bool, error) {
	sig, err := s.campaigns.Signature(ctx, g.ID)
	if errors.Is(err, campaign.ErrNotFound) {
		return Shown{}, false, nil
	}
	if err != nil {
		return Shown{}, false, err
	}
	if invalid, err := s.campaigns.Invalidated(ctx, sig); err != nil || invalid {
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
