package web

import (
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// What every console form shares: the state of its fields and the
// wording of its problems, and reading the dates and times it was sent.

// localTime reads a date (YYYY-MM-DD) and an optional time (HH:MM, or
// HH:MM:SS as some browsers send it) in loc.
func localTime(date, clock string, loc *time.Location) (time.Time, bool) {
	switch len(clock) {
	case 0:
		clock = "00:00:00"
	case 5:
		clock += ":00"
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", date+" "+clock, loc)
	return t.UTC(), err == nil
}

// sameMinute keeps the stored instant when the form shows it unchanged: the
// form has no seconds.
func sameMinute(stored, typed time.Time) time.Time {
	if !stored.IsZero() && stored.Truncate(time.Minute).Equal(typed) {
		return stored
	}
	return typed
}

// FieldState is what a form field's markup needs: its hint and error, and
// the IDs that tie them to the field.
type FieldState struct {
	Name, Hint, Error, ErrorPrefix string
}

// DescribedBy lists the IDs of the field's hint and error.
func (f FieldState) DescribedBy() string { return describedBy(f.Name, f.Hint, f.Error) }

// describedBy is a field's aria-describedby: the IDs of its hint and of its
// error, where it has them (h-name, e-name), for the public and the
// console forms alike.
func describedBy(name, hint, err string) string {
	var ids []string
	if hint != "" {
		ids = append(ids, "h-"+name)
	}
	if err != "" {
		ids = append(ids, "e-"+name)
	}
	return strings.Join(ids, " ")
}

// FormState is the state a console form shares across its fields.
type FormState struct {
	Errors   map[string]string
	Hints    map[string]string
	Problems []FieldProblem // in form order, for the summary
	prefix   string
}

// Field returns the state of the named field.
func (f FormState) Field(name string) FieldState {
	return FieldState{Name: name, Hint: f.Hints[name], Error: f.Errors[name], ErrorPrefix: f.prefix}
}

// formState words the problems found in a console form. anchor maps a
// field to the ID of the input the summary links to, when it is not
// f-<field>.
func (s *Server) formState(t *i18n.Localizer, probs []campaign.FieldError, hints map[string]string, anchor func(string) string) FormState {
	st := FormState{Errors: map[string]string{}, Hints: hints, prefix: t.T("form.error_prefix")}
	for _, p := range probs {
		if _, dup := st.Errors[p.Field]; dup {
			continue
		}
		msg := s.consoleProblem(t, p)
		st.Errors[p.Field] = msg
		id := p.Field
		if anchor != nil {
			id = anchor(p.Field)
		}
		st.Problems = append(st.Problems, FieldProblem{Field: id, Message: msg})
	}
	return st
}

// consoleProblem words a console form's problem: a message for the field
// and problem, else for the problem, else the sign form's.
func (s *Server) consoleProblem(t *i18n.Localizer, p campaign.FieldError) string {
	for _, id := range []string{"admin.error." + p.Field + "." + string(p.Problem), "admin.error." + string(p.Problem)} {
		if s.deps.Messages.Has(id) {
			return limitMessage(t, id, p)
		}
	}
	return s.problemMessage(t, p)
}
