package campaign

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
)

// Situation is what changed in a recipient's life.
type Situation string

// The situations an organizer records.
const (
	// SituationTransferred: moved to another place of detention, with a
	// new address from that day.
	SituationTransferred   Situation = "transferred"
	SituationReleased      Situation = "released"
	SituationIncommunicado Situation = "incommunicado" // held without contact
	SituationDeceased      Situation = "deceased"
)

// Situations lists every situation, in form order.
var Situations = []Situation{SituationTransferred, SituationReleased, SituationIncommunicado, SituationDeceased}

// StatusNoteMax is the length limit of a status change's note.
const StatusNoteMax = 1000

// ProblemSituation is a status change of no known situation.
const ProblemSituation Problem = "situation"

// StatusChange is one change of a recipient's situation.
type StatusChange struct {
	ID        string    `bson:"id"`
	Situation Situation `bson:"situation"`
	// Day is the calendar day it happened, YYYY-MM-DD.
	Day string `bson:"day"`
	// Address is the postal address from Day on, for a transfer.
	Address []string `bson:"address,omitempty"`
	// Note is for the console only.
	Note       string    `bson:"note,omitempty"`
	RecordedBy string    `bson:"recorded_by"`
	RecordedAt time.Time `bson:"recorded_at"`
}

// Date is the change's day at noon UTC, for formatting; zero when Day is
// not a date.
func (ch *StatusChange) Date() time.Time {
	d, err := time.Parse(time.DateOnly, ch.Day)
	if err != nil {
		return time.Time{}
	}
	return d.Add(12 * time.Hour)
}

// Unreachable reports whether letters sent after the change would not
// reach the person in prison: they were released, are held incommunicado
// or died.
func (ch *StatusChange) Unreachable() bool {
	return ch.Situation == SituationReleased || ch.Situation == SituationIncommunicado || ch.Situation == SituationDeceased
}

// Problems lists what is wrong with a change as an organizer wrote it.
func (ch *StatusChange) Problems() []FieldError {
	var out []FieldError
	if !slices.Contains(Situations, ch.Situation) {
		out = append(out, FieldError{Field: "situation", Problem: ProblemSituation})
	}
	switch {
	case ch.Day == "":
		out = append(out, FieldError{Field: "day", Problem: ProblemRequired})
	case ch.Date().IsZero():
		out = append(out, FieldError{Field: "day", Problem: ProblemDate})
	}
	if ch.Situation == SituationTransferred && len(ch.Address) == 0 {
		out = append(out, FieldError{Field: "address", Problem: ProblemRequired})
	}
	if textnorm.Check(strings.Join(ch.Address, "\n")) != nil {
		out = append(out, FieldError{Field: "address", Problem: ProblemInvalid})
	}
	switch {
	case textnorm.Check(ch.Note) != nil:
		out = append(out, FieldError{Field: "note", Problem: ProblemInvalid})
	case utf8.RuneCountInString(ch.Note) > StatusNoteMax:
		out = append(out, FieldError{Field: "note", Problem: ProblemTooLong, Limit: StatusNoteMax})
	}
	return out
}

// byDay orders changes by day, then by when they were recorded.
func byDay(a, b StatusChange) int {
	return cmp.Or(strings.Compare(a.Day, b.Day), a.RecordedAt.Compare(b.RecordedAt), strings.Compare(a.ID, b.ID))
}

// StatusOn returns the latest change on or before day (YYYY-MM-DD), and
// false when there is none: the recipient is where they were.
func (r *Recipient) StatusOn(day string) (StatusChange, bool) {
	var out StatusChange
	found := false
	for _, ch := range r.Changes {
		if ch.Day <= day && (!found || byDay(out, ch) < 0) {
			out, found = ch, true
		}
	}
	return out, found
}

// AddressOn returns the postal address valid on day (YYYY-MM-DD): the one
// of the latest transfer on or before it, else Address.
func (r *Recipient) AddressOn(day string) []string {
	var latest *StatusChange
	for i, ch := range r.Changes {
		if ch.Situation == SituationTransferred && ch.Day <= day && (latest == nil || byDay(*latest, ch) < 0) {
			latest = &r.Changes[i]
		}
	}
	if latest == nil {
		return r.Address
	}
	return latest.Address
}

// AddRecipientChange records a change of the recipient's situation,
// recorded by by, and returns the recipient as stored. Problems are a
// *ValidationError; an unknown recipient is ErrNotFound.
func (s *Service) AddRecipientChange(ctx context.Context, id string, ch StatusChange, by string) (*Recipient, error) {
	ch.Note = strings.TrimSpace(ch.Note)
	if p := ch.Problems(); len(p) > 0 {
		return nil, fmt.Errorf("record recipient change: %w", &ValidationError{Fields: p})
	}
	if ch.Situation != SituationTransferred {
		ch.Address = nil
	}
	ch.ID, ch.RecordedBy, ch.RecordedAt = newID(), by, s.now().UTC().Truncate(time.Millisecond)
	r, err := s.store.pushRecipientChange(ctx, id, ch)
	if err != nil {
		return nil, err
	}
	s.remember(nil, r)
	return r, nil
}

// RemoveRecipientChange deletes a recorded change (one recorded by
// mistake) and returns it; an unknown recipient or change is ErrNotFound.
func (s *Service) RemoveRecipientChange(ctx context.Context, id, changeID string) (StatusChange, error) {
	r, err := s.store.pullRecipientChange(ctx, id, changeID)
	if err != nil {
		return StatusChange{}, err
	}
	i := slices.IndexFunc(r.Changes, func(ch StatusChange) bool { return ch.ID == changeID })
	if i < 0 {
		return StatusChange{}, fmt.Errorf("change %s of recipient %s: %w", changeID, id, ErrNotFound)
	}
	gone := r.Changes[i]
	r.Changes = slices.Delete(r.Changes, i, i+1)
	s.remember(nil, r)
	return gone, nil
}
