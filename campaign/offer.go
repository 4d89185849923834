package campaign

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// A drive offers each supporter the recipient with the fewest cards, so
// that the famous name does not get a thousand cards and the unknown one
// none. Cards are counted when signed (cardcounts.go), but supporters who
// arrive together are offered someone before any of them signs: the
// allocator also counts, in this node's memory, the offers not signed yet
// (for OfferHold at most) and the cards being signed, so that 200
// supporters arriving at once spread over the recipients evenly.

// OfferHold is how long an offer counts for its recipient while its card
// is not signed: about the time it takes to write a card.
const OfferHold = 30 * time.Minute

// ErrNobodyToOffer is a drive with no recipient left to offer: every one
// is skipped, or unreachable.
var ErrNobodyToOffer = errors.New("no recipient left to offer")

// ProblemUnreachable is a card to a recipient whom letters no longer
// reach: released, held incommunicado, deceased, or without an address.
const ProblemUnreachable Problem = "unreachable"

// Reachable reports whether cards sent on day (YYYY-MM-DD) reach the
// recipient: they have an address, and their latest change is not a
// release, incommunicado or death.
func (r *Recipient) Reachable(day string) bool {
	if len(r.AddressOn(day)) == 0 {
		return false
	}
	ch, ok := r.StatusOn(day)
	return !ok || !ch.Unreachable()
}

// allocator keeps, per drive and recipient, what the counters do not show
// yet.
type allocator struct {
	mu     sync.Mutex
	drives map[string]*driveLoad
}

// driveLoad is a drive's load beyond its counters, by recipient.
type driveLoad struct {
	// offered are the times of the offers not signed yet.
	offered map[string][]time.Time
	// signing is how many cards this node is signing; local is the
	// counter as this node knows it with those cards in, which the
	// counter may not show yet.
	signing map[string]int
	local   map[string]int64
}

func (a *allocator) drive(id string) *driveLoad {
	if a.drives == nil {
		a.drives = map[string]*driveLoad{}
	}
	d, ok := a.drives[id]
	if !ok {
		d = &driveLoad{offered: map[string][]time.Time{}, signing: map[string]int{}, local: map[string]int64{}}
		a.drives[id] = d
	}
	return d
}

// load is a recipient's cards, signed or coming, given the counter's
// count; it drops offers older than OfferHold.
func (d *driveLoad) load(id string, count int64, now time.Time) int64 {
	if d.signing[id] == 0 {
		d.local[id] = count
	}
	times := d.offered[id]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= OfferHold {
		i++
	}
	if i > 0 {
		times = times[i:]
		d.offered[id] = times
	}
	return max(count, d.local[id]) + int64(len(times))
}

// Offer returns the recipient of the drive c to offer a supporter: of
// those listed, whom cards reach today and not in skip (the ones the supporter wrote
// to or passed), one with the fewest cards signed or offered, chosen at
// random among equals. The offer counts for that recipient until its card
// is signed (Sign with SignInput.Offered) or OfferHold passes.
// ErrNobodyToOffer when nobody is left, ErrNotFound when c is no drive.
func (s *Service) Offer(c *Campaign, skip []string) (*Recipient, error) {
	if !c.IsDrive() {
		return nil, ErrNotFound
	}
	set := s.Campaigns()
	now := s.now()
	day := now.UTC().Format(time.DateOnly)
	var candidates []*Recipient
	for _, id := range c.RecipientIDs {
		r, ok := set.Recipient(id)
		// An unlisted recipient is reached by the link that names them
		// (the drive page's ?to=), never offered to whoever comes: their
		// family asked that nothing lists them.
		if ok && !r.Unlisted && !slices.Contains(skip, id) && r.Reachable(day) {
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 {
		return nil, ErrNobodyToOffer
	}
	a := &s.offers
	a.mu.Lock()
	defer a.mu.Unlock()
	counts := s.CardCounts(c.ID)
	d := a.drive(c.ID)
	var best []*Recipient
	least := int64(-1)
	for _, r := range candidates {
		switch l := d.load(r.ID, counts[r.ID], now); {
		case least < 0 || l < least:
			best, least = append(best[:0], r), l
		case l == least:
			best = append(best, r)
		}
	}
	r := best[rand.IntN(len(best))]
	d.offered[r.ID] = append(d.offered[r.ID], now)
	return r, nil
}

// beginCard moves a card to the recipient id from offered (when it was
// offered) to signing, before it is stored.
func (s *Service) beginCard(campaignID, id string, offered bool) {
	a := &s.offers
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.drive(campaignID)
	if offered && len(d.offered[id]) > 0 {
		d.offered[id] = d.offered[id][1:]
	}
	if d.signing[id] == 0 {
		d.local[id] = s.CardCounts(campaignID)[id]
	}
	d.signing[id]++
	d.local[id]++
}

// endCard ends what beginCard began, once the card is counted (stored) or
// known not to be (a repeat, an error).
func (s *Service) endCard(campaignID, id string, stored bool) {
	a := &s.offers
	a.mu.Lock()
	defer a.mu.Unlock()
	d := a.drive(campaignID)
	d.signing[id]--
	if !stored {
		d.local[id]--
	}
	if d.signing[id] <= 0 {
		delete(d.signing, id)
	}
}
