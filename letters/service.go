package letters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/groupcommit"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// Campaigns is what the greetings service reads of campaigns and
// signatures; campaign.Store provides it. Both reads are by _id.
type Campaigns interface {
	CampaignRules(ctx context.Context, campaignID string) (campaign.Rules, error)
	Signature(ctx context.Context, id string) (*campaign.Signature, error)
	// Invalidated reports whether an organizer invalidated the signature:
	// its greeting is not shown then.
	Invalidated(ctx context.Context, sig *campaign.Signature) (bool, error)
}

// Problems with a translation as a translator wrote it; a translation can
// have several, joined.
var (
	ErrTranslationEmpty    = errors.New("translation is empty")
	ErrTranslationTooLong  = errors.New("translation is too long")
	ErrTranslationLanguage = errors.New("translation is not in one of the recipient's languages")
	ErrTranslationInvalid  = errors.New("translation has characters that cannot be printed")
)

// Other invalid input.
var (
	ErrInvalidReason   = errors.New("unknown rejection reason")
	ErrInvalidLanguage = errors.New("unknown language")
)

// MaxTranslation is the longest translation, in characters.
const MaxTranslation = 2000

// PublicCount is how many greetings a campaign page shows at most.
const PublicCount = 6

// How long the service trusts what it keeps in memory. Campaign rules
// change rarely (an organizer editing a recipient's censor list). The
// public greetings change in memory with each approval and erasure in
// this process, so their time only bounds how long another process's
// approval takes to show.
//
// The public greetings are read again, from the greetings their list
// names, shownTTL after they were last read even when no change was
// noted: an invalidation or a name decision whose note failed to be
// written shows then. An approval whose note failed is added to the list
// by this node's next refresh, and one that a crash kept from being noted
// by the next start's Repair.
const (
	rulesTTL = time.Minute
	shownTTL = 5 * time.Minute
)

// Service moderates greetings: it records them with their flags, serves
// the moderation queue and the translation list, applies decisions, and
// keeps each campaign's latest approved greetings in memory for its public
// page.
type Service struct {
	store     *Store
	campaigns Campaigns
	now       func() time.Time

	rulesMu sync.Mutex
	rules   map[string]cachedRules

	shownMu sync.Mutex
	shown   map[string]*shownEntry

	// recorder writes new greetings in batches (record.go).
	recorder *groupcommit.Batcher[*pendingGreeting]
}

type cachedRules struct {
	rules campaign.Rules
	at    time.Time
}

