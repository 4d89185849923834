package web

import "github.com/solidarity-letters/solidarity/internal/i18n"

// ErrorSummary is what the error-summary partial
// (templates/partials/error_summary.html) shows above a form: the problems
// found, each a link to its field, under a heading; or one message. It
// shows nothing when it has neither.
type ErrorSummary struct {
	T        *i18n.Localizer
	Level    int    // of the heading: 2 on a page's form, 3 on a form in a section
	ID       string // the heading's ID, which names the summary
	Problems []FieldProblem
	Message  string
}

// problemSummary is the summary of a form's problems, for templates.
func problemSummary(t *i18n.Localizer, level int, id string, problems []FieldProblem) ErrorSummary {
	return ErrorSummary{T: t, Level: level, ID: id, Problems: problems}
}

// messageSummary is a summary that is one message, for templates.
func messageSummary(message string) ErrorSummary {
	return ErrorSummary{Message: message}
}
