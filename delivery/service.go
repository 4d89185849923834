package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/refresh"
)

// RefreshInterval is how often Run looks for changes made on other nodes,
// so that a public page there shows them within about that long.
const RefreshInterval = time.Second

// Service records events and keeps the public ones in memory. The memory
// is read at start-up (Load), again at once after a change on this node,
// and by Run when the stored version shows a change made on another one
// (as site.Cache and the public greetings do).
type Service struct {
	store   *Store
	bundles *bundle.Jobs
	now     func() time.Time
	// mem is the public events as last read; loadMu orders the reads.
	mem    atomic.Pointer[memory]
	loadMu sync.Mutex
	// pending is set when a stored change could not be noted in the
	// version (or read back): Run notes it at its next tick.
	pending atomic.Bool
}

// memory is the public events of every campaign, by day.
type memory struct {
	version int64  // the stored version they were read at
	gen     uint64 // grows with every change of what memory holds
	byID    map[string][]Public
}

// NewService returns the service over store; bundles find the bundles
// that events name.
func NewService(store *Store, bundles *bundle.Jobs, now func() time.Time) *Service {
	s := &Service{store: store, bundles: bundles, now: now}
	s.mem.Store(&memory{byID: map[string][]Public{}})
	return s
}

// Timeline returns the campaign's public events, oldest first, from
// memory, and a number that changes whenever they do.
func (s *Service) Timeline(campaignID string) ([]Public, uint64) {
	m := s.mem.Load()
	return m.byID[campaignID], m.gen
}

// Gen is a number that changes whenever any campaign's public events do.
func (s *Service) Gen() uint64 { return s.mem.Load().gen }

// Load reads the public events into memory.
func (s *Service) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	v, err := s.store.version(ctx)
	if err != nil {
		return err
	}
	return s.load(ctx, v)
}

// load reads the public events, known to be at version v or newer. Call
// it with loadMu held.
func (s *Service) load(ctx context.Context, v int64) error {
	all, err := s.store.find(ctx, bson.M{"public": true})
	if err != nil {
		return err
	}
	slices.SortFunc(all, order)
	by := map[string][]Public{}
	for i := range all {
		by[all[i].CampaignID] = append(by[all[i].CampaignID], all[i].PublicView())
	}
	old := s.mem.Load()
	if v < old.version {
		return nil
	}
	s.mem.Store(&memory{version: v, gen: old.gen + 1, byID: by})
	return nil
}

// Refresh reads the public events again if another node changed them.
func (s *Service) Refresh(ctx context.Context) error {
	v, err := s.store.version(ctx)
	if err != nil {
		return err
	}
	if v == s.mem.Load().version {
		return nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	return s.load(ctx, v)
}

// Run refreshes memory every RefreshInterval until ctx ends, and notes a
// change of this node that could not be noted when it was made; failures
// are logged and retried at the next tick. It returns when ctx ends.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	refresh.Every(ctx, RefreshInterval, log, "refresh delivery events", s.tick)
}

