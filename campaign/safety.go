package campaign

import (
	"context"
	"slices"
	"strings"

	"github.com/solidarity-letters/solidarity/internal/country"
)

// Held says which printed fields of a signature wait for a moderator:
// prison staff read every printed line, so a name or city with a link, a
// phone number or the like is printed only once a moderator approves it.
// Until then (and for good once rejected) a held name prints as "a
// supporter from <country>" and a held city is left off.
type Held struct {
	Name bool `bson:"name,omitempty"`
	City bool `bson:"city,omitempty"`
}

// Any reports whether a field is held.
func (h Held) Any() bool { return h.Name || h.City }

// NameCheck is what checking a supporter's name and city found.
type NameCheck struct {
	Held Held
	// Unprintable is true when the name is in a script the letters cannot
	// print: it is stored with NameCountry, whatever was chosen.
	Unprintable bool
}

// NameChecker checks the name and city of each new signature before it is
// stored and queues the held ones for moderation. When the service's
// GreetingRecorder also implements it (letters.Service does), every
// signature made through Sign is checked.
type NameChecker interface {
	CheckName(ctx context.Context, campaignID, name, city string) (NameCheck, error)
	// HoldName queues the held fields of a stored signature for a
	// moderator; queueing the same signature again is no error.
	HoldName(ctx context.Context, sig *Signature) error
}

// DefaultAtRisk are the countries whose signers are at risk when a
// campaign does not say: where signing can be prosecuted.
var DefaultAtRisk = []string{"BY", "RU"}

// RiskCountries returns the codes of the countries whose signers are at
// risk: the campaign's list, or DefaultAtRisk for a campaign stored before
// it had one.
func (c *Campaign) RiskCountries() []string {
	if c.AtRisk == nil {
		return slices.Clone(DefaultAtRisk)
	}
	return c.AtRisk
}

// AtRiskCountry reports whether signers from the country (ISO 3166-1
// alpha-2) are at risk.
func (c *Campaign) AtRiskCountry(code string) bool {
	return code != "" && slices.Contains(c.RiskCountries(), strings.ToUpper(code))
}

// ParseCountries reads a list of country codes separated by commas or
// spaces, upper-cased, without repeats. An unknown code is returned in
// bad.
func ParseCountries(s string) (codes []string, bad []string) {
	codes = []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		code := strings.ToUpper(f)
		switch {
		case !country.Valid(code):
			bad = append(bad, f)
		case !slices.Contains(codes, code):
			codes = append(codes, code)
		}
	}
	return codes, bad
}
