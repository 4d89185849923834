package campaign

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// Double opt-in. A campaign with ConfirmEmail set counts a signature made
// on the web, in the widget or through the API only once its supporter has
// followed a link sent to the address. Until then Sign stores it as a
// pending signature, in a collection of its own (store_pending.go), so
// that nothing that reads signatures sees it: it is not counted, printed,
// exported, listed or moderated. The link carries a random secret of which
// only the hash is stored; its page shows one button, and only the POST of
// that button confirms (ConfirmPending), since mail scanners open links.
// Confirming stores the signature through the same group commit as Sign,
// signed at the time of the confirmation: the recount seals past minutes
// (recount.go), so a count in the minute of the signing, up to PendingKeep
// ago, would be dropped. A pending signature older than PendingKeep is
// refused and deleted by SweepPending.
//
// Every answer is the same whether the address is new, pending or
// confirmed, and so is the database work (as for repeats, decoy.go): each
// submission reads the signature by _id (the _id index makes a hit and a
// miss cost the same, third_party/ferretdb), inserts a pending signature
// (new: stored; pending: collides; confirmed: a decoy is stored instead),
// reads the pending signature and updates it (the claim of a message,
// which stores the sealed link for the worker, or the same update of a
// decoy when none is due), and adds to the console's count (or to a
// decoy). Concurrent submissions do this in batches (commitPending). A
// confirmed address gets no message, a pending one at most one an hour
// (ResendAfter). The message itself, composing it and queueing it, is
// not the request's work but a worker's (confirm_worker.go), which the
// request wakes: composing and queueing took about 6 ms that only a
// request with a message due did, which told a new address from one that
// had signed. What remains different is that on the embedded database a
// batch in which an insert collides is written one document at a time,
// as for signatures (decoy.go).

// Timing of the double opt-in.
const (
	// PendingKeep is how long a confirmation link works; SweepPending
	// deletes the pending signatures older than that.
	PendingKeep = 72 * time.Hour
	// ResendAfter is how long after a message a repeat of the same
	// pending signature sends the message again.
	ResendAfter = time.Hour
	// PendingSweepEvery is how often one node of all runs the cleanup.
	PendingSweepEvery = 5 * time.Minute
	// pendingSlotSize is the width of the cleanup's slots (pendingSlot).
	pendingSlotSize = 10 * time.Minute
	// secretsKept is how many links of one pending signature work: the
	// newest messages'.
	secretsKept = 4
	// pendingFullSweep is how far behind the cleanup's cursor may fall
	// before it deletes by a scan rather than slot by slot.
	pendingFullSweep = 30 * 24 * time.Hour
)

// ErrExpired is a confirmation link that does not work: unknown, used,
// wrong or older than PendingKeep. One error for all, so that a page
// answers them alike.
var ErrExpired = errors.New("confirmation link expired or unknown")

// ConfirmationMail is a message that asks a supporter to confirm their
// signature by following ConfirmURL.
type ConfirmationMail struct {
	To            string // the address to confirm
	Lang          string // the language of the supporter's page, e.g. "be"
	CampaignID    string
	CampaignTitle string // in the campaign's own language
	ConfirmURL    string // absolute; its secret is in the path
	// Key names the message: a second call with the same Key is the same
	// message and must not send it again.
	Key string
}

// Confirmations sends the messages that ask supporters to confirm their
// signature: the mail queue in production, a recorder in tests.
type Confirmations interface {
	SendConfirmation(ctx context.Context, m ConfirmationMail) error
}

// SetConfirmations sets what sends confirmation messages. Call it before
// the first Sign; without one, Sign on a campaign that asks for
// confirmation fails.
func (s *Service) SetConfirmations(c Confirmations) { s.confirmations = c }

// SetLogger sets where the service logs the failures it does not return:
// those of the console's count of pending signatures, after the signing or
// the confirmation it counts has succeeded.
func (s *Service) SetLogger(log *slog.Logger) { s.log = log }

