package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/solidarity-letters/solidarity/internal/groupcommit"
)

// GreetingRecorder stores the greeting that comes with a new signature, and
// erases it with its signature. The letters package implements it; the
// interface keeps campaign from depending on how greetings are moderated.
type GreetingRecorder interface {
	RecordGreeting(ctx context.Context, campaignID, signatureID, text string, at time.Time) error
	// HasGreeting reports whether the signature's greeting is stored.
	HasGreeting(ctx context.Context, signatureID string) (bool, error)
	// EraseGreeting deletes the greeting of a signature, if it has one.
	EraseGreeting(ctx context.Context, signatureID string) error
	// RehearseGreeting does the work of RecordGreeting without storing the
	// greeting or anything about it, for a repeated signature (decoy.go).
	RehearseGreeting(ctx context.Context, campaignID, text string) error
	// ReadDecoyGreeting reads a stored greeting of filler by _id: the work
	// of HasGreeting for a greeting that is stored (decoy.go).
	ReadDecoyGreeting(ctx context.Context) error
}

// Service applies the signing rules on top of a Store and keeps the
// signature counts in memory, so that pages and the API never count on the
// database.
type Service struct {
	store     *Store
	greetings GreetingRecorder
	// names checks names and cities; nil when greetings does not.
	names    NameChecker
	emailKey []byte
	now      func() time.Time
	// forms holds the rules of what supporters type (validate.go).
	forms formRules

	// live holds the counts and the campaign list that pages and the API
	// read from memory (counts.go).
	live live

	// decoysWritten is set when a repeat wrote decoys that Run is to clear
	// (decoy.go).
	decoysWritten atomic.Bool

	// batch stores concurrent signatures together (batch.go); journalDone
	// holds the journal entries it wrote that Run is to clear (commit.go).
	batch       batcher
	journalDone journalDone

	// groups keys the hashes that group signatures into bursts (marks.go).
	groups groupKeys
	// blocked are the email domains that may not sign (blocklist.go).
	blocked *BlockList
	// index holds every campaign's signatures for the console
	// (index.go).
	index signatureIndex
	// confirmations sends the messages of the double opt-in, and
	// pendingBatch writes pending signatures together (pending.go).
	confirmations Confirmations
	pendingBatch  *groupcommit.Batcher[*pendingJob]
	// confirmWake wakes the worker that sends the confirmation messages
	// (confirm_worker.go).
	confirmWake chan struct{}
	// log takes what cannot be returned once a supporter's request has
	// done what it asked (pending.go); it discards until SetLogger.
	log *slog.Logger
	// withdrawals withdraws the queued messages of erased signatures and
	// trimmed campaigns (withdraw.go).
	withdrawals Withdrawals
	// offers counts the drives' offers and cards not counted yet
	// (offer.go).
	offers allocator
	// observers are told batch sizes and job durations (observe.go).
	observers Observers
}

// NewService returns a service over store. emailKey keys the HMAC that
// stands in for email addresses; now is the clock (time.Now in production).
func NewService(store *Store, greetings GreetingRecorder, emailKey []byte, now func() time.Time) *Service {
	names, _ := greetings.(NameChecker)
	s := &Service{
		names:     names,
		store:     store,
		greetings: greetings,
		emailKey:  emailKey,
		now:       now,
		forms:     newFormRules(),
		live:      newLive(),
		groups:    newGroupKeys(emailKey),
		blocked:   newBlockList(store.campaigns.Database(), now),
		log:       slog.New(slog.DiscardHandler),

		confirmWake: make(chan struct{}, 1),
	}
	s.batch = newBatcher(s.commit, batchMax, func(n int) { s.observeBatch("signatures", n) })
	s.pendingBatch = groupcommit.New(s.commitPending, groupcommit.Options{Max: batchMax, Wait: batchWait, Timeout: commitTimeout,
		Observe: func(n int) { s.observeBatch("pending_signatures", n) }})
	return s
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }

// Public returns the campaign with that slug if visitors may see it now;
// drafts, campaigns that have not opened and archived ones are ErrNotFound.
// A slug the campaign had before is a *MovedError naming the current one.
func (s *Service) Public(ctx context.Context, slug string) (*Campaign, error) {
	c, err := s.store.CampaignBySlug(ctx, slug)
	if errors.Is(err, ErrNotFound) {
		return nil, s.moved(ctx, slug, err)
	}
	if err != nil {
		return nil, err
	}
	if !c.Public(s.now()) {
		return nil, fmt.Errorf("campaign %q is %s: %w", slug, c.Status(s.now()), ErrNotFound)
	}
	return c, nil
}

