package campaign

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// ExportColumns is the number of columns of a CSV export: signed at (UTC,
// RFC 3339), name, city, country code, source, has greeting, updates and
// email.
const ExportColumns = 8

// exportBatch is how many signatures the export writes before flushing:
// with the store's read batch, what bounds its memory.
const exportBatch = readBatch

// bom starts the file so that spreadsheets read it as UTF-8.
const bom = "\ufeff"

// ExportOptions say what a CSV export holds.
type ExportOptions struct {
	// Header names the ExportColumns columns, in the language of the
	// person exporting.
	Header []string
	// Emails includes the email addresses of supporters who asked for
	// updates and confirmed the address. Only organizers (and admins) may
	// export them; the addresses of everyone else are never stored, or
	// (stored before confirmation was asked) never used, so never
	// exported.
	Emails bool
}

// ExportCSV writes every signature of the campaign to w as CSV: UTF-8 with
// a byte order mark, a header row, then one row per signature in the order
// the database keeps them. Every cell that a spreadsheet would take for a
// formula is neutralised. It reads the signatures with a cursor and writes
// each batch as it goes, so its memory does not grow with the campaign.
// It returns how many signatures it wrote.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, campaignID string, opts ExportOptions) (int64, error) {
	if len(opts.Header) != ExportColumns {
		return 0, fmt.Errorf("export %s: %d column names, want %d", campaignID, len(opts.Header), ExportColumns)
	}
	if _, err := io.WriteString(w, bom); err != nil {
		return 0, fmt.Errorf("export %s: %w", campaignID, err)
	}
	cw := csv.NewWriter(w)
	record := make([]string, ExportColumns)
	for i, h := range opts.Header {
		record[i] = Neutralise(h)
	}
	if err := cw.Write(record); err != nil {
		return 0, fmt.Errorf("export %s: %w", campaignID, err)
	}
	// The store reads in the order the database keeps the rows (no sort:
	// the embedded database would hold every row to sort them). Real
	// MongoDB walks the (campaign_id, signed_at) index, so its rows come in
	// signing order anyway.
	var n int64
	err := s.store.EachSignature(ctx, campaignID, func(sig *Signature) error {
		exportRecord(record, sig, opts.Emails)
		if err := cw.Write(record); err != nil {
			return err
		}
		n++
		if n%exportBatch == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("export %s: %w", campaignID, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export %s: %w", campaignID, err)
	}
	return n, nil
}

// exportRecord fills record with the cells of one signature.
func exportRecord(record []string, sig *Signature, emails bool) {
	email := ""
	// An address goes out only for a supporter who ticked updates and
	// confirmed it is theirs (an unconfirmed one may be a stranger's),
	// and only to someone allowed to see addresses.
	if emails && sig.Updates && sig.Confirmed {
		email = sig.Person.Email
	}
	record[0] = sig.SignedAt.UTC().Format(time.RFC3339)
	record[1] = Neutralise(sig.Person.Name)
	record[2] = Neutralise(sig.Person.City)
	record[3] = Neutralise(sig.Person.Country)
	record[4] = Neutralise(string(sig.Source))
	record[5] = strconv.FormatBool(sig.HasGreeting)
	record[6] = strconv.FormatBool(sig.Updates)
	record[7] = Neutralise(email)
}

// Neutralise keeps a spreadsheet from reading a cell as a formula: a cell
// that begins with =, +, -, @, a tab or a carriage return gets a single
// quote in front, which spreadsheets show as text.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	// Some spreadsheets read the full-width forms as the ASCII ones.
	switch r, _ := utf8.DecodeRuneInString(cell); r {
	case '＝', '＋', '－', '＠':
		return "'" + cell
	}
	return cell
}
