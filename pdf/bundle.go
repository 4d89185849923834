package pdf

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
)

// Errors Render returns; callers branch on them with errors.Is.
var (
	// ErrInvalid wraps a problem with the Bundle's settings.
	ErrInvalid = errors.New("invalid bundle")
	// ErrRowCount is returned when Signatures yields more or fewer rows
	// than SignatureRows says. Pages are laid out from that count before
	// the rows are read, so a count that is off would misnumber envelopes.
	ErrRowCount = errors.New("signature rows differ from SignatureRows")
	// ErrChanged is returned when the second range over Greetings yields
	// different greetings from the first, so the layout no longer fits.
	ErrChanged = errors.New("greetings changed while the bundle was built")
)

// Paper is the size of the sheets a bundle is printed on.
type Paper string

const (
	// A4 is 210 × 297 mm (595.28 × 841.89 pt), the default.
	A4 Paper = "A4"
	// Letter is US Letter, 8.5 × 11 in (612 × 792 pt).
	Letter Paper = "letter"
)

// Layout is how greetings are printed; signatures are always numbered rows.
type Layout string

const (
	// LayoutList prints greetings as cards flowing down full pages; the
	// default.
	LayoutList Layout = "list"
	// LayoutPostcards prints each greeting on a postcard, four to a sheet
	// with cut lines: A6 cards on A4, quarter-letter cards on Letter.
	LayoutPostcards Layout = "postcards"
)

// Limits on settings.
const (
	// DefaultMaxSheets is the number of sheets per envelope when
	// Bundle.MaxSheets is zero.
	DefaultMaxSheets = 10
	// MaxMaxSheets bounds Bundle.MaxSheets. Each envelope is built in memory
	// as one document, so this also bounds Render's memory.
	MaxMaxSheets = 200
)

// Bundle is everything printed for one campaign's delivery. Text fields are
// printed as given after cleaning: invisible and control characters are
// dropped, characters the fonts lack are replaced (see Printable), and
// whatever looks like an email address prints as "[…]". No email address
// belongs in a bundle, and the types have no field for one.
type Bundle struct {
	// Title is the campaign's title, printed in the header of every page.
	Title string
	// Letter is the cover letter addressed to the recipient: paragraphs
	// separated by blank lines; a single newline breaks a line.
	Letter string
	// Organizer is the name that signs the cover letter.
	Organizer string
	// Date is printed on the cover letter, as a day in its own location,
	// and becomes the date of every file, so the same input always gives
	// the same bytes. Required.
	Date time.Time
	// Recipient is who the bundle goes to; printed on the cover letter and
	// on the envelopes.
	Recipient Address
	// Sender is the return address printed on the envelopes, one line per
	// element.
	Sender []string
	// SignatureCount and CountryCount are the totals on the cover ("signed
	// by 12,384 people from 47 countries"). SignatureCount may exceed
	// SignatureRows when it includes signatures collected on paper without
	// names; zero means SignatureRows. A zero CountryCount leaves the
	// countries out.
	SignatureCount, CountryCount int
	// Texts are the fixed texts, already in the bundle's language; country
	// names in Signer, Greeting and Recipient should be in it too.
	Texts Texts
	// Lang is the BCP 47 tag of that language ("be"), written into each PDF
	// as its language; zero means "en".
	Lang string
	// Paper is the sheet size; zero means A4.
	Paper Paper
	// Layout is how greetings are printed; zero means LayoutList.
	Layout Layout
	// MaxSheets is the most sheets in one envelope, counting
	// one page per sheet as printed single-sided; zero means
	// DefaultMaxSheets. Envelope pages are not counted.
	MaxSheets int

	// Signatures yields the signature rows in print order (by signing
	// time). Render ranges over it once, while printing, and stops at the
	// first error it yields. Nil means no rows.
	Signatures iter.Seq2[Signer, error]
	// SignatureRows is exactly how many rows Signatures yields. Pages are
	// numbered "page 2 of 10" before any row is read, so the count must be
	// known first; a count is cheaper than a second pass over the rows in
	// every database. Render fails with ErrRowCount if it is wrong, which
	// a caller avoids by reading with the same filter it counted with.
	SignatureRows int
	// Greetings yields the approved greetings in print order. Render ranges
	// over it twice: once to measure each card, once to print it. Each range
	// must yield the same greetings in the same order: open a new cursor
	// each time the sequence is ranged over, with a filter that excludes
	// greetings approved after the bundle was started. Render fails with
	// ErrChanged if the second range differs. Nil means none.
	//
	// Render may range over Signatures and Greetings from a goroutine of
	// its own, never over both at once from two goroutines.
	Greetings iter.Seq2[Greeting, error]

	// Progress, if set, is called after each envelope is written, from the
	// goroutine that called Render. It must return quickly.
	Progress func(Progress)
}

