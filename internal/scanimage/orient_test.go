package scanimage

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// Corner colours of the test picture, as stored.
var (
	red    = color.RGBA{220, 0, 0, 255}
	green  = color.RGBA{0, 200, 0, 255}
	blue   = color.RGBA{0, 0, 220, 255}
	yellow = color.RGBA{230, 230, 0, 255}
)

// quadrants is a w×h picture in four solid quadrants: red at the top
// left, green at the top right, blue at the bottom left, yellow at the
// bottom right (solid, so that JPEG's compression keeps them apart).
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := red
			switch {
			case x >= w/2 && y < h/2:
				c = green
			case x < w/2 && y >= h/2:
				c = blue
			case x >= w/2 && y >= h/2:
				c = yellow
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiff is a TIFF structure in byte order bo whose first directory holds
// the given entries (tag, type, count, 4-byte value as a uint32 in bo),
// then a next-directory offset.
func tiff(bo byteOrder, next uint32, entries ...[4]uint32) []byte {
	var t []byte
	if bo == byteOrder(binary.LittleEndian) {
		t = append(t, "II"...)
	} else {
		t = append(t, "MM"...)
	}
	t = bo.AppendUint16(t, 42)
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, uint16(len(entries)))
	for _, e := range entries {
		t = bo.AppendUint16(t, uint16(e[0]))
		t = bo.AppendUint16(t, uint16(e[1]))
		t = bo.AppendUint32(t, e[2])
		t = bo.AppendUint32(t, e[3])
	}
	return bo.AppendUint32(t, next)
}

// orientationEntry is an Orientation entry of value o: a SHORT held in the
// first two bytes of the value field, whatever the byte order.
func orientationEntry(bo byteOrder, o uint16) [4]uint32 {
	var v [4]byte
	bo.PutUint16(v[:], o)
	return [4]uint32{exifOrientation, 3, 1, bo.Uint32(v[:])}
}

