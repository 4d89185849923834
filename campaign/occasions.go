package campaign

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Yearly occasions the console suggests a campaign for: a recipient's
// birthday (a letter to them) and New Year (a drive to everyone listed
// who can be written to).

// OccasionKind is what an occasion celebrates.
type OccasionKind string

// The kinds of occasion.
const (
	OccasionBirthday OccasionKind = "birthday"
	OccasionNewYear  OccasionKind = "new-year"
)

// OccasionWindow is how far ahead the console suggests occasions.
const OccasionWindow = 45 * 24 * time.Hour

// Occasion is a day coming up that a campaign could be made for.
type Occasion struct {
	Kind OccasionKind
	// Day is the occasion's calendar day, at midnight UTC.
	Day time.Time
	// Recipient is whose birthday it is; nil for New Year.
	Recipient *Recipient
}

// Occasions returns the occasions from the calendar day of now to within
// OccasionWindow of it, soonest first: the birthday of every recipient
// who has one recorded and can be written to on that day, and New Year's
// Day.
func Occasions(recipients []*Recipient, now time.Time) []Occasion {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	end := today.Add(OccasionWindow)
	var out []Occasion
	if ny := time.Date(y+1, time.January, 1, 0, 0, 0, 0, time.UTC); !ny.After(end) {
		out = append(out, Occasion{Kind: OccasionNewYear, Day: ny})
	}
	if m == time.January && d == 1 {
		out = append(out, Occasion{Kind: OccasionNewYear, Day: today})
	}
	for _, r := range recipients {
		b, ok := r.NextBirthday(today)
		if !ok || b.After(end) || !Writable(r, b.Format(time.DateOnly)) {
			continue
		}
		out = append(out, Occasion{Kind: OccasionBirthday, Day: b, Recipient: r})
	}
	slices.SortStableFunc(out, func(a, b Occasion) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Kind, b.Kind), strings.Compare(occasionName(a), occasionName(b)))
	})
	return out
}

func occasionName(o Occasion) string {
	if o.Recipient == nil {
		return ""
	}
	return strings.ToLower(o.Recipient.Name)
}

// Writable reports whether letters reach r on day (YYYY-MM-DD): they have
// an address then and were not released, held incommunicado or died.
func Writable(r *Recipient, day string) bool {
	if ch, ok := r.StatusOn(day); ok && ch.Unreachable() {
		return false
	}
	return len(r.AddressOn(day)) > 0
}

// NewYearRecipients are the IDs of the recipients a New Year drive writes
// to: every listed one who can be written to on day, by name.
func NewYearRecipients(recipients []*Recipient, day string) []string {
	mine := slices.Clone(recipients)
	mine = slices.DeleteFunc(mine, func(r *Recipient) bool { return r.Unlisted || !Writable(r, day) })
	slices.SortFunc(mine, func(a, b *Recipient) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	out := make([]string, len(mine))
	for i, r := range mine {
		out[i] = r.ID
	}
	return out
}
