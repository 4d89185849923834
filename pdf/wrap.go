package pdf

import (
	"strings"
	"unicode"
)

// wline is one wrapped line, ready to draw.
type wline struct {
	text  string  // in visual order
	width float64 // mm
	rtl   bool    // from a right-to-left paragraph: align right
	gap   bool    // first line after a blank line: leave a paragraph gap above
}

// wrap breaks cleaned text into lines at most maxW millimetres wide at size
// pt. A newline ends a line; a blank line starts a new paragraph. Lines
// break at spaces, after hyphens and slashes, and, for a word wider than the
// line, inside the word, so no text is ever cut off. Each paragraph takes
// its direction from its first letter.
func (m *metrics) wrap(s string, f face, size, maxW float64) []wline {
	return m.wrapDir(s, f, size, maxW, dirAuto)
}

// wrapField is wrap for a field, such as a name, in a left-to-right layout.
func (m *metrics) wrapField(s string, f face, size, maxW float64) []wline {
	return m.wrapDir(s, f, size, maxW, dirLTR)
}

func (m *metrics) wrapDir(s string, f face, size, maxW float64, dir int) []wline {
	var out []wline
	gap := false
	for para := range strings.SplitSeq(s, "\n") {
		if para == "" {
			gap = len(out) > 0
			continue
		}
		rs := []rune(para)
		var lv []uint8
		var level uint8
		rtl := hasRTL(para)
		if rtl {
			lv, level = bidiLevels(rs, dir)
		}
		for _, span := range m.breakLines(rs, f, size, maxW) {
			line := rs[span[0]:span[1]]
			text := string(line)
			if rtl {
				text = string(reorder(line, lv[span[0]:span[1]], level))
			}
			out = append(out, wline{text: text, width: m.width(f, size, text), rtl: level == 1, gap: gap})
			gap = false
		}
	}
	return out
}

// breakLines returns the [start, end) rune ranges of the lines of one
// paragraph, without the spaces at the breaks.
func (m *metrics) breakLines(rs []rune, f face, size, maxW float64) [][2]int {
	var lines [][2]int
	n := len(rs)
	start := 0
	for start < n && rs[start] == ' ' {
		start++
	}
	for start < n {
		w := 0.0
		brk, next := -1, -1 // end of the line and start of the next at the last break opportunity
		i := start
		for ; i < n; i++ {
			r := rs[i]
			if r == ' ' {
				if i > start {
					brk, next = i, i+1
				}
				w += m.runeWidth(f, size, r)
				continue
			}
			rw := m.runeWidth(f, size, r)
			if w+rw > maxW && i > start {
				break
			}
			w += rw
			if isBreakAfter(r) && i+1 < n && rs[i+1] != ' ' {
				brk, next = i+1, i+1
			}
		}
		switch {
		case i == n:
			brk, next = n, n
		case brk <= start:
			// One word wider than the line: break inside it, but never
			// between a letter and its marks.
			brk = i
			for brk > start+1 && unicode.IsMark(rs[brk]) {
				brk--
			}
			next = brk
		}
		end := brk
		for end > start && rs[end-1] == ' ' {
			end--
		}
		if end > start {
			lines = append(lines, [2]int{start, end})
		}
		start = next
		for start < n && rs[start] == ' ' {
			start++
		}
	}
	return lines
}

func isBreakAfter(r rune) bool {
	switch r {
	case '-', '/', '\u2010', '\u2013', '\u2014':
		return true
	}
	return false
}

// fitLine fits one line of cleaned text into maxW: at the first of sizes at
// which it fits on one line, else wrapped at wrapSize into at most maxLines
// lines, the last ending in "…" if even that is too little.
func (m *metrics) fitLine(s string, f face, sizes []float64, maxW, wrapSize float64, maxLines int) (float64, []string) {
	for _, size := range sizes {
		if m.width(f, size, s) <= maxW {
			return size, []string{visual(s)}
		}
	}
	lines := m.wrapField(s, f, wrapSize, maxW)
	out := make([]string, 0, maxLines)
	for i, l := range lines {
		if i == maxLines {
			break
		}
		out = append(out, l.text)
	}
	if len(lines) > maxLines {
		last := []rune(out[maxLines-1])
		for len(last) > 0 && m.width(f, wrapSize, string(last)+"…") > maxW {
			last = last[:len(last)-1]
		}
		out[maxLines-1] = string(last) + "…"
	}
	return wrapSize, out
}