// tick notes a change of this node that could not be noted when it was
// made, then reads the events other nodes changed.
func (s *Service) tick(ctx context.Context) error {
	var errs []error
	if s.pending.Load() {
		if err := s.note(ctx); err != nil {
			errs = append(errs, fmt.Errorf("note delivery change: %w", err))
		}
	}
	if err := s.Refresh(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// changed tells every node that events changed, and reloads them here.
// The change is stored already: if this fails, Run tries again, and the
// caller is not told (a retried form would record the event twice).
func (s *Service) changed(ctx context.Context) {
	_ = s.note(ctx)
}

// note increments the stored version and reloads memory at it; on failure
// it leaves pending set for Run.
func (s *Service) note(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.pending.Store(true)
	v, err := s.store.bump(ctx)
	if err != nil {
		// This node shows the change all the same.
		return errors.Join(err, s.load(ctx, s.mem.Load().version))
	}
	if err := s.load(ctx, v); err != nil {
		return err
	}
	s.pending.Store(false)
	return nil
}

// Events returns every event of the campaign, public or not, oldest
// first, from the database: for the console.
func (s *Service) Events(ctx context.Context, campaignID string) ([]Event, error) {
	all, err := s.store.find(ctx, bson.M{"campaign_id": campaignID})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, order)
	return all, nil
}

// Event returns the campaign's event with that ID, or ErrNotFound.
func (s *Service) Event(ctx context.Context, campaignID, id string) (*Event, error) {
	return s.store.event(ctx, campaignID, id)
}

// NewID returns a new event's ID: the console's form for a new event
// carries one, so that the same form sent twice records one event.
func NewID() string { return bson.NewObjectID().Hex() }

// ValidID reports whether id can be an event's ID made by NewID.
func ValidID(id string) bool {
	_, err := bson.ObjectIDFromHex(id)
	return err == nil
}

// Add stores e as a new event of c, recorded by by, under its ID (one
// from NewID, as the form was drawn; an empty one gets a fresh ID), and
// reports true. When c has an event with that ID already, the form was
// sent again: the stored event stays as it is and Add reports false.
// Problems are as Save's.
func (s *Service) Add(ctx context.Context, c *campaign.Campaign, e *Event, by string) (created bool, err error) {
	if e.ID == "" {
		e.ID = NewID()
	}
	if !ValidID(e.ID) {
		return false, fmt.Errorf("add delivery event %q: not an event ID: %w", e.ID, ErrNotFound)
	}
	return s.save(ctx, c, e, by, true)
}

// Save stores a new event of c (empty ID: it gets one, recorded by by,
// as Add) or an edit of a stored one, which keeps its ID, creation time
// and recorder, and reports whether it was new. A built bundle's SHA-256
// and counts are taken from the bundle; a reply's signature numbers are
// looked up in its bundle. Problems are a *campaign.ValidationError,
// including numbers the bundle does not have; an unknown ID is
// ErrNotFound.
func (s *Service) Save(ctx context.Context, c *campaign.Campaign, e *Event, by string) (created bool, err error) {
	if e.ID == "" {
		return s.Add(ctx, c, e, by)
	}
	return s.save(ctx, c, e, by, false)
}

func (s *Service) save(ctx context.Context, c *campaign.Campaign, e *Event, by string, add bool) (created bool, err error) {
	// A drive's event names the recipient whose envelope it is about; a
	// letter's is about its one recipient.
	e.CampaignID = c.ID
	if !c.IsDrive() {
		e.RecipientID = c.RecipientID
	}
	e.clean()
	var before *Event
	if !add {
		if before, err = s.store.event(ctx, c.ID, e.ID); err != nil {
			return false, err
		}
	}
	probs := e.Problems()
	if c.IsDrive() && !c.WritesTo(e.RecipientID) {
		probs = append(probs, campaign.FieldError{Field: "recipient", Problem: campaign.ProblemRequired})
	}
	if len(probs) == 0 {
		if probs, err = s.resolve(ctx, c, e, before); err != nil {
			return false, err
		}
	}
	if len(probs) > 0 {
		return false, fmt.Errorf("save delivery event: %w", &campaign.ValidationError{Fields: probs})
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	e.UpdatedAt = now
	if add {
		e.CreatedAt, e.RecordedBy = now, by
		err := s.store.insert(ctx, e)
		if database.IsDuplicate(err) {
			if _, err := s.store.event(ctx, c.ID, e.ID); err != nil {
				return false, err // another campaign's ID
			}
			return false, nil
		}
		if err != nil {
			return false, err
		}
		s.changed(ctx)
		return true, nil
	}
	e.CreatedAt, e.RecordedBy = before.CreatedAt, before.RecordedBy
	if err := s.store.replace(ctx, e); err != nil {
		return false, err
	}
	s.changed(ctx)
	return false, nil
}

// resolve fills in what the event's bundle says: a built bundle's hash
// and counts, and the signatures a reply's numbers are, as the bundle
// printed them when it was built. An edit that keeps the bundle (and a
// reply's numbers) keeps what was resolved when they were recorded, before
// (nil for a new event).
func (s *Service) resolve(ctx context.Context, c *campaign.Campaign, e, before *Event) ([]campaign.FieldError, error) {
	if e.Bundle == "" {
		if len(e.Numbers) > 0 {
			return []campaign.FieldError{{Field: "bundle", Problem: campaign.ProblemRequired}}, nil
		}
		return nil, nil
	}
	if before != nil && before.Kind == e.Kind && before.Bundle == e.Bundle && slices.Equal(before.Numbers, e.Numbers) {
		e.SHA256, e.Signatures, e.Pages, e.SignatureIDs = before.SHA256, before.Signatures, before.Pages, before.SignatureIDs
		if e.Kind == KindBuilt {
			e.Envelopes = before.Envelopes
		}
		return nil, nil
	}
	n, err := s.bundles.Numbered(ctx, c, e.Bundle)
	switch {
	case errors.Is(err, bundle.ErrNotFound):
		return []campaign.FieldError{{Field: "bundle", Problem: ProblemBundle}}, nil
	case errors.Is(err, bundle.ErrNoNumbers) && e.Kind == KindReply:
		return []campaign.FieldError{{Field: "numbers", Problem: ProblemNumbersGone}}, nil
	case errors.Is(err, bundle.ErrNoNumbers):
		// A built event needs the job's hash and counts; without numbers
		// the count of signatures is not known.
		job, err := s.bundles.Job(ctx, e.Bundle)
		if err != nil {
			return nil, err
		}
		e.SHA256, e.Envelopes, e.Pages, e.Signatures = job.SHA256, job.TotalEnvelopes, job.Pages, 0
		return nil, nil
	case err != nil:
		return nil, err
	}
	if e.Kind == KindBuilt {
		e.SHA256, e.Envelopes, e.Pages, e.Signatures = n.Job.SHA256, n.Job.TotalEnvelopes, n.Job.Pages, n.Total
		return nil, nil
	}
	for _, num := range e.Numbers {
		if num > n.Count {
			return []campaign.FieldError{{Field: "numbers", Problem: ProblemNoSuch, Limit: n.Count}}, nil
		}
	}
	e.SignatureIDs, err = s.bundles.Signatures(ctx, e.Bundle, e.Numbers)
	if errors.Is(err, bundle.ErrNoNumbers) {
		// Part of the bundle's numbers is gone: said as for all of them,
		// not as a failure that loses the form.
		return []campaign.FieldError{{Field: "numbers", Problem: ProblemNumbersGone}}, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// ForgetSignature takes an erased signature out of the campaign's replies:
// the erasure of a signature calls it, with the bundles' ForgetSignature.
func (s *Service) ForgetSignature(ctx context.Context, campaignID, sigID string) error {
	return s.store.pullSignature(ctx, campaignID, sigID)
}

// Remove deletes the campaign's event with that ID and returns it; an
// unknown ID is ErrNotFound.
func (s *Service) Remove(ctx context.Context, campaignID, id string) (*Event, error) {
	e, err := s.store.event(ctx, campaignID, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.delete(ctx, campaignID, id); err != nil {
		return nil, err
	}
	s.changed(ctx)
	return e, nil
}

// Today is the calendar day it is now in c's time zone, YYYY-MM-DD: the
// day a new event proposes.
func (s *Service) Today(c *campaign.Campaign) string {
	return s.now().In(c.Location()).Format(time.DateOnly)
}
