package pdf

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Greys for text and lines, 0 black … 255 white.
const (
	ink      = 20
	inkSoft  = 70
	inkFaint = 110
	lineGray = 170
	cardLine = 185
	zebra    = 242
)

// doc is one PDF document being drawn. It remembers the current font and
// colour because fpdf writes a font change into the page on every call.
type doc struct {
	f       *fpdf.Fpdf
	m       *metrics
	face    face
	size    float64
	fontSet bool
	gray    int
}

// newDoc starts a document of pages w × h mm whose metadata and bytes
// depend only on its arguments.
func newDoc(m *metrics, w, h float64, date time.Time, title, lang string, faces ...face) *doc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	f.SetCatalogSort(true)
	f.SetCreationDate(date.UTC())
	f.SetModificationDate(date.UTC())
	f.SetProducer("solidarity", false)
	f.SetTitle(title, true)
	f.SetLang(lang)
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	for _, fc := range faces {
		f.AddUTF8FontFromBytes(faceInfo[fc].family, faceInfo[fc].style, m.data[fc])
	}
	return &doc{f: f, m: m, gray: -1}
}

func (d *doc) addPage() {
	d.f.AddPage()
	d.fontSet = false
}

func (d *doc) setFont(f face, size float64) {
	if d.fontSet && d.face == f && d.size == size {
		return
	}
	d.f.SetFont(faceInfo[f].family, faceInfo[f].style, size)
	d.face, d.size, d.fontSet = f, size, true
}

func (d *doc) setGray(g int) {
	if d.gray != g {
		d.f.SetTextColor(g, g, g)
		d.gray = g
	}
}

// text draws s with its baseline starting at x, y. s must be cleaned and in
// visual order.
func (d *doc) text(x, y float64, s string, f face, size float64, gray int) {
	if s == "" {
		return
	}
	d.setFont(f, size)
	d.setGray(gray)
	d.f.Text(x, y, s)
}

// textRight draws s ending at x.
func (d *doc) textRight(x, y float64, s string, f face, size float64, gray int) {
	d.text(x-d.m.width(f, size, s), y, s, f, size, gray)
}

// textCenter draws s centred on x.
func (d *doc) textCenter(x, y float64, s string, f face, size float64, gray int) {
	d.text(x-d.m.width(f, size, s)/2, y, s, f, size, gray)
}

func (d *doc) rule(x1, y1, x2, y2, width float64, gray int) {
	d.f.SetDrawColor(gray, gray, gray)
	d.f.SetLineWidth(width)
	d.f.Line(x1, y1, x2, y2)
}

// bytes finishes the document.
func (d *doc) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pageFrame is what each page's header and footer say.
type pageFrame struct {
	title   string // cleaned
	section string // cleaned, right of the title
	footer  string
}

// frame draws the header and footer every page of an envelope has.
func (r *renderer) frame(d *doc, fr pageFrame) {
	g := &r.plan.g
	secW := 0.0
	if fr.section != "" {
		secW = r.m.width(sans, headerSize, fr.section)
		d.textRight(g.right, g.headerY, fr.section, sans, headerSize, inkFaint)
	}
	if fr.title != "" {
		size, lines := r.m.fitLine(fr.title, sans, []float64{headerSize, 8, 7.5}, g.right-g.left-secW-8, 7.5, 1)
		d.text(g.left, g.headerY, lines[0], sans, size, ink)
	}
	d.rule(g.left, g.headerRule, g.right, g.headerRule, 0.2, lineGray)
	d.rule(g.left, g.footerRule, g.right, g.footerRule, 0.2, lineGray)
	d.textCenter((g.left+g.right)/2, g.footerY, fr.footer, sans, headerSize, inkSoft)
}

func (r *renderer) drawCover(d *doc, items []coverItem) {
	for _, it := range items {
		switch {
		case it.rule > 0:
			d.rule(it.x, it.y, it.x+it.rule, it.y, 0.3, lineGray)
		case it.right:
			d.textRight(it.x, it.y, it.text, it.f, it.size, ink)
		default:
			gray := ink
			if it.gray {
				gray = inkSoft
			}
			d.text(it.x, it.y, it.text, it.f, it.size, gray)
		}
	}
}

