package pdf

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Blank signature sheets: A4 pages with numbered lines that people sign by
// hand at a street stand or a meeting, and that the organizer later types
// in by sheet and line number. Each sheet carries the campaign's title and
// summary, so a signer knows what they sign, a QR code to the campaign's
// page for those who would rather sign online, and a notice on what is
// stored and printed.

// Limits of RenderSheet.
const (
	// SheetLines is the number of lines on one sheet. Lines are numbered
	// on from sheet to sheet: sheet k has lines (k-1)*SheetLines+1 to
	// k*SheetLines, so a line's number alone names its sheet.
	SheetLines = 20
	// MaxSheetCount bounds the sheets in one PDF; fpdf holds a document in
	// memory until it is written.
	MaxSheetCount = 50
	// MaxSheetNumber bounds the first sheet's number.
	MaxSheetNumber = 9999
)

// SheetLineNumber is the number printed on line (from 1) of sheet (from 1).
func SheetLineNumber(sheet, line int) int { return (sheet-1)*SheetLines + line }

// Sheet is what a run of blank signature sheets prints. Text fields are
// cleaned as a bundle's are (see Bundle); whatever looks like an email
// address prints as "[…]".
type Sheet struct {
	// Title and Summary are the campaign's, in the language of Lang.
	Title, Summary string
	// URL is the campaign's page: the QR code encodes it and every footer
	// prints it. It must be an absolute http or https address.
	URL string
	// Lang is the BCP 47 tag of the language Texts and the campaign's text
	// are in.
	Lang string
	// First is the number of the first sheet, from 1; Count is how many
	// sheets to print, 1 to MaxSheetCount.
	First, Count int
	// Date is the PDF's creation date, so the same Sheet gives the same
	// bytes.
	Date  time.Time
	Texts SheetTexts
}

// SheetTexts are a sheet's fixed words, translated by the caller. Every
// field is required.
type SheetTexts struct {
	// Heading stands above the title: "Sign the letter".
	Heading string
	// The columns: line number, name, city, country, signature, and the
	// box a signer ticks to let their name be printed on the letter.
	NumberColumn, NameColumn, CityColumn, CountryColumn, SignatureColumn, PrintColumn string
	// Online is the caption under the QR code: "Or sign online:".
	Online string
	// Notice says what is stored and printed; it is printed under the
	// lines.
	Notice string
	// Sheet names the sheet at the top right: "Sheet 3".
	Sheet func(sheet int) string
	// Footer is every sheet's footer, given its number and the campaign's
	// address: "Sheet 3 · https://example.org/c/free-ales".
	Footer func(sheet int, url string) string
	// Number formats a line number.
	Number func(int) string
}

func (s *Sheet) check() error {
	t := &s.Texts
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"Heading", t.Heading != ""}, {"NumberColumn", t.NumberColumn != ""},
		{"NameColumn", t.NameColumn != ""}, {"CityColumn", t.CityColumn != ""},
		{"CountryColumn", t.CountryColumn != ""}, {"SignatureColumn", t.SignatureColumn != ""},
		{"PrintColumn", t.PrintColumn != ""}, {"Online", t.Online != ""}, {"Notice", t.Notice != ""},
		{"Sheet", t.Sheet != nil}, {"Footer", t.Footer != nil}, {"Number", t.Number != nil},
	} {
		if !f.ok {
			return fmt.Errorf("%w: no sheet text %s", ErrInvalid, f.name)
		}
	}
	switch {
	case s.Count < 1 || s.Count > MaxSheetCount:
		return fmt.Errorf("%w: %d sheets, want 1 to %d", ErrInvalid, s.Count, MaxSheetCount)
	case s.First < 1 || s.First > MaxSheetNumber:
		return fmt.Errorf("%w: first sheet %d, want 1 to %d", ErrInvalid, s.First, MaxSheetNumber)
	case !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://"):
		return fmt.Errorf("%w: campaign address %q is not absolute", ErrInvalid, s.URL)
	case !langTag(s.Lang):
		return fmt.Errorf("%w: language %q", ErrInvalid, s.Lang)
	}
	return nil
}

