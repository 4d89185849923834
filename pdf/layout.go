package pdf

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// geometry is where things go on a sheet, in millimetres from the top left.
type geometry struct {
	w, h          float64
	left, right   float64 // x of the content's edges
	top, bottom   float64 // y of the content's edges
	headerY       float64 // header baseline
	headerRule    float64
	footerY       float64 // footer baseline
	footerRule    float64
	rowH, headRow float64 // signature rows
	rowsPerPage   int
	cols          [4][2]float64 // number, name, city, country: x and width
}

// Type sizes in points and spacing in millimetres.
const (
	rowSize      = 10.0 // signature rows: readable at 10 pt
	rowMinSize   = 8.0  // smallest one-line size for a long name
	rowTwoLine   = 6.0  // size for a name too long even for that, on two lines
	numberSize   = 8.5
	headerSize   = 8.5
	cardSize     = 10.5 // greeting text in the list layout
	postcardMax  = 14.0 // greeting text on a postcard, shrunk to fit…
	postcardMin  = 7.0  // …down to this, then continued on the next card
	attribSize   = 9.0
	cardPadX     = 5.0
	cardPadY     = 4.0
	cardGap      = 4.0 // between cards in the list layout
	postcardEdge = 8.0 // margin inside each postcard, clear of the cut
)

func newGeometry(p Paper) geometry {
	g := geometry{w: 210, h: 297}
	if p == Letter {
		g.w, g.h = 215.9, 279.4
	}
	const side = 16.0
	g.left, g.right = side, g.w-side
	g.headerY, g.headerRule = 13.5, 15.5
	g.top = 20.5
	g.footerRule, g.footerY = g.h-16, g.h-11.5
	g.bottom = g.h - 19
	g.rowH, g.headRow = 4.5, 6
	g.rowsPerPage = int((g.bottom - g.top - g.headRow) / g.rowH)
	width := g.right - g.left
	numW := 16.0
	rest := width - numW - 2
	x := g.left
	for i, w := range []float64{numW, rest * 0.42, rest * 0.29, rest * 0.29} {
		g.cols[i] = [2]float64{x, w}
		x += w
		if i == 0 {
			x += 2
		}
	}
	return g
}

// postcardBox returns the outer edges of postcard slot 0…3 on a sheet:
// left to right, top to bottom.
func (g *geometry) postcardBox(slot int) (x, y, w, h float64) {
	w, h = g.w/2, g.h/2
	return float64(slot%2) * w, float64(slot/2) * h, w, h
}

// postcardText returns the area inside a postcard that greeting text may
// fill, below the card's header and above its footer.
func (g *geometry) postcardText(slot int) (x, y, w, h float64) {
	x, y, w, h = g.postcardBox(slot)
	return x + postcardEdge, y + postcardEdge + 8, w - 2*postcardEdge, h - 2*postcardEdge - 8 - 6.5
}

type pageKind uint8

const (
	pageCover pageKind = iota
	pageSignatures
	pageGreetings
)

// page is one page of the plan.
type page struct {
	kind pageKind
	// first and count select rows (signature pages) or plan.cards
	// (greeting pages); on cover pages first is the cover page's index.
	first, count int
	// continues is set when the page begins with the rest of a card
	// started on the page before: no letter may start here.
	continues bool
}

// cardPlan places one card, or one part of a greeting too long for one
// card.
type cardPlan struct {
	greeting    int     // index in the order Greetings yields them
	part, parts int     // 0-based part and number of parts
	size        float64 // text size the greeting was measured at
	from, to    int     // the part's rows of the measured card
	y, h        float64 // list layout: top and height of the box
	slot        int     // postcard layout: slot on the sheet
}

// plan is the result of the layout pass: every page of the bundle and
// which envelope it is in, without the rows themselves.
type plan struct {
	g         geometry
	pages     []page
	cards     []cardPlan
	cover     [][]coverItem // items per cover page
	envelopes [][2]int      // [first, end) page of each envelope
	greetings int
}

