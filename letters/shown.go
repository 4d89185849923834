package letters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/refresh"
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
// any, so that no page waits on the database for them. Each campaign's
// document in shown_versions (store_shown.go) names its newest approved
// greetings and has a version that every change increments: LoadShown
// reads them at start-up by _id, a change on this node (an approval, an
// erasure, a name decision, an invalidation) writes the list and reloads
// its campaign at once, and RunShown reloads those another node changed
// within ShownRefreshInterval. No read of them scans the greetings.

// shownEntry is one campaign's public greetings in memory.
type shownEntry struct {
	load sync.Mutex // held while the entry is read from the database

	mu    sync.Mutex // guards the fields below
	shown []Shown
	// stored is the version of the campaign's list that shown was read
	// from; gen grows with every change of shown, for LatestVersion;
	// loaded is when shown was last read.
	stored int64
	gen    uint64
	loaded time.Time
	// rebuild is set when a change on this node could not be noted: the
	// next refresh adds the newest approved greetings, read from the
	// greetings, to the campaign's list.
	rebuild bool
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

// set stores what was read at now from the campaign's list at version
// stored, unless memory holds what a newer list gave already.
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

// reloadShown reads into memory the public greetings a campaign's list
// names.
func (s *Service) reloadShown(ctx context.Context, doc shownDoc) error {
	e := s.entry(doc.CampaignID)
	e.load.Lock()
	defer e.load.Unlock()
	shown, err := s.fromList(ctx, doc.IDs)
	if err != nil {
		return err
	}
	e.set(shown, doc.V, s.now())
	return nil
}

// fromList reads the greetings a list names, newest first, by _id, until
// PublicCount of them may be shown. A greeting gone, not approved or not
// checked yet is passed over, as is one that toShown keeps off the page.
func (s *Service) fromList(ctx context.Context, list []shownRef) ([]Shown, error) {
	out := make([]Shown, 0, PublicCount)
	for _, r := range list {
		if len(out) == PublicCount {
			break
		}
		g, err := s.store.Greeting(ctx, r.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if g.Status != StatusApproved || !g.Checked {
			continue
		}
		sh, ok, err := s.toShown(ctx, g)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sh)
		}
	}
	return out, nil
}

// shownChanged tells every node that the campaign's public greetings
// changed (change says how), and reloads them on this one. When the note
// fails, the next refresh on this node reads the campaign's list from the
// greetings.
func (s *Service) shownChanged(ctx context.Context, campaignID string, change shownChange) error {
	doc, err := s.store.noteShown(ctx, campaignID, change)
	if err != nil {
		e := s.entry(campaignID)
		e.mu.Lock()
		e.rebuild = true
		e.mu.Unlock()
		return err
	}
	return s.reloadShown(ctx, doc)
}

// LoadShown reads every campaign's public greetings into memory, from the
// greetings their lists name (start-up).
func (s *Service) LoadShown(ctx context.Context) error {
	docs, err := s.store.shownDocs(ctx)
	if err != nil {
		return fmt.Errorf("load public greetings: %w", err)
	}
	for _, d := range docs {
		if err := s.reloadShown(ctx, d); err != nil {
			return fmt.Errorf("load public greetings: %w", err)
		}
	}
	return nil
}

// RefreshShown reloads the public greetings of the campaigns whose list
// changed since memory was read, and of those read more than shownTTL ago
// (a signature invalidated or a name decided whose note failed shows
// then): each from the greetings its list names, by _id. It reads the
// greetings of a campaign (on the embedded database all of the
// campaign's) only to repair a list whose change this node failed to
// note. A change that a crash kept from being noted is found by the next
// start's Repair.
func (s *Service) RefreshShown(ctx context.Context) error {
	docs, err := s.store.shownDocs(ctx)
	if err != nil {
		return err
	}
	// A campaign whose first note failed has no document yet.
	s.shownMu.Lock()
	for id, e := range s.shown {
		e.mu.Lock()
		if _, ok := docs[id]; !ok && e.rebuild {
			docs[id] = shownDoc{CampaignID: id}
		}
		e.mu.Unlock()
	}
	s.shownMu.Unlock()
	// One campaign that fails does not keep the others from being read:
	// its error is returned with theirs, and the next call tries again.
	now := s.now()
	var errs []error
	for id, d := range docs {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		e := s.entry(id)
		e.mu.Lock()
		current := e.stored == d.V && now.Sub(e.loaded) < shownTTL && !now.Before(e.loaded)
		rebuild := e.rebuild
		// Cleared before the rebuild, so that a failure noted while it
		// runs sets it again and is not lost; restored if it fails.
		e.rebuild = false
		e.mu.Unlock()
		if rebuild {
			if err := s.shownChanged(ctx, id, shownChange{rebuild: true}); err != nil {
				e.mu.Lock()
				e.rebuild = true
				e.mu.Unlock()
				errs = append(errs, fmt.Errorf("rebuild the public greetings of %s: %w", id, err))
			}
			continue
		}
		if current {
			continue
		}
		if err := s.reloadShown(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("reload the public greetings of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// ShownRefreshInterval is how often RunShown looks for changes of the
// public greetings made on other nodes.
const ShownRefreshInterval = time.Second

// RunShown keeps the public greetings in memory in step with the other
// nodes until ctx ends (see RefreshShown); failures are logged and retried
// at the next tick. It returns when ctx ends.
func (s *Service) RunShown(ctx context.Context, log *slog.Logger) {
	refresh.Every(ctx, ShownRefreshInterval, log, "refresh public greetings", s.RefreshShown)
}

// GreetingsChanged reloads the campaign's public greetings on every node:
// some of its signatures were invalidated or restored
// (campaign.ShownGreetings).
func (s *Service) GreetingsChanged(ctx context.Context, campaignID string) error {
	return s.shownChanged(ctx, campaignID, shownChange{})
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
