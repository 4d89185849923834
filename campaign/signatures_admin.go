package campaign

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// PageSize is how many signatures the console lists per page.
const PageSize = 50

// Presence filters signatures by whether they came with a greeting.
type Presence string

// The greeting filters.
const (
	AnyGreeting     Presence = ""
	WithGreeting    Presence = "yes"
	WithoutGreeting Presence = "no"
)

// SignatureFilter narrows the console's list of a campaign's signatures.
// Zero fields do not filter.
type SignatureFilter struct {
	// Search is part of the name or the city, in any case.
	Search  string
	Country string
	// From and Until bound the signing time: From <= signed_at < Until.
	From, Until time.Time
	Source      Source
	Greeting    Presence
}

// Cursor is a position in the list of signatures: the key (signed_at, _id)
// of a row. The list is ordered by it, newest first, and pages by it
// instead of skipping, so that every page costs the same at any depth.
type Cursor struct {
	SignedAt time.Time
	ID       string
}

// IsZero reports whether the cursor points nowhere (the start of the list).
func (c Cursor) IsZero() bool { return c.ID == "" }

// String encodes the cursor for a link: milliseconds since 1970, a dot and
// the signature's ID.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.SignedAt.UnixMilli(), 10) + "." + c.ID
}

// cursorID is what signature IDs look like: HMACs in hex, or "p-" and
// random hex for paper signatures.
var cursorID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,100}$`)

// ParseCursor decodes a cursor made by Cursor.String; the empty string is
// the zero cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ms, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || !cursorID.MatchString(id) {
		return Cursor{}, fmt.Errorf("list position %q is not valid", s)
	}
	return Cursor{SignedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

func cursorOf(sig *Signature) Cursor { return Cursor{SignedAt: sig.SignedAt, ID: sig.ID} }

// ListRequest asks for one page of a campaign's signatures: the first page
// when both cursors are zero, the rows after (older than) After, or the
// rows before (newer than) Before.
type ListRequest struct {
	Filter SignatureFilter
	After  Cursor
	Before Cursor
	// Limit is the page size; PageSize when zero.
	Limit int
}

// SignaturePage is one page of the list, newest first. Next is the cursor
// for the following (older) page and Prev for the preceding (newer) one;
// each is zero when there is no such page.
type SignaturePage struct {
	Signatures []Signature
	Next, Prev Cursor
}

// ListSignatures returns one page of the campaign's signatures that pass
// the filter, newest first, from the index in memory (index.go): a page
// costs the same at any depth and on any database, and a search tests the
// rows' folded names and cities, which the database holds sealed. While
// the index is being built the error is a *PreparingError.
func (s *Service) ListSignatures(ctx context.Context, campaignID string, req ListRequest) (SignaturePage, error) {
	limit := req.Limit
	if limit <= 0 {
		limit = PageSize
	}
	var search string
	if req.Filter.Search != "" {
		q, err := textnorm.Line(req.Filter.Search)
		if err != nil {
			return SignaturePage{}, fmt.Errorf("search %q: %w", req.Filter.Search, err)
		}
		search = q
	}
	rows, err := s.indexed(ctx, campaignID)
	if err != nil {
		return SignaturePage{}, err
	}
	f := newRowFilter(req.Filter, search)
	if f.invalid, err = s.invalidRows(ctx, campaignID); err != nil {
		return SignaturePage{}, err
	}
	if !req.Before.IsZero() {
		sigs := rows.page(campaignID, &f, req.Before, true, limit+1)
		if len(sigs) > limit {
			// Newest first, like every page; there are newer rows still.
			sigs = sigs[:limit]
			slices.Reverse(sigs)
			return SignaturePage{Signatures: sigs, Prev: cursorOf(&sigs[0]), Next: cursorOf(&sigs[len(sigs)-1])}, nil
		}
		// Fewer than a page is newer than Before: show the first page
		// rather than a short one.
		req.After = Cursor{}
	}
	sigs := rows.page(campaignID, &f, req.After, false, limit+1)
	var p SignaturePage
	if len(sigs) > limit {
		sigs = sigs[:limit]
		p.Next = cursorOf(&sigs[len(sigs)-1])
	}
	if !req.After.IsZero() && len(sigs) > 0 {
		p.Prev = cursorOf(&sigs[0])
	}
	p.Signatures = sigs
	return p, nil
}

// CampaignSignature returns the signature with that ID if it belongs to
// the campaign, or ErrNotFound.
func (s *Service) CampaignSignature(ctx context.Context, campaignID, id string) (*Signature, error) {
	sig, err := s.store.Signature(ctx, id)
	if err != nil {
		return nil, err
	}
	if sig.CampaignID != campaignID {
		return nil, fmt.Errorf("signature of another campaign: %w", ErrNotFound)
	}
	return sig, nil
}

// EraseSignature deletes a signature of the campaign and its greeting for
// good, as a data-protection request asks, withdraws the messages waiting
// to go to its supporter, and takes it off the count.
// ErrNotFound if the campaign has no such signature.
//
// The greeting goes first: if that fails the signature is still there to
// erase again, and nothing is left that cannot be found any more.
func (s *Service) EraseSignature(ctx context.Context, campaignID, id string) error {
	sig, err := s.CampaignSignature(ctx, campaignID, id)
	if err != nil {
		return err
	}
	// The messages waiting to go to its supporter go first: if that
	// fails nothing is erased yet, and the erasure can be asked again.
	if err := s.withdraw(ctx, SignatureRef(id)); err != nil {
		return fmt.Errorf("erase signature: %w", err)
	}
	// Other nodes learn of it from this note (indexsync.go), written
	// first: if it fails nothing is erased yet, and the erasure can be
	// asked again.
	if err := s.store.noteErasure(ctx, sig, s.now()); err != nil {
		return err
	}
	if err := s.greetings.EraseGreeting(ctx, id); err != nil {
		return fmt.Errorf("erase greeting: %w", err)
	}
	deleted, err := s.store.deleteSignature(ctx, id)
	if err != nil {
		return fmt.Errorf("erase signature: %w", err)
	}
	if !deleted {
		// Erased by someone else meanwhile; they took it off the count.
		return fmt.Errorf("erase signature: %w", ErrNotFound)
	}
	s.unindexSignature(campaignID, sig.SignedAt, sig.ID)
	// Counted in the minute of the erasure, not of the signing: a recount
	// that sealed the signing minute already must still see it go.
	m := minutes{}
	m.addCard(minuteOf(s.now()), sig.Person.Country, sig.RecipientID, -1)
	_ = s.countNow(ctx, campaignID, m) // kept to write again when it fails
	return nil
}