// segment is a JPEG marker segment of marker m around body.
func segment(m byte, body []byte) []byte {
	s := []byte{0xFF, m, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// exif is an APP1 EXIF segment around a TIFF structure.
func exif(t []byte) []byte { return segment(0xE1, append([]byte("Exif\x00\x00"), t...)) }

// jpegWith is img encoded as a JPEG with the segments inserted after its
// SOI marker.
func jpegWith(t *testing.T, img image.Image, segs ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	out := []byte{0xFF, 0xD8}
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, b.Bytes()[2:]...)
}

// corners names the colours seen at a picture's four corners, sampled a
// little inside them, or "?" for a colour none of the four.
func corners(img image.Image) [4]string {
	b := img.Bounds()
	dx, dy := b.Dx()/4, b.Dy()/4
	pts := [4]image.Point{
		{b.Min.X + dx, b.Min.Y + dy}, {b.Max.X - 1 - dx, b.Min.Y + dy},
		{b.Min.X + dx, b.Max.Y - 1 - dy}, {b.Max.X - 1 - dx, b.Max.Y - 1 - dy},
	}
	var out [4]string
	for i, p := range pts {
		out[i] = name(img.At(p.X, p.Y))
	}
	return out
}

func name(c color.Color) string {
	r, g, b, _ := c.RGBA()
	r, g, b = r>>8, g>>8, b>>8
	for _, n := range []struct {
		n string
		c color.RGBA
	}{{"red", red}, {"green", green}, {"blue", blue}, {"yellow", yellow}} {
		if near(r, n.c.R) && near(g, n.c.G) && near(b, n.c.B) {
			return n.n
		}
	}
	return "?"
}

func near(a uint32, b uint8) bool { return a+40 >= uint32(b) && a <= uint32(b)+40 }

// A phone photo carries its orientation in EXIF; the output, which
// carries no EXIF, is turned so that it is seen as the phone meant.
// Expectations come from the TIFF 6.0 wording of each value: where the
// stored first row and first column are seen.
func TestOrientation(t *testing.T) {
	const w, h = 48, 32
	stored := quadrants(w, h)
	tests := []struct {
		o    uint16
		w, h int
		// Top left, top right, bottom left, bottom right, as seen.
		want [4]string
	}{
		{1, w, h, [4]string{"red", "green", "blue", "yellow"}},
		// Row 0 at the top, column 0 at the right.
		{2, w, h, [4]string{"green", "red", "yellow", "blue"}},
		// Row 0 at the bottom, column 0 at the right.
		{3, w, h, [4]string{"yellow", "blue", "green", "red"}},
		// Row 0 at the bottom, column 0 at the left.
		{4, w, h, [4]string{"blue", "yellow", "red", "green"}},
		// Row 0 at the left, column 0 at the top.
		{5, h, w, [4]string{"red", "blue", "green", "yellow"}},
		// Row 0 at the right, column 0 at the top.
		{6, h, w, [4]string{"blue", "red", "yellow", "green"}},
		// Row 0 at the right, column 0 at the bottom.
		{7, h, w, [4]string{"yellow", "green", "blue", "red"}},
		// Row 0 at the left, column 0 at the bottom.
		{8, h, w, [4]string{"green", "yellow", "red", "blue"}},
	}
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tt := range tests {
			t.Run(bo.String()+"/"+string(rune('0'+tt.o)), func(t *testing.T) {
				// Other tags around it, and an XMP APP1 before it, as
				// phones write them.
				in := jpegWith(t, stored,
					segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")),
					exif(tiff(bo, 0,
						[4]uint32{0x010F, 2, 4, 0x656E6F50}, // Make "Phon"
						orientationEntry(bo, tt.o),
						[4]uint32{0x011A, 5, 1, 0}, // XResolution, pointing nowhere useful
					)))
				pic, err := Process(in)
				if err != nil {
					t.Fatal(err)
				}
				img, err := jpeg.Decode(bytes.NewReader(pic.JPEG))
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h || pic.Width != tt.w || pic.Height != tt.h {
					t.Errorf("output %d×%d, reported %d×%d, want %d×%d", b.Dx(), b.Dy(), pic.Width, pic.Height, tt.w, tt.h)
				}
				if got := corners(img); got != tt.want {
					t.Errorf("corners (TL TR BL BR) = %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// The width limit applies to the picture as seen: a tall photo stored
// on its side is not shrunk for its stored width, and a wide one stored
// upright is.
func TestOrientationThenShrink(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name          string
		w, h          int
		o             uint16
		width, height int
	}{
		{"tall photo stored sideways", 2 * MaxWidth, 100, 6, 100, 2 * MaxWidth},
		{"wide photo stored standing", 100, 2 * MaxWidth, 8, MaxWidth, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pic, err := Process(jpegWith(t, quadrants(tt.w, tt.h), exif(tiff(le, 0, orientationEntry(le, tt.o)))))
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(pic.JPEG))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
				t.Errorf("output %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.width, tt.height)
			}
		})
	}
}

// malformedEXIF are APP1 segments, and runs of segments, that a careless
// reader would trust: each must leave the picture as it is stored.
func malformedEXIF() map[string][]byte {
	le, be := binary.LittleEndian, binary.BigEndian
	good := tiff(le, 0, orientationEntry(le, 6))
	selfLoop := tiff(le, 8, orientationEntry(le, 0)) // next directory is itself
	ifdPast := append([]byte(nil), good...)
	le.PutUint32(ifdPast[4:], 0xFFFFFFF0)
	ifdInHeader := append([]byte(nil), good...)
	le.PutUint32(ifdInHeader[4:], 2)
	manyEntries := append([]byte(nil), good...)
	le.PutUint16(manyEntries[8:], 0xFFFF)
	badMagic := append([]byte(nil), good...)
	le.PutUint16(badMagic[2:], 43)
	return map[string][]byte{
		"exif header only":                exif(nil),
		"tiff header truncated":           exif([]byte("II*\x00\x08\x00")),
		"directory cut off":               exif(good[:14]),
		"directory offset past the end":   exif(ifdPast),
		"directory offset in header":      exif(ifdInHeader),
		"entry count past the end":        exif(manyEntries),
		"directory that points to itself": exif(selfLoop),
		"not II or MM":                    exif(append([]byte("XX"), good[2:]...)),
		"not 42":                          exif(badMagic),
		"orientation 0":                   exif(tiff(le, 0, orientationEntry(le, 0))),
		"orientation 9":                   exif(tiff(be, 0, orientationEntry(be, 9))),
		"orientation 0xFFFF":              exif(tiff(le, 0, orientationEntry(le, 0xFFFF))),
		"orientation as LONG":             exif(tiff(le, 0, [4]uint32{exifOrientation, 4, 1, 6})),
		"orientation with two values":     exif(tiff(be, 0, [4]uint32{exifOrientation, 3, 2, 6 << 16})),
		"wrong byte order":                exif(append([]byte("MM"), good[2:]...)),
		"exif in APP2":                    segment(0xE2, append([]byte("Exif\x00\x00"), good...)),
		"exif in a comment":               segment(0xFE, append([]byte("Exif\x00\x00"), good...)),
		"exif without its padding":        segment(0xE1, append([]byte("Exif"), good...)),
	}
}

func TestMalformedEXIFLeavesPictureAsIs(t *testing.T) {
	want := [4]string{"red", "green", "blue", "yellow"}
	for name, seg := range malformedEXIF() {
		t.Run(name, func(t *testing.T) {
			in := jpegWith(t, quadrants(48, 32), seg)
			if o := jpegOrientation(in); o != upright {
				t.Errorf("orientation %d, want 1", o)
			}
			pic, err := Process(in)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(pic.JPEG))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 48 || b.Dy() != 32 {
				t.Errorf("output %v, want 48×32", b)
			}
			if got := corners(img); got != want {
				t.Errorf("corners = %v, want %v", got, want)
			}
		})
	}
}

// Segment runs that no decoder accepts must still not hang or panic the
// reader: a length under two would not move it on; a length past the
// end or an APP1 cut short must not read past the data.
func TestOrientationOfBrokenSegments(t *testing.T) {
	le := binary.LittleEndian
	whole := exif(tiff(le, 0, orientationEntry(le, 6)))
	tests := map[string][]byte{
		"empty":                 nil,
		"soi only":              {0xFF, 0xD8},
		"length 0":              {0xFF, 0xD8, 0xFF, 0xE1, 0, 0, 0xFF, 0xE1, 0, 0},
		"length 1":              {0xFF, 0xD8, 0xFF, 0xE1, 0, 1},
		"length past the end":   {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I'},
		"app1 cut short":        append([]byte{0xFF, 0xD8}, whole[:len(whole)-6]...),
		"fill bytes to the end": append([]byte{0xFF, 0xD8}, bytes.Repeat([]byte{0xFF}, 64)...),
		"no marker":             {0xFF, 0xD8, 0x00, 0xE1, 0, 8},
		"exif after scan start": append([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2}, whole...),
		"not a jpeg":            append([]byte{0x89, 'P', 'N', 'G'}, whole...),
		"header shorter than 4": {0xFF, 0xD8, 0xFF},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if o := jpegOrientation(in); o != upright {
				t.Errorf("orientation %d, want 1", o)
			}
		})
	}
	// An EXIF segment cut at the end of the file is read for what is there.
	if o := jpegOrientation(append([]byte{0xFF, 0xD8}, whole...)); o != rotate90 {
		t.Errorf("a file that ends with its EXIF: orientation %d, want 6", o)
	}
}

// Whatever the bytes, the reader answers with an orientation from 1 to
// 8, without panicking.
func FuzzJPEGOrientation(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(append([]byte{0xFF, 0xD8}, exif(tiff(le, 0, orientationEntry(le, 6)))...))
	f.Add(append([]byte{0xFF, 0xD8}, exif(tiff(be, 8, orientationEntry(be, 3)))...))
	for _, seg := range malformedEXIF() {
		f.Add(append([]byte{0xFF, 0xD8}, seg...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < upright || o > rotate270 {
			t.Errorf("orientation %d", o)
		}
	})
}
