package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/country"
)

// SourcePaper is a signature collected on paper, at a street action or a
// meeting, and typed in or counted by an organizer.
const SourcePaper Source = "paper"

// Limits on what organizers enter from paper.
const (
	// MaxPaperRows is how many paper signatures one request may add.
	MaxPaperRows = 200
	// MaxTally bounds one change of a country's paper count.
	MaxTally = 1_000_000
)

// ProblemBelowZero is a change of a paper count that would take it below
// zero.
const ProblemBelowZero Problem = "below_zero"

// ErrNothingToAdd is returned when every paper row is blank.
var ErrNothingToAdd = errors.New("no paper signatures to add")

// PaperRow is one signature typed in from a paper list. There is no email
// address, so it cannot be told apart from a web signature of the same
// person: organizers type in only lists that were not also signed online.
//
// A row from a printed blank sheet (pdf.RenderSheet) also names its Sheet
// and Line, as typed: the sheet's number, and the number printed at the
// start of the line or the line's place on the sheet (1 to SheetLines).
// Such a row is stored under an ID made of the campaign, the sheet and the
// line, so the same line typed in twice is refused as a duplicate
// (ProblemDuplicate) by a read by _id, never a search.
type PaperRow struct {
	Name, City, Country string
	Sheet, Line         string
	// HideName is set when the signer left the sheet's "may print my name"
	// box empty: the letter then prints "a supporter from …".
	HideName bool
}

// Numbering of the printed blank sheets; pdf.SheetLines and
// pdf.MaxSheetNumber are the same numbers.
const (
	SheetLines     = 20
	MaxSheetNumber = 9999
)

// ProblemDuplicate is a paper row whose sheet and line were typed in
// before, or twice in one list.
const ProblemDuplicate Problem = "duplicate"

// PaperError lists the problems of typed-in rows by their index in the
// input; when there is one, no row is stored.
type PaperError struct {
	Rows map[int][]FieldError
	// Added is how many of the other rows were stored all the same: only
	// when another organizer typed in the same sheet's lines at the very
	// same moment, which the check before storing cannot see. It is zero
	// otherwise.
	Added int
}

func (e *PaperError) Error() string {
	return fmt.Sprintf("invalid paper signatures in %d rows", len(e.Rows))
}

// AddPaperRows stores signatures typed in from paper lists, marked as
// paper, and adds them to the campaign's count. Rows whose name and city
// are both blank are skipped; if every row is, the error is
// ErrNothingToAdd. If any other row is invalid, or names a sheet and line
// typed in before or twice, the error is a *PaperError and nothing is
// stored. It returns how many signatures were added.
func (s *Service) AddPaperRows(ctx context.Context, c *Campaign, rows []PaperRow) (int, error) {
	if len(rows) > MaxPaperRows {
		return 0, fmt.Errorf("add paper signatures: %d rows, at most %d at a time", len(rows), MaxPaperRows)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	perr := &PaperError{Rows: map[int][]FieldError{}}
	var sigs []Signature
	var rowOf []int           // the input row of each of sigs
	lines := map[string]int{} // sheet line ID → first row typed with it
	for i, r := range rows {
		if strings.TrimSpace(r.Name) == "" && strings.TrimSpace(r.City) == "" {
			continue
		}
		f, problems, err := s.forms.paperRow(r)
		if err != nil {
			return 0, err
		}
		lineID, lineProblems := sheetLineID(c.ID, r.Sheet, r.Line)
		problems = append(problems, lineProblems...)
		if lineID != "" {
			if _, twice := lines[lineID]; twice {
				problems = append(problems, FieldError{Field: "line", Problem: ProblemDuplicate})
			} else {
				lines[lineID] = i
			}
		}
		if len(problems) > 0 {
			perr.Rows[i] = problems
			continue
		}
		id := lineID
		if id == "" {
			if id, err = paperID(); err != nil {
				return 0, err
			}
		}
		display := NameFull
		if r.HideName {
			display = NameCountry
		}
		sigs = append(sigs, Signature{
			ID: id, CampaignID: c.ID, SignedAt: now, Source: SourcePaper,
			Person: Person{Name: f.Name, City: f.City, Country: f.Country, Display: display},
		})
		rowOf = append(rowOf, i)
	}
	// Lines typed in before: one read by _id each, so that a list with one
	// such line stores nothing and can be corrected as typed.
	for j := range sigs {
		if _, typed := lines[sigs[j].ID]; !typed {
			continue
		}
		_, err := s.store.Signature(ctx, sigs[j].ID)
		switch {
		case err == nil:
			perr.Rows[rowOf[j]] = append(perr.Rows[rowOf[j]], FieldError{Field: "line", Problem: ProblemDuplicate})
		case !errors.Is(err, ErrNotFound):
			return 0, fmt.Errorf("add paper signatures to %s: %w", c.Slug, err)
		}
	}
	if len(perr.Rows) > 0 {
		return 0, perr
	}
	if len(sigs) == 0 {
		return 0, ErrNothingToAdd
	}
	errs, n, err := s.store.insertNew(ctx, sigs)
	var stored []Signature
	for j := range errs {
		switch {
		case errs[j] == nil:
			stored = append(stored, sigs[j])
		case errors.Is(errs[j], ErrDuplicate):
			// Typed in at the same moment by someone else.
			perr.Rows[rowOf[j]] = []FieldError{{Field: "line", Problem: ProblemDuplicate}}
		}
	}
	s.addSignatures(ctx, c.ID, stored, len(stored))
	s.indexStored(sigs, errs)
	if err != nil {
		return n, fmt.Errorf("add paper signatures to %s: %w", c.Slug, err)
	}
	if len(perr.Rows) > 0 {
		perr.Added = n
		return n, perr
	}
	return n, nil
}

// sheetLineID returns the ID of the signature typed from a line of a
// printed sheet, "p-" campaign "-s" sheet "-l" line on the sheet, or ""
// when the row names neither sheet nor line. line is the number printed on
// the line or its place on the sheet; only sheet 1 has numbers that are
// both, and they agree.
func sheetLineID(campaignID, sheet, line string) (string, []FieldError) {
	sheet, line = strings.TrimSpace(sheet), strings.TrimSpace(line)
	if sheet == "" && line == "" {
		return "", nil
	}
	var problems []FieldError
	k, err := strconv.Atoi(sheet)
	switch {
	case sheet == "":
		problems = append(problems, FieldError{Field: "sheet", Problem: ProblemRequired})
	case err != nil || k < 1 || k > MaxSheetNumber:
		problems = append(problems, FieldError{Field: "sheet", Problem: ProblemNumber, Limit: MaxSheetNumber})
	}
	n, err := strconv.Atoi(line)
	switch {
	case line == "":
		problems = append(problems, FieldError{Field: "line", Problem: ProblemRequired})
	case err != nil:
		problems = append(problems, FieldError{Field: "line", Problem: ProblemNumber, Limit: SheetLines})
	case len(problems) == 0:
		first := (k-1)*SheetLines + 1
		switch {
		case n >= 1 && n <= SheetLines:
		case n >= first && n < first+SheetLines:
			n -= first - 1
		default:
			problems = append(problems, FieldError{Field: "line", Problem: ProblemNumber, Limit: SheetLines})
		}
	}
	if len(problems) > 0 {
		return "", problems
	}
	return fmt.Sprintf("p-%s-s%d-l%d", campaignID, k, n), nil
}

// paperID is a random signature ID: paper signatures have no email address
// to derive one from.
func paperID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("paper signature id: %w", err)
	}
	return "p-" + hex.EncodeToString(b), nil
}