// NewService returns a service over store that reads campaign rules and
// signatures from campaigns; now is the clock (time.Now in production).
func NewService(store *Store, campaigns Campaigns, now func() time.Time) *Service {
	return &Service{store: store, campaigns: campaigns, now: now, rules: map[string]cachedRules{}, shown: map[string]*shownEntry{},
		recorder: newRecorder(store)}
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// Rules returns a campaign's rules, from memory when they were read less
// than a minute ago.
func (s *Service) Rules(ctx context.Context, campaignID string) (campaign.Rules, error) {
	now := s.now()
	s.rulesMu.Lock()
	c, ok := s.rules[campaignID]
	s.rulesMu.Unlock()
	if ok && now.Sub(c.at) < rulesTTL && !now.Before(c.at) {
		return c.rules, nil
	}
	r, err := s.campaigns.CampaignRules(ctx, campaignID)
	if err != nil {
		return campaign.Rules{}, err
	}
	s.rulesMu.Lock()
	s.rules[campaignID] = cachedRules{rules: r, at: now}
	s.rulesMu.Unlock()
	return r, nil
}

// HasGreeting reports whether the greeting of a signature is stored.
func (s *Service) HasGreeting(ctx context.Context, signatureID string) (bool, error) {
	_, err := s.store.Greeting(ctx, signatureID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// check computes a greeting's flags, language, duplicate key and whether
// it needs a translation. A language a moderator set is kept.
func (s *Service) check(ctx context.Context, g *Greeting, rules campaign.Rules) error {
	if !g.LanguageCorrected {
		g.Language = Detect(g.Text)
	}
	g.Flags = Check(g.Text, rules)
	g.TextKey = TextKey(g.Text)
	if g.TextKey != "" {
		first, err := s.store.ClaimText(ctx, g.CampaignID, g.TextKey, g.ID)
		if err != nil {
			return err
		}
		if !first {
			g.Flags = append(g.Flags, FlagDuplicate)
			slices.SortStableFunc(g.Flags, func(a, b Flag) int { return slices.Index(Flags, a) - slices.Index(Flags, b) })
		}
	}
	g.Flagged = len(g.Flags) > 0
	g.NeedsTranslation = NeedsTranslation(g.Language, g.Flags, rules.Languages)
	g.Checked = true
	return nil
}

// CountByStatus counts the greetings of every campaign by moderation
// status. It reads every greeting (a scan on the embedded database): for
// statistics; PendingCounts is cheap.
func (s *Service) CountByStatus(ctx context.Context) (map[string]map[Status]int64, error) {
	return s.store.CountByStatus(ctx)
}

// PendingCounts counts the greetings waiting for moderation, by campaign.
func (s *Service) PendingCounts(ctx context.Context) (map[string]int64, error) {
	return s.store.PendingCounts(ctx)
}

// Item is a greeting as the console lists it: with the name, city and
// country its supporter signed with, and the recipient's languages.
type Item struct {
	Greeting
	// Author is the signature's person; empty when the signature is gone.
	Author campaign.Person
	// Languages are the recipient's languages.
	Languages []string
}

// Page is one page of a list of greetings.
type Page struct {
	Items []Item
	// Next is where the following page starts; zero on the last page.
	Next Cursor
}

// Queue returns up to limit greetings waiting for moderation after the
// cursor, oldest first, of one campaign or (campaignID "") of all.
func (s *Service) Queue(ctx context.Context, campaignID string, after Cursor, limit int) (Page, error) {
	gs, err := s.store.Pending(ctx, campaignID, after, limit+1)
	if err != nil {
		return Page{}, err
	}
	return s.page(ctx, gs, limit)
}

// Translations returns up to limit approved greetings that wait for a
// translation or for its review, after the cursor, oldest first.
func (s *Service) Translations(ctx context.Context, campaignID string, after Cursor, limit int) (Page, error) {
	gs, err := s.store.Untranslated(ctx, campaignID, after, limit+1)
	if err != nil {
		return Page{}, err
	}
	return s.page(ctx, gs, limit)
}

func (s *Service) page(ctx context.Context, gs []Greeting, limit int) (Page, error) {
	var p Page
	if len(gs) > limit {
		gs = gs[:limit]
		last := gs[len(gs)-1]
		p.Next = Cursor{At: last.CreatedAt, ID: last.ID}
	}
	for _, g := range gs {
		it := Item{Greeting: g}
		sig, err := s.campaigns.Signature(ctx, g.ID)
		switch {
		case err == nil:
			it.Author = sig.Person
			it.Author.Email = ""
		case !errors.Is(err, campaign.ErrNotFound):
			return Page{}, err
		}
		rules, err := s.Rules(ctx, g.CampaignID)
		if err != nil && !errors.Is(err, campaign.ErrNotFound) {
			return Page{}, err
		}
		it.Languages = rules.Languages
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// Approve approves a pending greeting. A greeting already decided is
// ErrDecided.
func (s *Service) Approve(ctx context.Context, id string) (*Greeting, error) {
	g, err := s.store.Decide(ctx, id, StatusApproved, "", s.now(), false)
	if err != nil {
		return nil, err
	}
	if err := s.shownChanged(ctx, g.CampaignID, shownChange{approved: []shownRef{{ID: g.ID, At: g.CreatedAt}}}); err != nil {
		return nil, err
	}
	return g, nil
}

// Reject rejects a pending greeting for one of Reasons.
func (s *Service) Reject(ctx context.Context, id string, reason Reason) (*Greeting, error) {
	if !reason.Valid() {
		return nil, fmt.Errorf("reject greeting: %w", ErrInvalidReason)
	}
	return s.store.Decide(ctx, id, StatusRejected, reason, s.now(), false)
}

// ApproveUnflagged approves those of the greetings with the given IDs that
// are pending and carry no flag, and returns them. The others are left as
// they are: a moderator decides on them one by one.
func (s *Service) ApproveUnflagged(ctx context.Context, ids []string) ([]Greeting, error) {
	out, err := s.approveUnflagged(ctx, ids)
	// One note per campaign, however many were approved, and also for
	// those approved before an error.
	changed := map[string][]shownRef{}
	var order []string
	for i := range out {
		id := out[i].CampaignID
		if _, ok := changed[id]; !ok {
			order = append(order, id)
		}
		changed[id] = append(changed[id], shownRef{ID: out[i].ID, At: out[i].CreatedAt})
	}
	for _, id := range order {
		err = errors.Join(err, s.shownChanged(ctx, id, shownChange{approved: changed[id]}))
	}
	return out, err
}

func (s *Service) approveUnflagged(ctx context.Context, ids []string) ([]Greeting, error) {
	var out []Greeting
	for _, id := range ids {
		g, err := s.store.Decide(ctx, id, StatusApproved, "", s.now(), true)
		if errors.Is(err, ErrDecided) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, *g)
	}
	return out, nil
}

// SetLanguage corrects a greeting's language (one of Languages, or "" for
// unknown) and returns the greeting and the language it had before.
func (s *Service) SetLanguage(ctx context.Context, id, language string) (*Greeting, string, error) {
	if language != "" && !KnownLanguage(language) {
		return nil, "", fmt.Errorf("set greeting language: %w", ErrInvalidLanguage)
	}
	g, err := s.store.Greeting(ctx, id)
	if err != nil {
		return nil, "", err
	}
	rules, err := s.Rules(ctx, g.CampaignID)
	if err != nil && !errors.Is(err, campaign.ErrNotFound) {
		return nil, "", err
	}
	before := g.Language
	g, err = s.store.SetLanguage(ctx, id, language, NeedsTranslation(language, g.Flags, rules.Languages))
	if err != nil {
		return nil, "", err
	}
	return g, before, nil
}

// Translate stores a translation of an approved greeting into one of its
// recipient's languages, for a moderator to review. Problems with the text
// or language are ErrTranslation… errors, joined. A greeting whose
// translation is approved already is ErrDecided.
func (s *Service) Translate(ctx context.Context, id, language, text string) (*Greeting, error) {
	g, err := s.store.Greeting(ctx, id)
	if err != nil {
		return nil, err
	}
	rules, err := s.Rules(ctx, g.CampaignID)
	if err != nil {
		return nil, err
	}
	clean, err := textnorm.Text(text)
	var problems []error
	switch {
	case err != nil && !errors.Is(err, textnorm.ErrInvisible):
		problems = append(problems, ErrTranslationInvalid)
	case clean == "":
		problems = append(problems, ErrTranslationEmpty)
	case textnorm.Length(clean) > MaxTranslation:
		problems = append(problems, ErrTranslationTooLong)
	}
	if !slices.Contains(rules.Languages, language) {
		problems = append(problems, ErrTranslationLanguage)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("translate greeting: %w", errors.Join(problems...))
	}
	return s.store.SetTranslation(ctx, id, Translation{Language: language, Text: clean, Status: TranslationSubmitted, WrittenAt: s.now().UTC()})
}

// ReviewTranslation approves or rejects a greeting's submitted translation.
func (s *Service) ReviewTranslation(ctx context.Context, id string, approve bool) (*Greeting, error) {
	status := TranslationRejected
	if approve {
		status = TranslationApproved
	}
	return s.store.DecideTranslation(ctx, id, status, s.now())
}

// EraseGreeting deletes the greeting of a signature, if it has one, when
// the signature is erased, and forgets the public greetings of its
// campaign so that it is not shown again. It implements
// campaign.GreetingRecorder.
func (s *Service) EraseGreeting(ctx context.Context, id string) error {
	// The held name's queue copy and decision go with the signature too.
	if err := s.store.Names().Delete(ctx, id); err != nil {
		return err
	}
	g, err := s.store.Greeting(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.store.Delete(ctx, id); err != nil {
		return err
	}
	if g.Status != StatusApproved {
		return nil
	}
	return s.shownChanged(ctx, g.CampaignID, shownChange{erased: id})
}
