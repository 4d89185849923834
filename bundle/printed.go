package bundle

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/pdf"
)

// What a bundle prints of whom, in one place: Build and EachPrinted (the
// recipient's archive) both follow it, so that nothing leaves the
// organisation that the supporter did not choose to have printed.

// printedName is r's name as the letter prints it: as its supporter chose
// (full, first name and initial, or "a supporter from <country>"), and
// the country phrase while a moderator holds the name back.
func printedName(fixed *pdf.Texts, r row, countryName func(string) string) string {
	choice := cmp.Or(r.display, campaign.NameFull)
	if r.held.Name {
		choice = campaign.NameCountry
	}
	return fixed.PrintedName(r.name, pdf.NameChoice(choice), countryName(r.country))
}

// readRows adds to d the rows of the signatures in scope, in signing
// order, with the held fields a moderator has approved since released,
// and returns the set of their IDs.
func (b *Builder) readRows(ctx context.Context, c *campaign.Campaign, scope Scope, recipient string, d *data) (map[string]bool, error) {
	in, held, err := b.readSignatures(ctx, c, scope, recipient, d)
	if err != nil {
		return nil, err
	}
	sortRows(d.rows)
	if held > 0 {
		// What prison staff read: a held field prints only once approved.
		decided, err := b.greetings.Names().Decisions(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for i := range d.rows {
			if decided[d.rows[i].id] == letters.StatusApproved {
				d.rows[i].held = campaign.Held{}
			}
		}
	}
	return in, nil
}

// eachPrintedGreeting calls fn for each approved greeting of c whose
// signature is in, in stored order, and untranslated for each one left
// out because it needs a translation that is not approved.
func (b *Builder) eachPrintedGreeting(ctx context.Context, c *campaign.Campaign, in map[string]bool, fn func(*letters.Greeting) error, untranslated func()) error {
	// One pass over the campaign's approved greetings: on the embedded
	// database every read but one by _id scans the collection.
	return b.greetings.EachApproved(ctx, c.ID, func(g *letters.Greeting) error {
		if !in[g.ID] {
			return nil
		}
		// The censor holds back letters in other languages: a greeting
		// that needs a translation goes only with an approved one.
		if g.NeedsTranslation && !g.Translation.Approved() {
			untranslated()
			return nil
		}
		return fn(g)
	})
}

// Printed is a greeting as a bundle prints it: signed as its supporter
// chose to be named, with its approved translation.
type Printed struct {
	ID        string
	CreatedAt time.Time
	// Name, City and Country are as the letter prints them: City is empty
	// while a moderator holds it back.
	Name, City, Country string
	// Text is the greeting as written, in Language ("" when unknown).
	Text, Language string
	// Translation is its approved translation into TranslationLanguage,
	// empty when it has none.
	Translation, TranslationLanguage string
}

// EachPrinted calls fn with each greeting a bundle of c with scope prints
// (texts in lang), in the order the database returns them: the
// campaign's rows are held in memory as for a build, the greetings are
// not. fn must not keep its argument.
func (j *Jobs) EachPrinted(ctx context.Context, c *campaign.Campaign, scope Scope, lang string, fn func(*Printed) error) error {
	b := j.builder
	d := &data{countries: map[string]bool{}}
	in, err := b.readRows(ctx, c, scope, "", d)
	if err != nil {
		return fmt.Errorf("printed greetings of %s: %w", c.Slug, err)
	}
	byID := make(map[string]int, len(d.rows))
	for i, r := range d.rows {
		byID[r.id] = i
	}
	tag := language.Make(lang)
	fixed := texts(b.messages.Localizer(tag))
	countryName := func(code string) string { return b.countries.Name(tag, code) }
	var p Printed
	err = b.eachPrintedGreeting(ctx, c, in, func(g *letters.Greeting) error {
		r := d.rows[byID[g.ID]]
		p = Printed{ID: g.ID, CreatedAt: g.CreatedAt, Name: printedName(&fixed, r, countryName), City: r.printedCity(),
			Country: countryName(r.country), Text: g.Text, Language: g.Language}
		if g.Translation.Approved() {
			p.Translation, p.TranslationLanguage = g.Translation.Text, g.Translation.Language
		}
		return fn(&p)
	}, func() {})
	if err != nil {
		return fmt.Errorf("printed greetings of %s: %w", c.Slug, err)
	}
	return nil
}

// All returns every job of a campaign, whatever its status, in no
// particular order.
func (j *Jobs) All(ctx context.Context, campaignID string) ([]Job, error) {
	return j.store.ofCampaign(ctx, campaignID)
}