var (
	rowSizes  = []float64{rowSize, 9.5, 9, 8.5, rowMinSize}
	cellSizes = []float64{9.5, 9, 8.5, rowMinSize}
)

// drawSignatures draws one page of numbered rows.
func (r *renderer) drawSignatures(d *doc, rows []Signer) {
	g := &r.plan.g
	t := r.t
	width := g.right - g.left
	labels := []string{t.NumberColumn, t.NameColumn, t.CityColumn, t.CountryColumn}
	for i, l := range labels {
		x := g.cols[i][0]
		if i == 0 {
			d.textRight(x+g.cols[0][1], g.top+4, l, sans, 7.5, inkFaint)
			continue
		}
		d.text(x, g.top+4, l, sans, 7.5, inkFaint)
	}
	d.rule(g.left, g.top+g.headRow-0.8, g.right, g.top+g.headRow-0.8, 0.2, lineGray)
	d.f.SetFillColor(zebra, zebra, zebra)
	for i, s := range rows {
		top := g.top + g.headRow + float64(i)*g.rowH
		if i%2 == 1 {
			d.f.Rect(g.left, top, width, g.rowH, "F")
		}
		d.textRight(g.cols[0][0]+g.cols[0][1], top+3.25, r.t.Number(s.Number), sans, numberSize, inkFaint)
		name, nf, _ := r.m.printName(s.Name, s.Country, t, sans)
		r.cell(d, g.cols[1], top, name, nf, rowSizes, ink)
		r.cell(d, g.cols[2], top, r.field(s.City), sans, cellSizes, inkSoft)
		r.cell(d, g.cols[3], top, r.field(s.Country), sans, cellSizes, inkSoft)
	}
}

// field cleans one short field, leaving out one that cannot be printed.
func (r *renderer) field(s string) string {
	if !printableLetters(s) {
		return ""
	}
	c, _ := r.m.clean(s, sans, false)
	return c
}

// cell draws cleaned text in one column of a signature row, shrinking it to
// fit, or on two lines in small type if it must.
func (r *renderer) cell(d *doc, col [2]float64, top float64, s string, f face, sizes []float64, gray int) {
	if s == "" {
		return
	}
	size, lines := r.m.fitLine(s, f, sizes, col[1]-1.5, rowTwoLine, 2)
	if len(lines) == 1 {
		d.text(col[0], top+3.25, lines[0], f, size, gray)
		return
	}
	d.text(col[0], top+1.95, lines[0], f, size, gray)
	d.text(col[0], top+4.05, lines[1], f, size, gray)
}

// drawCardRows draws rows of a greeting card from y within x … x+w.
func drawCardRows(d *doc, rows []cardRow, x, y, w float64) {
	for i, row := range rows {
		if i > 0 {
			y += row.gap
		}
		rx := x
		if row.rtl {
			rx = x + w - row.width
		}
		gray := ink
		if row.gray {
			gray = inkFaint
		}
		base := y + row.h*0.74
		d.text(rx, base, row.text, row.f, row.size, gray)
		if row.text2 != "" {
			d.text(rx+row.width, base, row.text2, sans, row.size, inkFaint)
		}
		y += row.h
	}
}

// greetingCard is a card on a page with the greeting it shows.
type greetingCard struct {
	plan     cardPlan
	greeting Greeting
}

// measure prepares a card's greeting again and checks it still has the
// shape the layout pass measured.
func (r *renderer) measure(c greetingCard) ([]cardRow, error) {
	cg := r.m.prepareGreeting(c.greeting, r.t)
	parts, rows := cardParts(r.m, r.t, &cg, r.b.Layout, &r.plan.g)
	if len(parts) != c.plan.parts || parts[c.plan.part].from != c.plan.from || parts[c.plan.part].to != c.plan.to {
		return nil, fmt.Errorf("greeting %d: %w", c.plan.greeting+1, ErrChanged)
	}
	return rows[c.plan.from:c.plan.to], nil
}