// layout is the first pass: it measures the cover and every greeting and
// assigns each to pages, and pages to envelopes. Signature pages need no
// measuring: rows have a fixed height.
func layout(ctx context.Context, b *Bundle, m *metrics, t *Texts) (*plan, error) {
	p := &plan{g: newGeometry(b.Paper)}
	// Signature pages.
	var body []page
	for first := 0; first < b.SignatureRows; first += p.g.rowsPerPage {
		body = append(body, page{kind: pageSignatures, first: first, count: min(p.g.rowsPerPage, b.SignatureRows-first)})
	}
	// Greeting pages.
	if b.Greetings != nil {
		gp, err := layoutGreetings(ctx, b, m, t, p)
		if err != nil {
			return nil, err
		}
		body = append(body, gp...)
	}
	// The cover says how many envelopes and pages there are, and its own
	// length counts among them: lay it out until the numbers agree.
	coverPages := 1
	for range 4 {
		pages := make([]page, 0, coverPages+len(body))
		for i := range coverPages {
			pages = append(pages, page{kind: pageCover, first: i})
		}
		pages = append(pages, body...)
		p.pages = pages
		p.envelopes = splitEnvelopes(pages, b.MaxSheets)
		p.cover = layoutCover(b, m, t, &p.g, len(p.envelopes), len(pages))
		if len(p.cover) == coverPages {
			return p, nil
		}
		coverPages = len(p.cover)
	}
	return nil, fmt.Errorf("lay out cover letter: page count does not settle")
}

// splitEnvelopes cuts pages into envelopes of at most max pages, never at
// a page that continues a card.
func splitEnvelopes(pages []page, max int) [][2]int {
	var envelopes [][2]int
	start := 0
	for start < len(pages) {
		end := min(start+max, len(pages))
		if end < len(pages) {
			cut := end
			for cut > start && pages[cut].continues {
				cut--
			}
			if cut > start {
				end = cut
			}
		}
		envelopes = append(envelopes, [2]int{start, end})
		start = end
	}
	return envelopes
}

// layoutGreetings ranges over the greetings once, measuring each card.
func layoutGreetings(ctx context.Context, b *Bundle, m *metrics, t *Texts, p *plan) ([]page, error) {
	var pages []page
	g := &p.g
	y := g.top
	slot := 0
	i := 0
	startPage := func(continues bool) {
		pages = append(pages, page{kind: pageGreetings, first: len(p.cards), continues: continues})
	}
	for gr, err := range b.Greetings {
		if err != nil {
			return nil, fmt.Errorf("read greeting %d: %w", i+1, err)
		}
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		cg := m.prepareGreeting(gr, t)
		parts, _ := cardParts(m, t, &cg, b.Layout, g)
		for k, part := range parts {
			part.greeting = i
			if b.Layout == LayoutPostcards {
				// The cards of one greeting go on one sheet if they can.
				if len(pages) == 0 || slot == 4 || (k == 0 && len(parts) <= 4 && slot+len(parts) > 4) {
					startPage(k > 0)
					slot = 0
				}
				part.slot = slot
				slot++
			} else {
				if len(pages) == 0 || (y > g.top && y+part.h > g.bottom) {
					startPage(k > 0)
					y = g.top
				}
				part.y = y
				y += part.h + cardGap
			}
			p.cards = append(p.cards, part)
			pages[len(pages)-1].count++
		}
		i++
	}
	p.greetings = i
	return pages, nil
}

// cardParts measures a greeting and splits it into the cards it needs:
// one, unless it is longer than a page (list) or a postcard at the
// smallest size.
func cardParts(m *metrics, t *Texts, cg *cleanGreeting, l Layout, g *geometry) ([]cardPlan, []cardRow) {
	var rows []cardRow
	var size, capacity float64
	if l == LayoutPostcards {
		_, _, w, h := g.postcardText(0)
		capacity = h
		for size = postcardMax; ; size -= 0.5 {
			rows = m.cardRows(cg, t, w, size)
			if rowsHeight(rows) <= capacity || size <= postcardMin {
				break
			}
		}
	} else {
		size = cardSize
		rows = m.cardRows(cg, t, g.right-g.left-2*cardPadX, size)
		capacity = g.bottom - g.top - 2*cardPadY
	}
	var parts []cardPlan
	from, h := 0, 0.0
	for i, r := range rows {
		rh := r.h
		if i > from {
			rh += r.gap
		}
		if i > from && h+rh > capacity {
			parts = append(parts, cardPlan{from: from, to: i, h: h})
			from, h = i, r.h
			continue
		}
		h += rh
	}
	parts = append(parts, cardPlan{from: from, to: len(rows), h: h})
	for k := range parts {
		parts[k].part, parts[k].parts, parts[k].size = k, len(parts), size
		if l != LayoutPostcards {
			parts[k].h += 2 * cardPadY
		}
	}
	return parts, rows
}

