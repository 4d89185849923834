// Package bundle builds the printable bundles of a campaign, the letters
// that go to the prison by post, from its stored signatures and approved
// greetings. Builds run as jobs whose state lives in MongoDB and whose
// files live in GridFS, so that any app node can serve a finished bundle
// and a restart loses none.
package bundle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/pdf"
)

// ErrInvalid wraps a problem with the options of a bundle.
var ErrInvalid = errors.New("invalid bundle options")

// Options are what an organizer chooses for a bundle.
type Options struct {
	Layout    pdf.Layout `bson:"layout"`
	Paper     pdf.Paper  `bson:"paper"`
	MaxSheets int        `bson:"max_sheets"`
	Lang      string     `bson:"lang"`
	// Recipient is, for a drive, the one recipient whose cards the bundle
	// holds; a drive's bundle is always one recipient's. Empty for a
	// letter, which has one recipient.
	Recipient string `bson:"recipient,omitempty"`
}

// Validate fills defaults and checks the options. A bundle prints in any
// language of the message catalog c; Jobs.Enqueue also asks that the
// campaign have a text in it (see Languages), which a job stored before
// that rule may lack: its cover letter prints the original.
func (o *Options) Validate(c *i18n.Catalog) error {
	if o.Layout == "" {
		o.Layout = pdf.LayoutList
	}
	if o.Paper == "" {
		o.Paper = pdf.A4
	}
	if o.MaxSheets == 0 {
		o.MaxSheets = pdf.DefaultMaxSheets
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	switch {
	case o.Layout != pdf.LayoutList && o.Layout != pdf.LayoutPostcards:
		return fmt.Errorf("%w: layout %q is not list or postcards", ErrInvalid, o.Layout)
	case o.Paper != pdf.A4 && o.Paper != pdf.Letter:
		return fmt.Errorf("%w: paper %q is not A4 or letter", ErrInvalid, o.Paper)
	case o.MaxSheets < 1 || o.MaxSheets > pdf.MaxMaxSheets:
		return fmt.Errorf("%w: sheets per letter must be 1 to %d", ErrInvalid, pdf.MaxMaxSheets)
	}
	var codes []string
	for _, t := range c.Languages() {
		if t.String() == o.Lang {
			return nil
		}
		codes = append(codes, t.String())
	}
	return fmt.Errorf("%w: language %q is not one of %s", ErrInvalid, o.Lang, strings.Join(codes, ", "))
}

// Builder reads a campaign's data and renders its bundle.
type Builder struct {
	campaigns *campaign.Service
	greetings *letters.Store
	messages  *i18n.Catalog
	countries *country.Catalog
}

// NewBuilder returns a builder over the stores. Bundles print their fixed
// texts and country names in any language of the message catalog.
func NewBuilder(campaigns *campaign.Service, greetings *letters.Store, messages *i18n.Catalog) *Builder {
	return &Builder{campaigns: campaigns, greetings: greetings, messages: messages,
		countries: country.NewCatalog(messages.Languages()...)}
}

// Summary is what a bundle of a campaign will contain.
type Summary struct {
	Signatures   int64 // named rows, printed one per line
	OnPaper      int64
	Countries    int64
	Greetings    int64 // approved greetings that will be printed
	Translations int64 // of those, printed in their approved translation
	// Untranslated are approved greetings in a language the prison does
	// not let through and without an approved translation: left out.
	Untranslated int64
}

// Scope is which of a campaign's data a bundle holds: the signatures
// signed at or before Cutoff that have not been erased, the greetings that
// came with them, and the paper counts as they stood at Cutoff. A bundle
// therefore holds a signature if and only if its Cutoff is not before the
// signature's signed_at, which is how an erasure finds the bundles to
// rebuild without storing who is in them; built again with the same scope,
// a bundle is the same bundle minus what was erased since.
type Scope struct {
	Cutoff time.Time `bson:"cutoff,omitempty"`
	// Tallies are the paper counts at Cutoff, which no erasure changes.
	Tallies []Tally `bson:"tallies"`
}

// Tally is one country's paper count in a bundle's scope.
type Tally struct {
	Country string `bson:"country"`
	Count   int64  `bson:"count"`
}

// Contains reports whether a bundle of this scope holds a signature
// signed at signedAt. A scope without a cut-off (a job from before
// cut-offs existed) may hold any signature.
func (s Scope) Contains(signedAt time.Time) bool {
	return s.Cutoff.IsZero() || !signedAt.After(s.Cutoff)
}

// ScopeAt is the scope of a bundle of the campaign asked for at t: the
// cut-off is t (to the millisecond the database keeps) and the paper counts
// are the current ones.
func (b *Builder) ScopeAt(ctx context.Context, campaignID string, t time.Time) (Scope, error) {
	tallies, err := b.campaigns.PaperTallies(ctx, campaignID)
	if err != nil {
		return Scope{}, err
	}
	s := Scope{Cutoff: t.UTC().Truncate(time.Millisecond), Tallies: []Tally{}}
	for _, t := range tallies {
		s.Tallies = append(s.Tallies, Tally{Country: t.Country, Count: t.Count})
	}
	return s, nil
}

// row is one signature as the bundle needs it.
type row struct {
	id      string
	to      string // a drive card's recipient
	at      time.Time
	name    string
	city    string
	country string
	display campaign.NameDisplay
	// held are the fields that wait for (or were refused) a moderator's
	// approval: a held name prints as "a supporter from <country>", a held
	// city not at all.
	held campaign.Held
}

// printedCity is the city as the letter prints it: none while it is held.
func (r row) printedCity() string {
	if r.held.City {
		return ""
	}
	return r.city
}

// data is everything a bundle prints, read once.
type data struct {
	rows         []row
	greetings    []letters.Greeting
	untranslated int
	tallies      []Tally
	countries    map[string]bool
}

// read reads what a bundle of scope holds. Greetings go with their
// signature: one whose signature is out of scope or erased is left out.
func (b *Builder) read(ctx context.Context, c *campaign.Campaign, scope Scope, recipient string) (*data, error) {
	d := &data{countries: map[string]bool{}, tallies: scope.Tallies}
	if c.IsDrive() {
		// The paper counts are the drive's, not one recipient's.
		d.tallies = nil
	}
	in, err := b.readRows(ctx, c, scope, recipient, d)
	if err != nil {
		return nil, err
	}
	err = b.eachPrintedGreeting(ctx, c, in, func(g *letters.Greeting) error {
		d.greetings = append(d.greetings, *g)
		return nil
	}, func() { d.untranslated++ })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(d.greetings, func(a, b letters.Greeting) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	if c.IsDrive() {
		keepCards(d)
	}
	for _, t := range d.tallies {
		d.countries[t.Country] = true
	}
	return d, nil
}

// sortRows puts rows in the order the letter numbers them: by signing
// time, then ID. Numbered relies on it to find a printed number's
// signature.
func sortRows(rows []row) {
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.id, b.id)) })
}