// drawGreetingList draws cards flowing down one page.
func (r *renderer) drawGreetingList(d *doc, cards []greetingCard) error {
	g := &r.plan.g
	width := g.right - g.left
	for _, c := range cards {
		rows, err := r.measure(c)
		if err != nil {
			return err
		}
		d.f.SetDrawColor(cardLine, cardLine, cardLine)
		d.f.SetLineWidth(0.3)
		d.f.RoundedRect(g.left, c.plan.y, width, c.plan.h, 2, "1234", "D")
		if c.plan.parts > 1 {
			d.textRight(g.right-2, c.plan.y+3, fmt.Sprintf("%d/%d", c.plan.part+1, c.plan.parts), sans, 6.5, inkFaint)
		}
		drawCardRows(d, rows, g.left+cardPadX, c.plan.y+cardPadY, width-2*cardPadX)
	}
	return nil
}

// drawPostcards draws up to four postcards on one sheet, with cut lines.
func (r *renderer) drawPostcards(d *doc, cards []greetingCard, title, footer string) error {
	g := &r.plan.g
	// Cut lines across the whole sheet: the cards fill it edge to edge.
	d.f.SetDashPattern([]float64{1.2, 1.2}, 0)
	d.rule(g.w/2, 0, g.w/2, g.h, 0.2, lineGray)
	d.rule(0, g.h/2, g.w, g.h/2, 0.2, lineGray)
	d.f.SetDashPattern(nil, 0)
	d.text(5, g.h/2+1.2, "✂", sans, 9, inkFaint)
	d.text(g.w/2-1.3, 6, "✂", sans, 9, inkFaint)
	for _, c := range cards {
		rows, err := r.measure(c)
		if err != nil {
			return err
		}
		x, y, w, h := g.postcardBox(c.plan.slot)
		inner := w - 2*postcardEdge
		if title != "" {
			size, lines := r.m.fitLine(title, sans, []float64{7}, inner, 6.5, 1)
			d.text(x+postcardEdge, y+postcardEdge+2.5, lines[0], sans, size, ink)
		}
		d.rule(x+postcardEdge, y+postcardEdge+4.2, x+w-postcardEdge, y+postcardEdge+4.2, 0.2, lineGray)
		d.rule(x+postcardEdge, y+h-postcardEdge-3.8, x+w-postcardEdge, y+h-postcardEdge-3.8, 0.2, lineGray)
		d.textCenter(x+w/2, y+h-postcardEdge, footer, sans, 6.5, inkSoft)
		if c.plan.parts > 1 {
			d.textRight(x+w-postcardEdge, y+h-postcardEdge, fmt.Sprintf("%d/%d", c.plan.part+1, c.plan.parts), sans, 6.5, inkSoft)
		}
		tx, ty, tw, th := g.postcardText(c.plan.slot)
		used := rowsHeight(rows)
		// Short greetings sit a little above the middle of the card.
		ty += max(0, (th-used)*0.4)
		drawCardRows(d, rows, tx, ty, tw)
	}
	return nil
}

// drawEnvelopePage draws one DL envelope: the return address top left,
// the recipient's address where a window or the post office expects it,
// and the envelope's number, so envelope and contents can be matched. It
// does not carry the campaign's title: the outside of an envelope to a
// prison should say no more than it must.
func (r *renderer) drawEnvelopePage(d *doc, mark string) {
	y := 12.0
	for _, l := range r.b.Sender {
		s, f := r.m.clean(l, sans, false)
		if s == "" {
			continue
		}
		size, lines := r.m.fitLine(s, f, []float64{9, 8.5, 8}, 90, 8, 1)
		d.text(10, y, lines[0], f, size, ink)
		y += 4
	}
	addr := []string{r.b.Recipient.Name}
	addr = append(addr, r.b.Recipient.Lines...)
	addr = append(addr, upper(r.b.Recipient.Country))
	y = 45
	const x, w = 105.0, 105.0
	sizes := []float64{12, 11, 10, 9}
	for i, a := range addr {
		f := sans
		if i == 0 || i == len(addr)-1 {
			f = sansBold
		}
		s, sf := r.m.clean(a, f, false)
		if s == "" {
			continue
		}
		size, lines := r.m.fitLine(s, sf, sizes, w, 9, 2)
		for _, l := range lines {
			y += size * 1.35 * ptToMM // each line's own size sets its distance from the one above
			d.text(x, y, l, sf, size, ink)
		}
	}
	d.text(10, 102, mark, sans, 7, inkFaint)
}