func rowsHeight(rows []cardRow) float64 {
	h := 0.0
	for i, r := range rows {
		h += r.h
		if i > 0 {
			h += r.gap
		}
	}
	return h
}

// cleanGreeting is a greeting made ready to print.
type cleanGreeting struct {
	text, original     string
	textFace, origFace face
	unprintable        bool
	name, place        string
	nameFace           face
}

func (m *metrics) prepareGreeting(gr Greeting, t *Texts) cleanGreeting {
	var cg cleanGreeting
	text, original := gr.Text, gr.Original
	if !printableLetters(text) && printableLetters(original) && strings.TrimSpace(original) != "" {
		text, original = original, ""
	}
	if printableLetters(text) {
		cg.text, cg.textFace = m.clean(text, serif, true)
	} else {
		cg.unprintable = true
		cg.text, cg.textFace = m.clean(t.Unprintable, sans, true)
	}
	if original != "" && printableLetters(original) {
		o, f := m.clean(original, serif, true)
		if o != "" && o != cg.text {
			cg.original, cg.origFace = o, f
		}
	}
	var named bool
	cg.name, cg.nameFace, named = m.printName(gr.Name, gr.Country, t, sansBold)
	if named {
		cg.place = m.place(gr.City, gr.Country)
	} else {
		cg.place = m.place(gr.City, "") // the country is in the name
	}
	return cg
}

// printName cleans a supporter's name, replacing one that cannot be
// printed with "a supporter from <country>"; named is false then.
func (m *metrics) printName(name, country string, t *Texts, f face) (_ string, _ face, named bool) {
	if printableLetters(name) {
		if n, nf := m.clean(name, f, false); n != "" {
			return n, nf, true
		}
	}
	c, _ := m.clean(country, sans, false)
	s, sf := m.clean(t.Supporter(c), f, false)
	return s, sf, false
}

