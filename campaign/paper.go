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
type PaperRow struct {
	Name, City, Country string
}

// PaperError lists the problems of typed-in rows by their index in the
// input; when there is one, no row is stored.
type PaperError struct {
	Rows map[int][]FieldError
}

func (e *PaperError) Error() string {
	return fmt.Sprintf("invalid paper signatures in %d rows", len(e.Rows))
}

// AddPaperRows stores signatures typed in from paper lists, marked as
// paper, and adds them to the campaign's count. Rows whose name and city
// are both blank are skipped; if every row is, the error is
// ErrNothingToAdd. If any other row is invalid the error is a *PaperError
// and nothing is stored. It returns how many signatures were added.
func (s *Service) AddPaperRows(ctx context.Context, c *Campaign, rows []PaperRow) (int, error) {
	if len(rows) > MaxPaperRows {
		return 0, fmt.Errorf("add paper signatures: %d rows, at most %d at a time", len(rows), MaxPaperRows)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	perr := &PaperError{Rows: map[int][]FieldError{}}
	var sigs []Signature
	for i, r := range rows {
		if strings.TrimSpace(r.Name) == "" && strings.TrimSpace(r.City) == "" {
			continue
		}
		f, problems, err := s.forms.paperRow(r)
		if err != nil {
			return 0, err
		}
		if len(problems) > 0 {
			perr.Rows[i] = problems
			continue
		}
		id, err := paperID()
		if err != nil {
			return 0, err
		}
		sigs = append(sigs, Signature{
			ID: id, CampaignID: c.ID, SignedAt: now, Source: SourcePaper,
			Person: Person{Name: f.Name, City: f.City, Country: f.Country},
		})
	}
	if len(perr.Rows) > 0 {
		return 0, perr
	}
	if len(sigs) == 0 {
		return 0, ErrNothingToAdd
	}
	errs, n, err := s.store.insertNew(ctx, sigs)
	s.addSignatures(ctx, c.ID, sigs, n)
	s.indexStored(sigs, errs)
	if err != nil {
		return n, fmt.Errorf("add paper signatures to %s: %w", c.Slug, err)
	}
	return n, nil
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
