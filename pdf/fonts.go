package pdf

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"codeberg.org/go-pdf/fpdf"
)

// The DejaVu fonts (Bitstream Vera licence, fonts/LICENSE) are embedded so a
// bundle prints the same on every machine. DejaVu Sans covers Latin,
// Cyrillic, Greek, Armenian, Georgian and Hebrew; DejaVu Serif covers all
// but Hebrew. Text a preferred face cannot show falls back to Sans.
//
//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf fonts/DejaVuSerif.ttf
var fontFiles embed.FS

// face is one embedded font.
type face uint8

const (
	sans face = iota
	sansBold
	serif
	numFaces
)

var faceInfo = [numFaces]struct{ family, style, file string }{
	sans:     {"sans", "", "fonts/DejaVuSans.ttf"},
	sansBold: {"sans", "B", "fonts/DejaVuSans-Bold.ttf"},
	serif:    {"serif", "", "fonts/DejaVuSerif.ttf"},
}

// ptToMM converts points, the unit of font sizes, to millimetres, the unit
// of every page coordinate in this package.
const ptToMM = 25.4 / 72

// metrics holds what layout needs to know about the fonts: which runes each
// face has a glyph for and how wide they are. fpdf supports only the Basic
// Multilingual Plane, so runes from U+10000 up count as missing.
type metrics struct {
	data    [numFaces][]byte
	has     [numFaces]*[1 << 16 / 64]uint64
	advance [numFaces]*[1 << 16]uint16 // advance in 1/1000 em, as fpdf computes it
}

// fontMetrics parses the embedded fonts once per process; they never change.
var fontMetrics = sync.OnceValues(loadMetrics)

func loadMetrics() (*metrics, error) {
	m := &metrics{}
	scratch := fpdf.New("P", "mm", "A4", "")
	for f := range numFaces {
		data, err := fontFiles.ReadFile(faceInfo[f].file)
		if err != nil {
			return nil, fmt.Errorf("read font %s: %w", faceInfo[f].file, err)
		}
		m.data[f] = data
		has, err := cmapCoverage(data)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", faceInfo[f].file, err)
		}
		m.has[f] = has
		// Widths come from fpdf itself so measured lines are exactly as wide
		// as fpdf will draw them.
		scratch.AddUTF8FontFromBytes(faceInfo[f].family, faceInfo[f].style, data)
		scratch.SetFont(faceInfo[f].family, faceInfo[f].style, 10)
		w := new([1 << 16]uint16)
		for r := range rune(1 << 16) {
			if m.covers(f, r) {
				w[r] = uint16(scratch.GetStringSymbolWidth(string(r)))
			}
		}
		m.advance[f] = w
	}
	if err := scratch.Error(); err != nil {
		return nil, fmt.Errorf("load fonts: %w", err)
	}
	return m, nil
}

// covers reports whether face f has a glyph for r.
func (m *metrics) covers(f face, r rune) bool {
	if r < 0 || r >= 1<<16 {
		return false
	}
	return m.has[f][r/64]&(1<<(r%64)) != 0
}

// width returns the width of s in millimetres at size pt. s must hold only
// runes f covers (see clean).
func (m *metrics) width(f face, size float64, s string) float64 {
	w := 0
	tbl := m.advance[f]
	for _, r := range s {
		if r < 1<<16 {
			w += int(tbl[r])
		}
	}
	return float64(w) * size / 1000 * ptToMM
}

// runeWidth returns the width of r in millimetres at size pt.
func (m *metrics) runeWidth(f face, size float64, r rune) float64 {
	if r < 0 || r >= 1<<16 {
		return 0
	}
	return float64(m.advance[f][r]) * size / 1000 * ptToMM
}

var errBadFont = errors.New("no usable Unicode cmap")

// cmapCoverage reads the format 4 (BMP) Unicode cmap subtable of a TrueType
// font, the same subtable fpdf uses, and returns the set of runes that map to
// a glyph other than .notdef.
func cmapCoverage(font []byte) (*[1 << 16 / 64]uint64, error) {
	u16 := func(off int) (int, bool) {
		if off < 0 || off+2 > len(font) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(font[off:])), true
	}
	u32 := func(off int) (int, bool) {
		if off < 0 || off+4 > len(font) {
			return 0, false
		}
		return int(binary.BigEndian.Uint32(font[off:])), true
	}
	numTables, ok := u16(4)
	if !ok {
		return nil, errBadFont
	}
	cmap := -1
	for i := range numTables {
		rec := 12 + 16*i
		if rec+16 > len(font) {
			return nil, errBadFont
		}
		if string(font[rec:rec+4]) == "cmap" {
			cmap, _ = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return nil, errBadFont
	}
	n, ok := u16(cmap + 2)
	if !ok {
		return nil, errBadFont
	}
	sub := -1
	for i := range n {
		rec := cmap + 4 + 8*i
		platform, _ := u16(rec)
		encoding, _ := u16(rec + 2)
		off, ok := u32(rec + 4)
		if !ok {
			return nil, errBadFont
		}
		if format, _ := u16(cmap + off); format == 4 && (platform == 3 && encoding == 1 || platform == 0) {
			sub = cmap + off
			break
		}
	}
	if sub < 0 {
		return nil, errBadFont
	}
	segX2, ok := u16(sub + 6)
	if !ok {
		return nil, errBadFont
	}
	ends := sub + 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	rangeOffsets := deltas + segX2
	has := new([1 << 16 / 64]uint64)
	for seg := 0; seg < segX2; seg += 2 {
		end, ok1 := u16(ends + seg)
		start, ok2 := u16(starts + seg)
		delta, ok3 := u16(deltas + seg)
		ro, ok4 := u16(rangeOffsets + seg)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errBadFont
		}
		for c := start; c <= end && c < 0xFFFF; c++ {
			gid := 0
			if ro == 0 {
				gid = (c + delta) & 0xFFFF
			} else {
				g, ok := u16(rangeOffsets + seg + ro + 2*(c-start))
				if !ok {
					return nil, errBadFont
				}
				if g != 0 {
					gid = (g + delta) & 0xFFFF
				}
			}
			if gid != 0 {
				has[c/64] |= 1 << (c % 64)
			}
		}
	}
	return has, nil
}