// place is "City, Country", leaving out whichever is empty or cannot be
// printed.
func (m *metrics) place(city, country string) string {
	var parts []string
	for _, s := range []string{city, country} {
		if !printableLetters(s) {
			continue
		}
		if c, _ := m.clean(s, sans, false); c != "" {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, ", ")
}

// cardRow is one line of a greeting card.
type cardRow struct {
	text  string
	f     face
	size  float64
	h     float64 // line height
	gap   float64 // space above, unless first on a card
	width float64
	rtl   bool
	gray  bool
	// text2, if set, follows text on the same line in Sans, gray: the
	// place after the supporter's name.
	text2 string
}

// cardRows lays out a greeting's lines at text size size in width w.
func (m *metrics) cardRows(cg *cleanGreeting, t *Texts, w, size float64) []cardRow {
	var rows []cardRow
	lead := size * 1.4 * ptToMM
	ts := size
	if cg.unprintable {
		ts = size - 1
	}
	var lines []wline
	if cg.text != "" {
		lines = m.wrap(cg.text, cg.textFace, ts, w)
	}
	for _, l := range lines {
		r := cardRow{text: l.text, f: cg.textFace, size: ts, h: lead, width: l.width, rtl: l.rtl, gray: cg.unprintable}
		if l.gap {
			r.gap = lead * 0.5
		}
		rows = append(rows, r)
	}
	if cg.original != "" {
		os := math.Max(size-2, 6.5)
		olead := os * 1.4 * ptToMM
		label, lf := m.clean(t.Original, sans, false)
		rows = append(rows, cardRow{text: label, f: lf, size: os - 0.5, h: olead, gap: 2, width: m.width(lf, os-0.5, label), gray: true})
		for _, l := range m.wrap(cg.original, cg.origFace, os, w) {
			r := cardRow{text: l.text, f: cg.origFace, size: os, h: olead, width: l.width, rtl: l.rtl, gray: true}
			if l.gap {
				r.gap = olead * 0.5
			}
			rows = append(rows, r)
		}
	}
	as := math.Min(attribSize, size)
	alead := as * 1.45 * ptToMM
	// The dash is held to the name by a no-break space.
	name := "—\u00A0" + cg.name
	nw := m.width(cg.nameFace, as, name)
	if cg.place != "" {
		sep := "  ·  " + cg.place
		if sw := m.width(sans, as, sep); nw+sw <= w {
			return append(rows, cardRow{text: visual(name), f: cg.nameFace, size: as, h: alead, gap: 2.5, width: nw, text2: visual(sep)})
		}
	}
	for i, l := range m.wrapField(name, cg.nameFace, as, w) {
		r := cardRow{text: l.text, f: cg.nameFace, size: as, h: alead, width: l.width}
		if i == 0 && len(rows) > 0 {
			r.gap = 2.5
		}
		rows = append(rows, r)
	}
	for _, l := range m.wrapField(cg.place, sans, as, w) {
		rows = append(rows, cardRow{text: l.text, f: sans, size: as, h: alead, width: l.width, gray: true})
	}
	return rows
}

// coverItem is one thing drawn on a cover page.
type coverItem struct {
	x, y  float64 // baseline start; for rules, the line's left end
	text  string
	f     face
	size  float64
	gray  bool
	right bool    // x is the right end of the text
	rule  float64 // if set, a horizontal line of this length instead of text
}

// layoutCover lays out the cover letter: the recipient's address and the
// date, the letter, the organizer, and the totals.
func layoutCover(b *Bundle, m *metrics, t *Texts, g *geometry, envelopes, pages int) [][]coverItem {
	var out [][]coverItem
	cur := []coverItem{}
	y := g.top + 4
	width := g.right - g.left
	newPage := func() {
		out = append(out, cur)
		cur = []coverItem{}
		y = g.top + 4
	}
	// ensure starts a new page unless h more millimetres fit.
	ensure := func(h float64) {
		if y+h > g.bottom && len(cur) > 0 {
			newPage()
		}
	}
	line := func(text string, f face, size, lead float64, gray bool) {
		ensure(lead)
		cur = append(cur, coverItem{x: g.left, y: y + lead*0.75, text: text, f: f, size: size, gray: gray})
		y += lead
	}

	// Address block, date on the right of its first line.
	date, df := m.clean(t.Date(b.Date), sans, false)
	dateW := m.width(df, 10, date)
	cur = append(cur, coverItem{x: g.right, y: y + 4.2*0.75, text: date, f: df, size: 10, right: true})
	addrW := width - dateW - 8
	addr := []string{b.Recipient.Name}
	addr = append(addr, b.Recipient.Lines...)
	addr = append(addr, b.Recipient.Country)
	for i, a := range addr {
		f := sans
		if i == 0 {
			f = sansBold
		}
		s, sf := m.clean(a, f, false)
		if s == "" {
			continue
		}
		for _, l := range m.wrap(s, sf, 10, addrW) {
			line(l.text, sf, 10, 4.6, false)
		}
	}
	y += 10

	// The letter.
	const size = 11.0
	lead := size * 1.45 * ptToMM
	text, tf := m.clean(b.Letter, serif, true)
	for _, l := range m.wrap(text, tf, size, width) {
		if l.gap {
			y += lead * 0.6
		}
		ensure(lead)
		x := g.left
		if l.rtl {
			x = g.right - l.width
		}
		cur = append(cur, coverItem{x: x, y: y + lead*0.75, text: l.text, f: tf, size: size})
		y += lead
	}
	if org, of := m.clean(b.Organizer, sansBold, false); org != "" {
		y += 5
		for _, l := range m.wrap(org, of, 10.5, width) {
			line(l.text, of, 10.5, 5, false)
		}
	}

	// Totals, kept together.
	signed := ""
	if b.SignatureCount > 0 {
		signed, _ = m.clean(t.Signed(b.SignatureCount, max(b.CountryCount, 0)), sansBold, false)
	}
	note, nf := m.clean(t.Totals(envelopes, pages), sans, false)
	signedLines := m.wrap(signed, sansBold, 12, width)
	noteLines := m.wrap(note, nf, 9, width)
	y += 10
	ensure(4 + float64(len(signedLines))*6 + float64(len(noteLines))*4.4)
	cur = append(cur, coverItem{x: g.left, y: y, rule: width})
	y += 3
	for _, l := range signedLines {
		line(l.text, sansBold, 12, 6, false)
	}
	for _, l := range noteLines {
		line(l.text, nf, 9, 4.4, true)
	}
	return append(out, cur)
}