// readSignatures adds to d the rows of the campaign's signatures in
// scope, and returns the set of their IDs and how many have a held
// field. It is the one place the bundle chooses which signatures it
// prints.
func (b *Builder) readSignatures(ctx context.Context, c *campaign.Campaign, scope Scope, recipient string, d *data) (map[string]bool, int, error) {
	in := map[string]bool{}
	held := 0
	// The rows are small; holding them lets the bundle print in signing
	// order without asking the embedded database to sort the collection.
	err := b.campaigns.Store().EachSignature(ctx, c.ID, func(s *campaign.Signature) error {
		if !scope.Contains(s.SignedAt) || (c.IsDrive() && recipient != "" && s.RecipientID != recipient) {
			return nil
		}
		in[s.ID] = true
		r := row{id: s.ID, to: s.RecipientID, at: s.SignedAt, name: s.Person.Name, city: s.Person.City,
			country: s.Person.Country, display: s.Person.Display}
		if s.Held != nil {
			r.held = *s.Held
			held++
		}
		d.rows = append(d.rows, r)
		d.countries[s.Person.Country] = true
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return in, held, nil
}

// Summarize counts what a bundle of c asked for now would hold.
func (b *Builder) Summarize(ctx context.Context, c *campaign.Campaign) (Summary, error) {
	scope, err := b.ScopeAt(ctx, c.ID, b.campaigns.Now())
	if err != nil {
		return Summary{}, err
	}
	d, err := b.read(ctx, c, scope, "")
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Signatures: int64(len(d.rows)), Countries: int64(len(d.countries)), Greetings: int64(len(d.greetings)), Untranslated: int64(d.untranslated)}
	for _, t := range d.tallies {
		s.OnPaper += t.Count
	}
	for _, g := range d.greetings {
		if g.Translation.Approved() {
			s.Translations++
		}
	}
	return s, nil
}

// Build renders the bundle of c with what scope holds into w (a ZIP
// archive, see pdf.Render). The same data, options and scope give the same
// bytes: the printed date is the closing time of a campaign closed at the
// cut-off, else the cut-off, so a bundle rebuilt after an erasure keeps its
// date.
func (b *Builder) Build(ctx context.Context, c *campaign.Campaign, opts Options, scope Scope, w io.Writer, progress func(pdf.Progress)) (pdf.Manifest, error) {
	m, _, err := b.build(ctx, c, opts, scope, w, progress)
	return m, err
}

// build is Build that also returns the printed signatures' IDs by number:
// ids[n-1] is the one printed as number n.
func (b *Builder) build(ctx context.Context, c *campaign.Campaign, opts Options, scope Scope, w io.Writer, progress func(pdf.Progress)) (_ pdf.Manifest, ids []string, _ error) {
	if err := opts.Validate(b.messages); err != nil {
		return pdf.Manifest{}, nil, err
	}
	if scope.Cutoff.IsZero() {
		return pdf.Manifest{}, nil, fmt.Errorf("%w: no cut-off", ErrInvalid)
	}
	to := c.RecipientID
	if c.IsDrive() {
		if !c.WritesTo(opts.Recipient) {
			return pdf.Manifest{}, nil, fmt.Errorf("%w: drive %s does not write to %q", ErrInvalid, c.Slug, opts.Recipient)
		}
		to = opts.Recipient
	}
	d, err := b.read(ctx, c, scope, to)
	if err != nil {
		return pdf.Manifest{}, nil, err
	}
	r, err := b.campaigns.Recipient(ctx, to)
	if err != nil {
		return pdf.Manifest{}, nil, fmt.Errorf("bundle %s: %w", c.Slug, err)
	}
	m, err := b.render(ctx, c, opts, scope, r, d, w, progress)
	if err != nil {
		return m, nil, err
	}
	ids = make([]string, len(d.rows))
	for i := range d.rows {
		ids[i] = d.rows[i].id
	}
	return m, ids, nil
}

// keepCards leaves in d, a drive's data, only the cards: the rows whose
// greeting prints. A card without an approved greeting is not sent.
func keepCards(d *data) {
	printed := make(map[string]bool, len(d.greetings))
	for _, g := range d.greetings {
		printed[g.ID] = true
	}
	d.rows = slices.DeleteFunc(d.rows, func(r row) bool { return !printed[r.id] })
	clear(d.countries)
	for _, r := range d.rows {
		d.countries[r.country] = true
	}
}

// render prints d, read for scope, as the bundle of c to r into w.
func (b *Builder) render(ctx context.Context, c *campaign.Campaign, opts Options, scope Scope, r *campaign.Recipient, d *data, w io.Writer, progress func(pdf.Progress)) (pdf.Manifest, error) {
	lang := language.Make(opts.Lang)
	// The cover letter in the bundle's language, or, for a job asked for
	// before campaigns had translations, the original.
	text, _ := c.TextIn(opts.Lang)
	fixed := texts(b.messages.Localizer(lang))
	countryName := func(code string) string { return b.countries.Name(lang, code) }
	date := scope.Cutoff
	if c.Status(scope.Cutoff) == campaign.StatusClosed {
		date = c.ClosesAt
	}
	byID := make(map[string]int, len(d.rows))
	for i, r := range d.rows {
		byID[r.id] = i
	}
	printed := func(r row) string { return printedName(&fixed, r, countryName) }
	total := len(d.rows)
	for _, t := range d.tallies {
		total += int(t.Count)
	}
	// A recipient transferred since the campaign opened gets the letter at
	// the address valid on the day the bundle was asked for.
	built := scope.Cutoff.In(c.Location()).Format(time.DateOnly)
	sender := c.ReturnAddress
	if len(sender) == 0 {
		sender = []string{c.OrganizerName}
	}
	bundle := pdf.Bundle{
		Title:          text.Title,
		Letter:         text.Letter,
		Organizer:      c.OrganizerName,
		Date:           date.In(c.Location()),
		Recipient:      pdf.Address{Name: r.Name, Lines: r.AddressOn(built), Country: countryName(r.Country)},
		Sender:         sender,
		SignatureCount: total,
		CountryCount:   len(d.countries),
		Texts:          fixed,
		Lang:           opts.Lang,
		Paper:          opts.Paper,
		Layout:         opts.Layout,
		MaxSheets:      opts.MaxSheets,
		SignatureRows:  len(d.rows),
		Signatures: func(yield func(pdf.Signer, error) bool) {
			for i, r := range d.rows {
				if !yield(pdf.Signer{Number: i + 1, Name: printed(r), City: r.printedCity(), Country: countryName(r.country)}, nil) {
					return
				}
			}
		},
		Greetings: greetingSeq(d, r, byID, printed, countryName),
		Progress:  progress,
	}
	m, err := pdf.Render(ctx, bundle, w)
	if err != nil {
		return m, fmt.Errorf("bundle %s: %w", c.Slug, err)
	}
	return m, nil
}

// greetingSeq yields the approved greetings, in their approved translation
// where there is one, signed as their signature is printed. A translated
// greeting's original prints beside it only when the rules let its
// language through too: the censor holds back a letter it cannot read.
func greetingSeq(d *data, rules *campaign.Recipient, byID map[string]int, printed func(row) string, countryName func(string) string) iter.Seq2[pdf.Greeting, error] {
	return func(yield func(pdf.Greeting, error) bool) {
		for _, g := range d.greetings {
			i, ok := byID[g.ID]
			if !ok {
				continue // its signature was erased, or is out of scope
			}
			r := d.rows[i]
			pg := pdf.Greeting{Text: g.Text, Name: printed(r), City: r.printedCity(), Country: countryName(r.country)}
			if g.Translation.Approved() {
				pg.Text = g.Translation.Text
				if g.Language != "" && rules.AllowsLanguage(g.Language) {
					pg.Original = g.Text
				}
			}
			if !yield(pg, nil) {
				return
			}
		}
	}
}