// Pending is a signature that waits for its supporter's confirmation.
type Pending struct {
	ID         string // PendingID
	CampaignID string
	CreatedAt  time.Time
	SentAt     time.Time // of the last message; zero before the first
	Secrets    []string  // hashes of the secrets of the links sent
	Lang       string
	Email      string    // the address the message goes to
	Sig        Signature // what is stored once confirmed, but its time
}

// PendingID is the _id of the pending signature that normalisedEmail
// gives to the campaign: like SignatureID, so that a repeat finds it by
// _id, but another value, so that a link does not carry the signature's
// ID.
func PendingID(key []byte, campaignID, normalisedEmail string) string {
	return SignatureID(key, "pending\x00"+campaignID, normalisedEmail)
}

// asksConfirmation reports whether a signature from source on c waits for
// its supporter to confirm the address. Only then does the form offer, and
// Sign keep, updates and a partner's consent: an address nobody confirmed
// may be a stranger's.
func asksConfirmation(c *Campaign, source Source) bool {
	return c.ConfirmEmail && source != SourcePaper
}

// OffersUpdates reports whether supporters of c are offered updates and,
// on a partner's form, the partner's contact: only when the campaign asks
// them to confirm their address.
func OffersUpdates(c *Campaign) bool { return asksConfirmation(c, SourceWeb) }

// pendingSlot names the cleanup's slot of t: its start, to the minute.
func pendingSlot(t time.Time) string {
	return t.UTC().Truncate(pendingSlotSize).Format("200601021504")
}

// secretHash is what is stored of a link's secret.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newSecret returns a link's secret: 32 random bytes, base64url.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// ConfirmPath is the path of a confirmation link: /confirm/{id}.{secret}.
func ConfirmPath(id, secret string) string { return "/confirm/" + id + "." + secret }

// SplitConfirmCode splits the last part of a confirmation link's path
// into the pending signature's ID and the secret; ok is false when it is
// not shaped like one.
func SplitConfirmCode(code string) (id, secret string, ok bool) {
	id, secret, ok = strings.Cut(code, ".")
	if !ok || len(id) != 64 || len(secret) != 43 {
		return "", "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", false
	}
	return id, secret, true
}

