package scanimage_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/scanimage"
)

// photo draws a w×h picture with some detail.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	return img
}

// exifGPS is an APP1 segment with an EXIF block holding a GPS position
// (54°N 29°E, Babruysk) and a camera make, as phones write them.
func exifGPS() []byte {
	var t bytes.Buffer
	le := binary.LittleEndian
	t.WriteString("II*\x00")
	binary.Write(&t, le, uint32(8))
	// IFD0: Make, GPS IFD pointer.
	binary.Write(&t, le, uint16(2))
	binary.Write(&t, le, [6]uint16{0x010F, 2, 6, 0, 38, 0}) // Make, ASCII, 6 bytes at 38
	binary.Write(&t, le, [6]uint16{0x8825, 4, 1, 0, 44, 0}) // GPS IFD at 44
	binary.Write(&t, le, uint32(0))
	t.WriteString("Phone\x00")
	// GPS IFD: latitude ref, latitude.
	binary.Write(&t, le, uint16(2))
	binary.Write(&t, le, [6]uint16{0x0001, 2, 2, 0, 'N', 0})
	binary.Write(&t, le, [6]uint16{0x0002, 5, 3, 0, 74, 0})
	binary.Write(&t, le, uint32(0))
	for _, r := range [][2]uint32{{53, 1}, {8, 1}, {0, 1}} {
		binary.Write(&t, le, r)
	}
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// xmpAndICC are an XMP APP1 and an ICC APP2 segment.
func xmpAndICC() []byte {
	var out []byte
	for _, s := range []struct {
		marker byte
		body   string
	}{
		{0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><GPSLatitude>53,8N</GPSLatitude></x:xmpmeta>"},
		{0xE2, "ICC_PROFILE\x00\x01\x01fake-profile"},
	} {
		seg := []byte{0xFF, s.marker, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(s.body)+2))
		out = append(append(out, seg...), s.body...)
	}
	return out
}

// withMetadata is a JPEG whose metadata segments follow its SOI marker.
func withMetadata(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo(64, 48), nil); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	out := append([]byte{0xFF, 0xD8}, exifGPS()...)
	out = append(out, xmpAndICC()...)
	return append(out, j[2:]...)
}

// segments lists the JPEG's marker segments before its image data.
func segments(t *testing.T, j []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(j); {
		if j[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := j[i+1]
		markers = append(markers, m)
		if m == 0xDA { // start of scan: image data follows
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(j[i+2:]))
	}
	return markers
}

func TestMetadataIsGone(t *testing.T) {
	in := withMetadata(t)
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test JPEG does not decode: %v", err)
	}
	if m := segments(t, in); !bytes.Contains(m, []byte{0xE1}) || !bytes.Contains(m, []byte{0xE2}) {
		t.Fatalf("the test JPEG lacks its metadata: %x", m)
	}
	pic, err := scanimage.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(pic.JPEG))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 || pic.Width != 64 || pic.Height != 48 {
		t.Errorf("output %v, reported %d×%d, want 64×48", b, pic.Width, pic.Height)
	}
	for _, m := range segments(t, pic.JPEG) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			t.Errorf("output keeps an APP%d or comment segment (%#x)", m-0xE0, m)
		}
	}
	for _, s := range []string{"Exif", "GPS", "Phone", "xmpmeta", "ICC_PROFILE"} {
		if bytes.Contains(pic.JPEG, []byte(s)) {
			t.Errorf("output holds %q", s)
		}
	}
}