// All returns every campaign, for the console: the open ones first, closing
// soonest first, then the others by their closing time, newest first.
func (s *Service) All(ctx context.Context) ([]Campaign, error) {
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rank := func(c *Campaign) int {
		switch c.Status(now) {
		case StatusOpen:
			return 0
		case StatusScheduled:
			return 1
		case StatusDraft:
			return 2
		}
		return 3
	}
	slices.SortFunc(all, func(a, b Campaign) int {
		if ra, rb := rank(&a), rank(&b); ra != rb {
			return ra - rb
		}
		if rank(&a) == 0 {
			return a.ClosesAt.Compare(b.ClosesAt)
		}
		return b.ClosesAt.Compare(a.ClosesAt)
	})
	return all, nil
}

// Listing is what the front page shows.
type Listing struct {
	Open   []Campaign // closing soonest first
	Closed []Campaign // closed within RecentlyClosed, most recent first
}

// RecentlyClosed is how long a closed campaign stays on the front page.
const RecentlyClosed = 365 * 24 * time.Hour

// List returns the open campaigns and the recently closed ones; archived
// campaigns are never listed.
func (s *Service) List(ctx context.Context) (Listing, error) {
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return Listing{}, err
	}
	return listing(all, s.now()), nil
}

// listing picks the listed campaigns of all at now.
func listing(all []Campaign, now time.Time) Listing {
	var l Listing
	for _, c := range all {
		if c.Archived() {
			continue
		}
		switch c.Status(now) {
		case StatusOpen:
			l.Open = append(l.Open, c)
		case StatusClosed:
			if now.Sub(c.ClosesAt) <= RecentlyClosed {
				l.Closed = append(l.Closed, c)
			}
		}
	}
	slices.SortFunc(l.Open, func(a, b Campaign) int { return a.ClosesAt.Compare(b.ClosesAt) })
	slices.SortFunc(l.Closed, func(a, b Campaign) int { return b.ClosesAt.Compare(a.ClosesAt) })
	return l
}

// Sign adds a supporter's signature (and greeting) to the campaign.
//
// Invalid input is a *ValidationError naming every problem. A campaign that
// is closed is ErrClosed, one not open yet ErrNotOpen. A second signature
// with the same email address is ErrDuplicate and stores nothing; callers
// that face the public must answer it exactly like a success, so that
// nobody can learn whether an address has signed. For the same reason a
// repeat does the database work of a new signature, on decoys (decoy.go),
// so that its answer does not come sooner.
//
// Concurrent calls store their signatures together (batch.go); each
// returns once its own signature is stored, with the greeting in it
// (commit.go).
//
// On a campaign that asks for confirmation (Campaign.ConfirmEmail) the
// signature is stored as a pending one and a message asks to confirm it
// (pending.go); a repeat, pending or confirmed, is ErrDuplicate there too.
// On any other campaign a wish for updates or a partner's contact is
// dropped, since nobody confirms the address.
func (s *Service) Sign(ctx context.Context, c *Campaign, in SignInput) error {
	_, err := s.SignReceipt(ctx, c, in)
	return err
}

// Receipt names the signature a sign request made, or would have made:
// for a repeat (ErrDuplicate) its ID is the stored signature's, but its
// SignedAt is the repeat's own time, so that an erasure code made from it
// (Erasures) erases nothing.
type Receipt struct {
	ID       string
	SignedAt time.Time
}

// SignReceipt is Sign, and returns the receipt of the signature, for its
// erasure code, when it is stored or is a repeat (ErrDuplicate).
func (s *Service) SignReceipt(ctx context.Context, c *Campaign, in SignInput) (Receipt, error) {
	var r Receipt
	err := s.sign(ctx, c, in, &r)
	return r, err
}