// Sheet geometry in millimetres on A4.
const (
	sheetW, sheetH   = 210.0, 297.0
	sheetLeft        = 15.0
	sheetRight       = sheetW - 15
	sheetQR          = 30.0 // the code's side, without its quiet zone
	sheetTableTop    = 68.0
	sheetHeadRow     = 9.0
	sheetRowH        = 9.0 // room to write by hand
	sheetFooterRule  = sheetH - 14
	sheetFooterY     = sheetH - 9.5
	sheetTitleSize   = 15.0
	sheetSummarySize = 9.5
	sheetNoticeSize  = 8.0
	sheetCellSize    = 7.5
)

// sheetCols are the columns' left edges and widths: number, name, city,
// country, signature, print tick.
var sheetCols = func() [6][2]float64 {
	var cols [6][2]float64
	x := sheetLeft
	for i, w := range []float64{11, 52, 33, 27, 39, 18} {
		cols[i] = [2]float64{x, w}
		x += w
	}
	return cols
}()

// RenderSheet writes Count blank signature sheets, numbered from First, as
// one A4 PDF into w. It returns an error wrapping ErrInvalid for settings
// out of range, and ctx's error when ctx ends between sheets.
func RenderSheet(ctx context.Context, s Sheet, w io.Writer) error {
	if err := s.check(); err != nil {
		return err
	}
	m, err := fontMetrics()
	if err != nil {
		return err
	}
	qr, err := qrcode.New(s.URL, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("%w: campaign address for the QR code: %w", ErrInvalid, err)
	}
	qr.DisableBorder = true
	modules := qr.Bitmap()

	title, _ := m.clean(s.Title, sansBold, false)
	summary, _ := m.clean(s.Summary, sans, true)
	url, _ := m.clean(s.URL, sans, false)
	t := &s.Texts
	top := sheetTop{
		heading: cleanLine(m, t.Heading),
		online:  cleanLine(m, t.Online),
		url:     url,
	}
	textW := sheetRight - sheetQR - 8 - sheetLeft
	top.title = firstLines(m.wrap(title, sansBold, sheetTitleSize, textW), 2, m, sansBold, sheetTitleSize, textW)
	top.summary = firstLines(m.wrap(summary, sans, sheetSummarySize, textW), 5, m, sans, sheetSummarySize, textW)
	notice, _ := m.clean(t.Notice, sans, true)
	noticeLines := firstLines(m.wrap(notice, sans, sheetNoticeSize, sheetRight-sheetLeft), 5, m, sans, sheetNoticeSize, sheetRight-sheetLeft)
	heads := make([]string, 6)
	for i, h := range []string{t.NumberColumn, t.NameColumn, t.CityColumn, t.CountryColumn, t.SignatureColumn, t.PrintColumn} {
		heads[i] = cleanLine(m, h)
	}

	d := newDoc(m, sheetW, sheetH, s.Date, title, s.Lang, sans, sansBold)
	for k := range s.Count {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := s.First + k
		d.addPage()
		drawSheetTop(d, m, &top, cleanLine(m, t.Sheet(n)), modules)
		drawSheetTable(d, m, heads, n, t.Number)
		y := sheetTableTop + sheetHeadRow + SheetLines*sheetRowH + 6
		for _, l := range noticeLines {
			d.text(sheetLeft, y, l, sans, sheetNoticeSize, inkSoft)
			y += sheetNoticeSize * ptToMM * 1.3
		}
		d.rule(sheetLeft, sheetFooterRule, sheetRight, sheetFooterRule, 0.2, lineGray)
		d.textCenter(sheetW/2, sheetFooterY, fitOne(m, cleanLine(m, t.Footer(n, s.URL)), sans, headerSize, sheetRight-sheetLeft), sans, headerSize, inkSoft)
	}
	out, err := d.bytes()
	if err != nil {
		return fmt.Errorf("draw signature sheets: %w", err)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write signature sheets: %w", err)
	}
	return nil
}

// sheetTop is what the top of every sheet shows, cleaned and wrapped once.
type sheetTop struct {
	heading, online, url string
	title, summary       []string
}

func cleanLine(m *metrics, s string) string {
	c, _ := m.clean(s, sans, false)
	return visual(c)
}