// signPending stores sig, a signature of a campaign that asks for
// confirmation, as a pending signature, and leaves the message that asks
// to confirm it to the worker (confirm_worker.go): the claim of the
// message stores the link, sealed, for it. It returns nil for a new
// address and ErrDuplicate for a repeat, pending or confirmed; callers
// answer both alike.
func (s *Service) signPending(ctx context.Context, c *Campaign, sig *Signature, email string, in SignInput) error {
	if s.confirmations == nil {
		return fmt.Errorf("sign %s: no way to send confirmation messages", c.Slug)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	confirmed, err := s.store.signed(ctx, sig.ID)
	if err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	p := &Pending{
		ID: PendingID(s.emailKey, signingKey(c, sig.RecipientID), DuplicateKey(email, c.MergeAliases)), CampaignID: c.ID,
		CreatedAt: now, Lang: in.Lang, Email: email, Sig: *sig,
	}
	j := &pendingJob{id: p.ID, campaignID: c.ID, confirmed: confirmed, now: now, lang: in.Lang}
	if confirmed {
		p.ID = DecoyID() // the same insert, where it stores nothing of note
		s.decoysWritten.Store(true)
	}
	if j.doc, err = s.store.sealPending(p); err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	// Both links are sealed whatever the claim finds, so that the work is
	// the same: the real one, and one of filler as long for a decoy.
	secret := newSecret()
	j.hash = secretHash(secret)
	link := strings.TrimSuffix(in.LinkBase, "/") + ConfirmPath(j.id, secret)
	if j.link, err = s.store.sealLink(j.id, link); err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	if j.decoyLink, err = s.store.sealLink(j.id, Filler(len(link))); err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	if err := s.pendingBatch.Do(ctx, j); err != nil {
		return fmt.Errorf("sign %s: %w", c.Slug, err)
	}
	if j.countErr != nil {
		// Logged, not returned: the pending signature is stored and its
		// message claimed, and a failed request would send no message
		// for ResendAfter. Only the console's number is off by one
		// until the slot expires.
		s.log.Error("count a pending signature", "campaign", c.Slug, "error", j.countErr)
	}
	if j.claimed {
		s.wakeConfirmations()
	}
	if j.fresh {
		return nil
	}
	return ErrDuplicate
}

// pendingJob is one signPending call's writes, done in a batch with those
// of others at the same time (commitPending).
type pendingJob struct {
	doc        *storedPending // to insert: the pending signature, or a decoy
	id         string         // the pending signature's _id
	campaignID string
	confirmed  bool // the address has confirmed: doc is a decoy
	now        time.Time
	hash       string // of the new link's secret
	// link is the new link, sealed, which the claim stores for the
	// worker; decoyLink is filler sealed alike, for a decoy update. lang
	// is the language of the page signed on ("": the stored one's).
	link, decoyLink sealed.Text
	lang            string
	// What came of it: fresh when doc was stored as a new pending
	// signature, claimed when a message is to go out.
	fresh, claimed bool
	// countErr is the failure of the console's count, which does not
	// fail the signing (signPending).
	countErr error
}

// commitPending does the writes of a batch of signPending calls, as the
// group commit of signatures does (batch.go): every document in one
// unordered insert (the decoys in another), then, under the store's write
// lock, taken once for the batch, each one's read, claim of its message
// (or a decoy update) and count (or a decoy count). A repeat in the same
// batch as its first submission finds the message claimed.
func (s *Service) commitPending(ctx context.Context, batch []*pendingJob) []error {
	errs := make([]error, len(batch))
	for _, decoy := range []bool{false, true} {
		var at []int
		var docs []*storedPending
		for i, j := range batch {
			if j.confirmed == decoy {
				at, docs = append(at, i), append(docs, j.doc)
			}
		}
		for k, err := range s.store.insertPendingBatch(ctx, docs, decoy) {
			j := batch[at[k]]
			j.fresh = err == nil && !decoy
			if err != nil && !errors.Is(err, ErrDuplicate) {
				errs[at[k]] = err
			}
		}
	}
	// What the inserts did not do, a decoy insert does, so that every
	// submission costs one stored document and one collision (as
	// signatures do, commit.go): a stored decoy for each repeat that
	// collided, and one colliding decoy for all that stored one, a
	// pending signature or a confirmed address's decoy. Without it a
	// pending address answered sooner than a new one: a collision costs
	// less than a stored document. Its errors are ignored: it stores
	// nothing, and an answer that failed only for one kind of address
	// would tell it.
	var complement []*Pending
	stored := 0
	for i, j := range batch {
		switch {
		case errs[i] != nil:
		case j.fresh || j.confirmed:
			stored++
		default:
			complement = append(complement, decoyPending(DecoyID()))
		}
	}
	if stored > 0 {
		complement = append(complement, decoyPending(CollideID))
	}
	if docs, err := s.store.sealPendings(complement); err == nil {
		_ = s.store.insertPendingBatch(ctx, docs, true)
		s.decoysWritten.Store(true)
	}
	err := s.store.withCounterLock(ctx, func(ctx context.Context) error {
		for i, j := range batch {
			if errs[i] == nil {
				errs[i] = s.store.claimPending(ctx, j)
			}
		}
		return nil
	})
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// checkPending reads the pending signature of a link and checks its
// secret and age: ErrExpired when it does not work.
func (s *Service) checkPending(ctx context.Context, id, secret string) (*Pending, error) {
	p, err := s.store.Pending(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrExpired
	}
	if err != nil {
		return nil, err
	}
	hash := secretHash(secret)
	match := 0
	for _, h := range p.Secrets {
		match |= subtle.ConstantTimeCompare([]byte(h), []byte(hash))
	}
	if match == 0 || !s.now().Before(p.CreatedAt.Add(PendingKeep)) {
		return nil, ErrExpired
	}
	return p, nil
}

// PendingCampaign returns the campaign of a working confirmation link,
// for the page that asks to confirm; it changes nothing. A link that does
// not work is ErrExpired.
func (s *Service) PendingCampaign(ctx context.Context, id, secret string) (*Campaign, error) {
	p, err := s.checkPending(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	c, err := s.store.Campaign(ctx, p.CampaignID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrExpired
	}
	return c, err
}

// ConfirmPending stores the pending signature of a working link as a
// signature, through the group commit, signed now, and deletes the pending
// one. It returns the campaign and the signature's receipt, for its
// erasure code. A link that does not work, or was used, is ErrExpired; a
// campaign that closed meanwhile is ErrClosed (nothing is stored).
func (s *Service) ConfirmPending(ctx context.Context, id, secret string) (*Campaign, Receipt, error) {
	p, err := s.checkPending(ctx, id, secret)
	if err != nil {
		return nil, Receipt{}, err
	}
	c, err := s.store.Campaign(ctx, p.CampaignID)
	if errors.Is(err, ErrNotFound) {
		return nil, Receipt{}, ErrExpired
	}
	if err != nil {
		return nil, Receipt{}, err
	}
	now := s.now().UTC()
	switch c.Status(now) {
	case StatusOpen:
	case StatusClosed:
		return c, Receipt{}, ErrClosed
	default:
		return c, Receipt{}, ErrNotOpen
	}
	sig := p.Sig
	sig.SignedAt = now.Truncate(time.Millisecond)
	sig.Confirmed = true
	sig.Person.Domain = EmailDomain(p.Email)
	if sig.Updates {
		sig.Person.Email = p.Email
	}
	if pc := sig.PartnerConsent; pc != nil {
		pc.Email, pc.At = p.Email, sig.SignedAt
	}
	var check NameCheck
	if s.names != nil {
		if check, err = s.names.CheckName(ctx, c.ID, sig.Person.Name, sig.Person.City); err != nil {
			return nil, Receipt{}, fmt.Errorf("confirm signature: %w", err)
		}
		if check.Unprintable {
			sig.Person.Display = NameCountry
		}
	}
	if check.Held.Any() {
		sig.Held = &check.Held
	}
	// A second confirmation at once, or one cut short after the insert,
	// collides: the signature is stored, which is what was asked.
	if err := s.storeSigned(ctx, c, &sig, check.Held); err != nil && !errors.Is(err, ErrDuplicate) {
		return nil, Receipt{}, err
	}
	deleted, err := s.store.deletePending(ctx, p.ID)
	if err != nil {
		return nil, Receipt{}, err
	}
	if deleted {
		// Only the confirmation that deleted it takes it off the count.
		// A failure is logged, not returned: the signature is stored and
		// the link used, so an error page would tell the supporter the
		// opposite of what happened, and a second try would find the link
		// expired. The console counts one pending too many until the
		// slot expires.
		if err := s.store.countPending(ctx, c.ID, p.CreatedAt, -1, false); err != nil {
			s.log.Error("uncount a confirmed pending signature", "campaign", c.Slug, "error", err)
		}
	}
	// A second confirmation at once gets a receipt of its own time, whose
	// code erases nothing: only the first is the signature's.
	return c, Receipt{ID: sig.ID, SignedAt: sig.SignedAt}, nil
}

// CountPending returns how many signatures of the campaign wait for
// confirmation, for the console: from counts kept by slot
// (store_pending.go), so that it counts a pending signature until the
// whole slot it was made in has expired, up to pendingSlotSize after its
// own expiry.
func (s *Service) CountPending(ctx context.Context, campaignID string) (int64, error) {
	return s.store.CountPending(ctx, campaignID, s.now())
}

// decoyPending is a pending signature of filler, for the decoy collection.
func decoyPending(id string) *Pending {
	return &Pending{ID: id, CampaignID: "decoy", CreatedAt: time.Unix(0, 0).UTC(), Email: Filler(20), Sig: *decoySignature(id)}
}