func (s *Service) sign(ctx context.Context, c *Campaign, in SignInput, r *Receipt) error {
	now := s.now().UTC()
	switch c.Status(now) {
	case StatusOpen:
	case StatusClosed:
		return ErrClosed
	default:
		return ErrNotOpen
	}
	f, err := s.forms.signature(c, in)
	if c.IsDrive() {
		problems := s.cardProblems(c, in.RecipientID, now)
		if strings.TrimSpace(in.Greeting) == "" {
			// A drive's card is its greeting.
			problems = append(problems, FieldError{Field: "greeting", Problem: ProblemRequired})
		}
		err = withProblems(err, problems)
	}
	if err != nil {
		return err
	}
	switch blocked, err := s.blocked.Blocks(ctx, f.Email); {
	case err != nil:
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	case blocked:
		return &ValidationError{Fields: []FieldError{{Field: "email", Problem: ProblemBlocked}}}
	}
	if !asksConfirmation(c, in.Source) {
		// Nobody confirms the address: it is not kept for updates or
		// given to a partner (see Signature.Confirmed).
		f.Updates, in.PartnerConsent = false, nil
	}
	var check NameCheck
	if s.names != nil {
		if check, err = s.names.CheckName(ctx, c.ID, f.Signer.Name, f.Signer.City); err != nil {
			return fmt.Errorf("sign %s: %w", c.Slug, err)
		}
		if check.Unprintable {
			f.Display = NameCountry
		}
	}
	sig := Signature{
		ID:          SignatureID(s.emailKey, signingKey(c, in.RecipientID), DuplicateKey(f.Email, c.MergeAliases)),
		CampaignID:  c.ID,
		RecipientID: cardRecipient(c, in.RecipientID),
		SignedAt:    now.Truncate(time.Millisecond), // what BSON keeps
		Source:      cmp.Or(in.Source, SourceWeb),
		Referrer:    in.Referrer,
		Updates:     f.Updates,
		Lang:        in.Lang,
		HasGreeting: f.Greeting != "",
		Greeting:    f.Greeting,
		Person:      Person{Name: f.Signer.Name, City: f.Signer.City, Country: f.Signer.Country, Display: f.Display},
		Marks:       in.Marks,
		Network:     truncate(in.Network, NetworkHashLen),
		DomainKey:   s.groups.hash("domain", EmailDomain(f.Email)),
		RefKey:      s.groups.hash("ref", in.Referrer),
	}
	sig.Person.Domain = EmailDomain(f.Email)
	if in.PartnerConsent != nil {
		// Kept with the pending signature and given, with the address
		// and the time, once confirmed (pending.go).
		sig.PartnerConsent = &PartnerConsent{Partner: in.PartnerConsent.Partner, Text: in.PartnerConsent.Text,
			Email: f.Email, At: sig.SignedAt}
	}
	if sig.RecipientID != "" {
		s.beginCard(c.ID, sig.RecipientID, in.Offered)
	}
	if asksConfirmation(c, in.Source) {
		err := s.signPending(ctx, c, &sig, f.Email, in)
		if sig.RecipientID != "" {
			s.endCard(c.ID, sig.RecipientID, false) // counted once confirmed
		}
		return err
	}
	// A pending signature has no receipt: its erasure code comes with
	// its confirmation (pending.go).
	*r = Receipt{ID: sig.ID, SignedAt: sig.SignedAt}
	if check.Held.Any() {
		sig.Held = &check.Held
	}
	err = s.storeSigned(ctx, c, &sig, check.Held)
	if sig.RecipientID != "" {
		// A repeat or an error counted nothing (a card whose greeting
		// failed to record after its insert is counted, and shows once
		// the counter is read again).
		s.endCard(c.ID, sig.RecipientID, err == nil)
	}
	return err
}