// PaperTally is how many signatures from one country a campaign collected
// on paper without typing them in.
type PaperTally struct {
	ID         string    `bson:"_id"` // campaign ID, "/", country code
	CampaignID string    `bson:"campaign_id"`
	Country    string    `bson:"country"`
	Count      int64     `bson:"count"`
	UpdatedAt  time.Time `bson:"updated_at"`
}

// PaperTallyInput is a change of a country's paper count as the organizer
// typed it: the country code and a whole number, negative to correct an
// earlier entry.
type PaperTallyInput struct {
	Country, Count string
}

// AddPaperTally adds to the campaign's paper count for one country and to
// its total. Invalid input, or a change that would take the country's
// count below zero, is a *ValidationError naming the fields country and
// count. It returns the country's new count.
func (s *Service) AddPaperTally(ctx context.Context, c *Campaign, in PaperTallyInput) (int64, error) {
	code := strings.ToUpper(strings.TrimSpace(in.Country))
	var problems []FieldError
	switch {
	case code == "":
		problems = append(problems, FieldError{Field: "country", Problem: ProblemRequired})
	case !country.Valid(code):
		problems = append(problems, FieldError{Field: "country", Problem: ProblemCountry})
	}
	raw := strings.TrimPrefix(strings.TrimSpace(in.Count), "+")
	n, err := strconv.ParseInt(raw, 10, 64)
	switch {
	case raw == "":
		problems = append(problems, FieldError{Field: "count", Problem: ProblemRequired})
	case err != nil, n == 0, n > MaxTally, n < -MaxTally:
		problems = append(problems, FieldError{Field: "count", Problem: ProblemNumber, Limit: MaxTally})
	}
	if len(problems) > 0 {
		return 0, &ValidationError{Fields: problems}
	}
	t, err := s.store.addTally(ctx, c.ID, code, n, s.now().UTC())
	if errors.Is(err, errBelowZero) {
		return 0, &ValidationError{Fields: []FieldError{{Field: "count", Problem: ProblemBelowZero}}}
	}
	if err != nil {
		return 0, fmt.Errorf("add paper count to %s: %w", c.Slug, err)
	}
	s.addPaper(ctx, c.ID, code, n)
	return t, nil
}

// PaperTallies returns the campaign's paper counts that are not zero, by
// country code.
func (s *Service) PaperTallies(ctx context.Context, campaignID string) ([]PaperTally, error) {
	all, err := s.store.paperTallies(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(t PaperTally) bool { return t.Count == 0 })
	slices.SortFunc(out, func(a, b PaperTally) int { return strings.Compare(a.Country, b.Country) })
	return out, nil
}