func png1(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming is a PNG header that claims w×h pixels: a few dozen bytes
// that would take gigabytes to decode.
func pngClaiming(w, h uint32) []byte { return pngClaimingDepth(w, h, 8, 2) }

// pngClaimingDepth is a PNG header of w×h pixels of that bit depth and
// colour type (2: RGB, 6: RGBA).
func pngClaimingDepth(w, h uint32, depth, colorType byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	copy(ihdr[8:], []byte{depth, colorType, 0, 0, 0})
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// jpegClaiming is the start of a JPEG: an APP0 segment, then a frame
// header of marker sof (0xC0 baseline, 0xC2 progressive) that claims w×h
// pixels in three components without subsampling, and nothing more.
func jpegClaiming(sof byte, w, h uint16) []byte {
	out := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	out = append(out, 0xFF, sof, 0, 17, 8)
	out = binary.BigEndian.AppendUint16(out, h)
	out = binary.BigEndian.AppendUint16(out, w)
	out = append(out, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1)
	return out
}

func TestProcess(t *testing.T) {
	var g bytes.Buffer
	if err := gif.Encode(&g, photo(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	// A 1×1 lossless WebP.
	webp1, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	transparent := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	wide := png1(t, photo(3200, 100))
	tests := []struct {
		name          string
		in            []byte
		err           error
		width, height int
	}{
		{"jpeg", withMetadata(t), nil, 64, 48},
		{"png", png1(t, photo(20, 10)), nil, 20, 10},
		{"webp", webp1, nil, 1, 1},
		{"wide png is shrunk", wide, nil, scanimage.MaxWidth, 50},
		{"transparent png", png1(t, transparent), nil, 4, 4},
		{"gif", g.Bytes(), scanimage.ErrType, 0, 0},
		{"text named .jpg", []byte("this is not a picture at all"), scanimage.ErrType, 0, 0},
		{"html", []byte("<html><script>alert(1)</script>"), scanimage.ErrType, 0, 0},
		{"empty", nil, scanimage.ErrType, 0, 0},
		{"too large", append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, scanimage.MaxBytes)...), scanimage.ErrTooLarge, 0, 0},
		{"bomb", pngClaiming(100_000, 100_000), scanimage.ErrPixels, 0, 0},
		{"bomb, one long side", pngClaiming(scanimage.MaxSide+1, 10), scanimage.ErrPixels, 0, 0},
		{"truncated jpeg", withMetadata(t)[:300], scanimage.ErrCorrupt, 0, 0},
		{"png header only", pngClaiming(100, 100), scanimage.ErrCorrupt, 0, 0},
		// Under MaxPixels, but over MaxMemory by their bytes a pixel;
		// the same sizes at 8 bits, or baseline, pass the budget and
		// fail only as the headers they are.
		{"16-bit png over the memory budget", pngClaimingDepth(7000, 7000, 16, 6), scanimage.ErrPixels, 0, 0},
		{"8-bit png of the same size", pngClaimingDepth(7000, 7000, 8, 6), scanimage.ErrCorrupt, 0, 0},
		{"progressive jpeg over the memory budget", jpegClaiming(0xC2, 5000, 5000), scanimage.ErrPixels, 0, 0},
		{"baseline jpeg of the same size", jpegClaiming(0xC0, 5000, 5000), scanimage.ErrCorrupt, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pic, err := scanimage.Process(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			img, err := jpeg.Decode(bytes.NewReader(pic.JPEG))
			if err != nil {
				t.Fatalf("output is no JPEG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
				t.Errorf("output %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.width, tt.height)
			}
			if len(pic.ID) != 64 {
				t.Errorf("ID %q is no SHA-256", pic.ID)
			}
		})
	}
	// Transparency is paper white.
	pic, err := scanimage.Process(png1(t, transparent))
	if err != nil {
		t.Fatal(err)
	}
	img, _ := jpeg.Decode(bytes.NewReader(pic.JPEG))
	if r, _, _, _ := img.At(1, 1).RGBA(); r>>8 < 250 {
		t.Errorf("transparent pixel became %v, want white", img.At(1, 1))
	}
}

// Whatever the bytes, Process answers with a JPEG or a refusal, without
// panicking or decoding a bomb.
func FuzzProcess(f *testing.F) {
	f.Add(pngClaiming(100, 100))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		pic, err := scanimage.Process(data)
		if err != nil {
			return
		}
		if _, err := jpeg.Decode(bytes.NewReader(pic.JPEG)); err != nil {
			t.Errorf("output is no JPEG: %v", err)
		}
	})
}