// storeSigned stores a new signature made by Sign or confirmed (pending.go), with
// the held fields of its name check: the signature through the group
// commit, then its held fields and its greeting. A repeat is ErrDuplicate,
// after the same work (decoy.go).
func (s *Service) storeSigned(ctx context.Context, c *Campaign, sig *Signature, held Held) error {
	doc, err := s.store.seal(sig)
	if err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	p := &pendingSignature{sig: sig, doc: doc}
	if err := s.batch.store(ctx, p); err != nil {
		if errors.Is(err, ErrDuplicate) {
			if err := s.recoverHeld(ctx, c, sig.ID, held); err != nil {
				return err
			}
			return s.repeat(ctx, c, p, sig.Greeting)
		}
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	// Counted by the batch (commit.go).
	if sig.Held != nil {
		// The signature stands even if this fails: its held fields are not
		// printed until a moderator approves them, and sending the form
		// again queues them (recoverHeld).
		if err := s.names.HoldName(ctx, sig); err != nil {
			return fmt.Errorf("sign %s: hold name: %w", c.Slug, err)
		}
	}
	if sig.Greeting != "" {
		// The reads of a repeat's recoverGreeting, both of documents that
		// are stored: on the embedded database a read by _id that finds
		// nothing scans the whole collection.
		_, _ = s.store.Signature(ctx, sig.ID)
		_ = s.greetings.ReadDecoyGreeting(ctx)
		// The greeting is stored in the signature already; if this fails
		// the supporter is told the request failed, and the journal's
		// repair or the form sent again records it (commit.go).
		if err := s.greetings.RecordGreeting(ctx, c.ID, sig.ID, sig.Greeting, sig.SignedAt); err != nil {
			return fmt.Errorf("sign %s: record greeting: %w", c.Slug, err)
		}
		s.greetingDone(p.journal)
	}
	return nil
}

// repeat answers a signature whose address has signed: it stores nothing
// (but a greeting that failed to store the first time, recoverGreeting)
// and does, on decoys, the greeting writes that a new signature does for
// real (the batch did the signature's). Errors of the decoy writes are
// ignored, for the reason given in commit.
func (s *Service) repeat(ctx context.Context, c *Campaign, p *pendingSignature, greeting string) error {
	if greeting == "" {
		return ErrDuplicate
	}
	recorded, err := s.recoverGreeting(ctx, c, p.sig.ID, greeting)
	if err != nil {
		return err
	}
	if !recorded {
		_ = s.greetings.RehearseGreeting(ctx, c.ID, greeting)
	}
	s.greetingDone(p.journal)
	return ErrDuplicate
}

// recoverGreeting stores the greeting of a stored signature that says it
// has one when none is stored: a crash or an error cut the first
// submission short. The text is the one the stored signature holds; only
// signatures stored before signatures held their greeting hold none, and
// for them the repeat's text is taken, as it was then. A real repeat
// stores nothing new, so nobody can add words under someone else's name.
// It reports whether it stored the greeting.
//
// It always reads both the greeting and the signature, as a new signature
// with a greeting does too (Sign): how many reads were needed would tell
// whether the first signature came with a greeting.
func (s *Service) recoverGreeting(ctx context.Context, c *Campaign, id, text string) (bool, error) {
	stored, err := s.store.Signature(ctx, id)
	if err != nil {
		return false, fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	if !stored.HasGreeting {
		// No greeting to look for; a decoy is read in its place, since a
		// read that finds nothing would scan the collection and tell.
		_ = s.greetings.ReadDecoyGreeting(ctx)
		return false, nil
	}
	has, err := s.greetings.HasGreeting(ctx, id)
	if err != nil {
		return false, err
	}
	if has {
		return false, nil
	}
	if stored.Greeting != "" {
		text = stored.Greeting
	}
	if err := s.greetings.RecordGreeting(ctx, c.ID, id, text, stored.SignedAt); err != nil {
		return false, fmt.Errorf("sign %s: record greeting: %w", c.Slug, err)
	}
	return true, nil
}

// recoverHeld queues the held fields of a stored signature again when a
// repeated submission whose own fields are held (as a real repeat's are)
// arrives, in case the first one failed to queue them; queueing is safe
// to repeat.
func (s *Service) recoverHeld(ctx context.Context, c *Campaign, id string, held Held) error {
	if s.names == nil || !held.Any() {
		return nil
	}
	stored, err := s.store.Signature(ctx, id)
	if err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	if stored.Held == nil {
		return nil
	}
	if err := s.names.HoldName(ctx, stored); err != nil {
		return fmt.Errorf("sign %s: hold name: %w", c.Slug, err)
	}
	return nil
}

// AddSignatures stores signatures collected elsewhere (demo data, later
// imports) for one campaign in one batch, skipping addresses that signed
// already, and returns how many were new.
func (s *Service) AddSignatures(ctx context.Context, campaignID string, sigs []Signature) (int, error) {
	for i := range sigs {
		sigs[i].CampaignID = campaignID
	}
	errs, n, err := s.store.insertNew(ctx, sigs)
	s.addSignatures(ctx, campaignID, sigs, n)
	s.indexStored(sigs, errs)
	if err != nil {
		return n, fmt.Errorf("add signatures to %s: %w", campaignID, err)
	}
	return n, nil
}

// Recipient returns the recipient with that ID, or ErrNotFound.
func (s *Service) Recipient(ctx context.Context, id string) (*Recipient, error) {
	return s.store.Recipient(ctx, id)
}