// firstLines keeps the first max wrapped lines, ending the last with "…"
// when text was left out.
func firstLines(lines []wline, max int, m *metrics, f face, size, maxW float64) []string {
	out := make([]string, 0, min(len(lines), max))
	for i, l := range lines {
		if i == max {
			break
		}
		out = append(out, l.text)
	}
	if len(lines) > max {
		last := []rune(out[max-1])
		for len(last) > 0 && m.width(f, size, string(last)+"…") > maxW {
			last = last[:len(last)-1]
		}
		out[max-1] = strings.TrimSpace(string(last)) + "…"
	}
	return out
}

// fitOne shortens s with "…" until it fits maxW.
func fitOne(m *metrics, s string, f face, size, maxW float64) string {
	if m.width(f, size, s) <= maxW {
		return s
	}
	return firstLines([]wline{{text: s}, {}}, 1, m, f, size, maxW)[0]
}

func drawSheetTop(d *doc, m *metrics, top *sheetTop, sheetMark string, modules [][]bool) {
	y := 19.0
	d.text(sheetLeft, y, top.heading, sans, 9, inkFaint)
	d.textRight(sheetRight-sheetQR-8, y, sheetMark, sansBold, 10, ink)
	y += 7.5
	for _, l := range top.title {
		d.text(sheetLeft, y, l, sansBold, sheetTitleSize, ink)
		y += sheetTitleSize * ptToMM * 1.2
	}
	y += 1
	for _, l := range top.summary {
		d.text(sheetLeft, y, l, sans, sheetSummarySize, inkSoft)
		y += sheetSummarySize * ptToMM * 1.35
	}
	qx, qy := sheetRight-sheetQR, 13.0
	drawQR(d, modules, qx, qy, sheetQR)
	d.textCenter(qx+sheetQR/2, qy+sheetQR+4.5, top.online, sans, 7.5, inkSoft)
	d.textCenter(qx+sheetQR/2, qy+sheetQR+8, fitOne(m, top.url, sans, 6.5, sheetQR+14), sans, 6.5, inkSoft)
}

// drawQR draws the code's dark modules as filled rectangles, one per run of
// dark modules in a row, so the code is vector art and prints sharp at any
// size. The white quiet zone around it is the page's own margin.
func drawQR(d *doc, modules [][]bool, x, y, side float64) {
	if len(modules) == 0 {
		return
	}
	cell := side / float64(len(modules))
	d.f.SetFillColor(0, 0, 0)
	for r, row := range modules {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			d.f.Rect(x+float64(start)*cell, y+float64(r)*cell, float64(c-start)*cell, cell, "F")
		}
	}
}

func drawSheetTable(d *doc, m *metrics, heads []string, sheet int, number func(int) string) {
	top := sheetTableTop
	bottom := top + sheetHeadRow + SheetLines*sheetRowH
	for i, h := range heads {
		col := sheetCols[i]
		lines := firstLines(m.wrap(h, sans, sheetCellSize, col[1]-2), 2, m, sans, sheetCellSize, col[1]-2)
		y := top + sheetHeadRow - 2.2 - float64(len(lines)-1)*3.1
		for _, l := range lines {
			if i == 0 {
				d.textRight(col[0]+col[1]-1.5, y, l, sans, sheetCellSize, inkFaint)
			} else {
				d.text(col[0]+1, y, l, sans, sheetCellSize, inkFaint)
			}
			y += 3.1
		}
	}
	d.rule(sheetLeft, top+sheetHeadRow, sheetRight, top+sheetHeadRow, 0.35, inkSoft)
	for i := range SheetLines {
		rowTop := top + sheetHeadRow + float64(i)*sheetRowH
		d.textRight(sheetCols[0][0]+sheetCols[0][1]-1.5, rowTop+sheetRowH-2.6, number(SheetLineNumber(sheet, i+1)), sans, numberSize, inkSoft)
		tick := sheetCols[5]
		const box = 4.0
		d.f.SetDrawColor(inkSoft, inkSoft, inkSoft)
		d.f.SetLineWidth(0.3)
		d.f.Rect(tick[0]+(tick[1]-box)/2, rowTop+(sheetRowH-box)/2, box, box, "D")
		d.rule(sheetLeft, rowTop+sheetRowH, sheetRight, rowTop+sheetRowH, 0.2, lineGray)
	}
	for i := 1; i < len(sheetCols); i++ {
		x := sheetCols[i][0]
		d.rule(x, top, x, bottom, 0.2, lineGray)
	}
}
