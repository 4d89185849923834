package letters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/pdf"
)

// NameFlags computes the flags of a supporter's name or city: those of a
// greeting that concern what prison staff read on the letter (links,
// phone numbers, email addresses, the recipient's censor words, capitals,
// text that cannot be printed). A name in a script the recipient's
// languages do not use is no reason to hold it: names are written as
// their owners write them.
func NameFlags(text string, rules campaign.Rules) []Flag {
	if text == "" {
		return nil
	}
	if strings.ContainsAny(text, ".@/:0123456789") {
		return slices.DeleteFunc(Check(text, rules), func(f Flag) bool { return f == FlagScript })
	}
	// Most names: no link, email address or phone number is possible
	// without a dot, an @, a slash, a colon or a digit, so signing skips
	// those patterns.
	var flags []Flag
	if hasCensored(text, rules.CensorWords) {
		flags = append(flags, FlagCensor)
	}
	if shouting(text) {
		flags = append(flags, FlagCaps)
	}
	if ok, _ := pdf.Printable(text); !ok {
		flags = append(flags, FlagUnprintable)
	}
	return flags
}

// NameItem is a signature whose name or city waits for a moderator, as
// the name queue shows it.
type NameItem struct {
	ID         string // the signature's ID
	CampaignID string
	CreatedAt  time.Time
	Name       string
	City       string
	Country    string
	Display    campaign.NameDisplay
	Held       campaign.Held
	NameFlags  []Flag
	CityFlags  []Flag
}

// NamePage is one page of the name queue.
type NamePage struct {
	Items []NameItem
	// Next is where the following page starts; zero on the last page.
	Next Cursor
}

// CheckName reports which of a new signature's name and city must wait
// for a moderator, and whether the name can be printed at all. It
// implements campaign.NameChecker.
func (s *Service) CheckName(ctx context.Context, campaignID, name, city string) (campaign.NameCheck, error) {
	rules, err := s.Rules(ctx, campaignID)
	if err != nil {
		return campaign.NameCheck{}, fmt.Errorf("check name: %w", err)
	}
	nf := NameFlags(name, rules)
	return campaign.NameCheck{
		Held:        campaign.Held{Name: len(nf) > 0, City: len(NameFlags(city, rules)) > 0},
		Unprintable: slices.Contains(nf, FlagUnprintable),
	}, nil
}

// HoldName queues a stored signature's held fields for a moderator, with
// their flags; a signature queued or decided already is left as it is.
// It implements campaign.NameChecker.
func (s *Service) HoldName(ctx context.Context, sig *campaign.Signature) error {
	if sig.Held == nil || !sig.Held.Any() {
		return nil
	}
	rules, err := s.Rules(ctx, sig.CampaignID)
	if err != nil {
		return fmt.Errorf("hold name: %w", err)
	}
	it := NameItem{ID: sig.ID, CampaignID: sig.CampaignID, CreatedAt: sig.SignedAt, Name: sig.Person.Name,
		City: sig.Person.City, Country: sig.Person.Country, Display: sig.Person.Display, Held: *sig.Held}
	if it.Held.Name {
		it.NameFlags = NameFlags(it.Name, rules)
	}
	if it.Held.City {
		it.CityFlags = NameFlags(it.City, rules)
	}
	return s.store.Names().Enqueue(ctx, &it)
}

// NameQueue returns up to limit held signatures after the cursor, oldest
// first, of one campaign or (campaignID "") of all.
func (s *Service) NameQueue(ctx context.Context, campaignID string, after Cursor, limit int) (NamePage, error) {
	items, err := s.store.Names().Pending(ctx, campaignID, after, limit+1)
	if err != nil {
		return NamePage{}, err
	}
	var p NamePage
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		p.Next = Cursor{At: last.CreatedAt, ID: last.ID}
	}
	p.Items = items
	return p, nil
}

// PendingNameCounts counts the held signatures waiting for a moderator,
// by campaign.
func (s *Service) PendingNameCounts(ctx context.Context) (map[string]int64, error) {
	return s.store.Names().PendingCounts(ctx)
}

// ApproveName lets a held name (and city) be printed as the supporter
// chose. A signature decided already is ErrDecided.
func (s *Service) ApproveName(ctx context.Context, id string) (NameItem, error) {
	it, err := s.store.Names().Decide(ctx, id, StatusApproved, s.now())
	if err != nil {
		return it, err
	}
	return it, s.nameDecided(ctx, &it)
}

// nameDecided reloads the public greetings of the decided name's campaign
// if the name's greeting is among them: the name may show now.
func (s *Service) nameDecided(ctx context.Context, it *NameItem) error {
	shown, _ := s.LatestVersion(it.CampaignID)
	if !slices.ContainsFunc(shown, func(sh Shown) bool { return sh.ID == it.ID }) {
		return nil
	}
	return s.shownChanged(ctx, it.CampaignID, shownChange{})
}

// RejectName keeps a held name in the country form, and a held city off
// the letter, for good.
func (s *Service) RejectName(ctx context.Context, id string) (NameItem, error) {
	it, err := s.store.Names().Decide(ctx, id, StatusRejected, s.now())
	if err != nil {
		return it, err
	}
	return it, s.nameDecided(ctx, &it)
}

// nameShown reports whether a signature's name and city may be shown as
// its supporter chose: nothing of them is held, or a moderator approved.
func (s *Service) nameShown(ctx context.Context, sig *campaign.Signature) (name, city bool, err error) {
	if sig.Held == nil || !sig.Held.Any() {
		return true, true, nil
	}
	st, err := s.store.Names().Decision(ctx, sig.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, false, err
	}
	ok := st == StatusApproved
	return !sig.Held.Name || ok, !sig.Held.City || ok, nil
}