// Address is a postal address.
type Address struct {
	// Name is the person's name as the prison service knows it.
	Name string
	// Lines are the address lines between the name and the country.
	Lines []string
	// Country is the country's name, printed last, in capitals on the
	// envelope.
	Country string
}

// Signer is one row of the signature list.
type Signer struct {
	// Number is printed at the start of the row. Consecutive numbers make a
	// lost page noticeable. Zero means the row's position, from 1.
	Number int
	// Name is the name as the supporter chose it to be printed (see
	// Texts.PrintedName). A name that cannot be printed (see Printable) is
	// replaced with "a supporter from <Country>".
	Name string
	// City may be empty.
	City string
	// Country is the country's name in the bundle's language.
	Country string
}

// Greeting is one approved greeting, printed as a card.
type Greeting struct {
	// Text is the approved translation where there is one, else the text
	// as written.
	Text string
	// Original, if set and different from Text, is printed below it in
	// smaller type, so the recipient also reads the supporter's own words.
	Original string
	// Name, City and Country attribute the greeting as for Signer.
	Name, City, Country string
}

// Progress reports how far Render has come.
type Progress struct {
	// Envelopes and Pages are how many envelopes and pages are written.
	Envelopes, Pages int
	// TotalEnvelopes and TotalPages are how many there will be.
	TotalEnvelopes, TotalPages int
}

// Manifest describes what Render wrote. It is also written into the
// archive as manifest.csv (see Manifest.WriteCSV).
type Manifest struct {
	// Envelopes lists each envelope in order.
	Envelopes []Envelope
	// Files lists every file in the archive in order with its SHA-256,
	// except manifest.csv itself.
	Files []File
	// Pages is the number of pages in all envelopes, envelope pages not
	// counted.
	Pages int
	// Signatures and Greetings are how many rows and greetings were
	// printed.
	Signatures, Greetings int
	// SHA256 is the hex SHA-256 of the whole archive as written, and Size
	// its length in bytes.
	SHA256 string
	Size   int64
}

// Envelope is one envelope of a bundle: the pages posted together, drawn
// as one PDF. Its printed pages and file name call it a letter ("Letter 3
// of 12", letter-03.pdf), as the recipient reads it.
type Envelope struct {
	// Number counts envelopes from 1.
	Number int
	// File is the envelope's PDF in the archive.
	File string
	// Pages is the number of pages (sheets printed single-sided).
	Pages int
	// FirstSignature and LastSignature are the numbers of the first and
	// last rows in the envelope; both zero when it has none.
	FirstSignature, LastSignature int
	// Greetings is the number of greetings that start in the envelope.
	Greetings int
}

// File is one file in the archive.
type File struct {
	Name   string
	Size   int64
	SHA256 string // hex
}

// withDefaults fills zero settings and checks the rest.
func (b Bundle) withDefaults() (Bundle, error) {
	if b.Lang == "" {
		b.Lang = "en"
	}
	if !langTag(b.Lang) {
		return b, fmt.Errorf("%w: language %q is no BCP 47 tag", ErrInvalid, b.Lang)
	}
	if err := b.Texts.check(); err != nil {
		return b, err
	}
	switch b.Paper {
	case "":
		b.Paper = A4
	case A4, Letter:
	default:
		return b, fmt.Errorf("%w: unknown paper %q", ErrInvalid, b.Paper)
	}
	switch b.Layout {
	case "":
		b.Layout = LayoutList
	case LayoutList, LayoutPostcards:
	default:
		return b, fmt.Errorf("%w: unknown layout %q", ErrInvalid, b.Layout)
	}
	switch {
	case b.MaxSheets == 0:
		b.MaxSheets = DefaultMaxSheets
	case b.MaxSheets < 1 || b.MaxSheets > MaxMaxSheets:
		return b, fmt.Errorf("%w: max sheets %d not in 1…%d", ErrInvalid, b.MaxSheets, MaxMaxSheets)
	}
	if b.Date.IsZero() {
		return b, fmt.Errorf("%w: no date", ErrInvalid)
	}
	if b.SignatureRows < 0 {
		return b, fmt.Errorf("%w: negative signature rows", ErrInvalid)
	}
	if b.SignatureRows > 0 && b.Signatures == nil {
		return b, fmt.Errorf("%w: %d signature rows but no Signatures", ErrInvalid, b.SignatureRows)
	}
	if b.SignatureCount == 0 {
		b.SignatureCount = b.SignatureRows
	}
	return b, nil
}

// langTag reports whether s has the shape of a BCP 47 tag: subtags of one
// to eight letters and digits joined by hyphens, the first of letters.
func langTag(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for _, c := range sub {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
