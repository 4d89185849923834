package archive

import (
	"encoding/csv"
	"io"

	"github.com/solidarity-letters/solidarity/campaign"
)

// csvWriter writes the archive's CSV files. Whoever the archive is
// handed to opens them in a spreadsheet, and their cells hold what
// supporters signed with and organizers typed: a cell that a spreadsheet
// would read as a formula is written as text (campaign.Neutralise), as the
// signatures' export does.
type csvWriter struct{ *csv.Writer }

func newCSV(w io.Writer) csvWriter { return csvWriter{csv.NewWriter(w)} }

// Write writes one record, each cell neutralised.
func (w csvWriter) Write(record []string) error {
	out := make([]string, len(record))
	for i, cell := range record {
		out[i] = campaign.Neutralise(cell)
	}
	return w.Writer.Write(out)
}
