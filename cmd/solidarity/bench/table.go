package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// row is one line of the table.
type row struct {
	path, measured, ratio, goal string
	met                         string // "met", "not met", or "-" for a reference
	err                         error  // the measure failed, or some of its requests did
}

// verdict words whether a goal was met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// printTable writes the rows as one aligned table; a measure that failed
// is not met and says why.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tmeasured\tratio\tgoal\tresult")
	for _, r := range rows {
		met := r.met
		if met == "" {
			met = "-"
		}
		if r.measured == "" {
			r.measured = "failed"
			met = "not met"
		}
		if r.err != nil {
			met += " (" + oneLine(r.err.Error()) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.path, r.measured, r.ratio, r.goal, met)
	}
	tw.Flush()
}

// oneLine shortens an error for the table.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
