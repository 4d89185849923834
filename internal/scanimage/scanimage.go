// Package scanimage makes an uploaded picture (a scan or photo of a letter)
// safe to publish: it accepts JPEG, PNG and WebP by their content, refuses
// files too large or too many pixels before decoding them (a small file
// can claim a huge image: a decompression bomb), and re-encodes the picture
// as a JPEG of at most MaxWidth pixels across, turned upright as the
// EXIF Orientation of a JPEG says. The output carries no
// metadata: EXIF (location, device, time), XMP and ICC profiles are gone,
// since only the pixels are encoded again.
package scanimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits of an upload.
const (
	// MaxBytes is the largest file accepted.
	MaxBytes = 8 << 20
	// MaxPixels is the most pixels a picture may have (a 48-megapixel
	// phone photo has 48 million). MaxMemory bounds it further by what
	// decoding the picture takes.
	MaxPixels = 50_000_000
	// MaxMemory bounds the memory one Process call takes: the decoded
	// picture, at the bytes a pixel of its colour model and bit depth
	// needs (decodeBytes), and the picture drawn for the output. Callers
	// bound how many calls run at once.
	MaxMemory = 300_000_000
	// MaxSide is the longest side accepted, in pixels.
	MaxSide = 12_000
	// MaxWidth is the width a picture is shrunk to when it is wider.
	MaxWidth = 1600
	// Quality is the JPEG quality of the output.
	Quality = 85
)

// Errors that say why a file was refused.
var (
	ErrType     = errors.New("not a JPEG, PNG or WebP picture")
	ErrTooLarge = errors.New("file too large")
	ErrPixels   = errors.New("picture has too many pixels")
	ErrCorrupt  = errors.New("picture cannot be read")
)

// Format is a format accepted.
type Format string

// The formats accepted.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
)

// Sniff names the format of data by its first bytes, and false when it is
// none of those accepted, whatever the file's name says.
func Sniff(data []byte) (Format, bool) {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG, true
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, true
	}
	return "", false
}

// Picture is a re-encoded picture.
type Picture struct {
	JPEG          []byte
	Width, Height int
	// ID is the hex SHA-256 of JPEG: pictures are stored and served by it.
	ID string
}

// Process checks data and re-encodes it (see the package comment).
// Refusals wrap ErrType, ErrTooLarge, ErrPixels or ErrCorrupt.
func Process(data []byte) (Picture, error) {
	if len(data) > MaxBytes {
		return Picture{}, fmt.Errorf("%d bytes, at most %d: %w", len(data), MaxBytes, ErrTooLarge)
	}
	f, ok := Sniff(data)
	if !ok {
		return Picture{}, ErrType
	}
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	switch f {
	case PNG:
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case WebP:
		decodeConfig, decode = webp.DecodeConfig, webp.Decode
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("read %s header: %w: %w", f, ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Picture{}, fmt.Errorf("%s of %d×%d: %w", f, cfg.Width, cfg.Height, ErrCorrupt)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Picture{}, fmt.Errorf("%s of %d×%d: %w", f, cfg.Width, cfg.Height, ErrPixels)
	}
	// A phone says in EXIF how it was held; the output keeps no EXIF, so
	// its pixels are turned instead.
	o := upright
	if f == JPEG {
		o = jpegOrientation(data)
	}
	if need := memory(cfg, f == JPEG && progressive(data), o); need > MaxMemory {
		return Picture{}, fmt.Errorf("%s of %d×%d needs %d MB to decode: %w", f, cfg.Width, cfg.Height, need/1_000_000, ErrPixels)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("decode %s: %w: %w", f, ErrCorrupt, err)
	}
	b := img.Bounds()
	// The width limit is the picture's as seen: shrink to it, still as
	// stored (drawing the smaller picture), then turn it.
	w, h := outputSize(b.Dx(), b.Dy(), o)
	sw, sh := w, h
	if o.swapsSides() {
		sw, sh = h, w
	}
	// Transparent parts of a PNG or WebP become white, as paper is.
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if sw == b.Dx() && sh == b.Dy() {
		draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(out, out.Bounds(), img, b, draw.Over, nil)
	}
	out = orient(out, o)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: Quality}); err != nil {
		return Picture{}, fmt.Errorf("encode jpeg: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Picture{JPEG: buf.Bytes(), Width: w, Height: h, ID: hex.EncodeToString(sum[:])}, nil
}

// outputSize is the size of the output for a picture stored w×h and
// turned by o: its size as seen, shrunk to MaxWidth across.
func outputSize(w, h int, o orientation) (int, int) {
	if o.swapsSides() {
		w, h = h, w
	}
	if w > MaxWidth {
		h = max(1, int(int64(h)*MaxWidth/int64(w)))
		w = MaxWidth
	}
	return w, h
}

// memory is what decoding a picture of cfg and drawing its output takes,
// in bytes: the image/... decoders hold the whole picture, at its colour
// model's bytes a pixel; a progressive JPEG also holds every component's
// DCT coefficients (64 int32 an 8×8 block: 4 bytes a pixel and
// component, at most, with no subsampling) until its last scan. A
// picture that is turned (o) is drawn twice.
func memory(cfg image.Config, progressive bool, o orientation) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	perPixel, channels := bytesPerPixel(cfg.ColorModel)
	if progressive {
		perPixel += 4 * channels
	}
	w, h := outputSize(cfg.Width, cfg.Height, o)
	out := int64(w) * int64(h) * 4
	if o != upright {
		out *= 2
	}
	return pixels*perPixel + out
}

// bytesPerPixel is what a decoded pixel of model takes at most, and how
// many channels (JPEG components) it has.
func bytesPerPixel(model color.Model) (perPixel, channels int64) {
	switch model {
	case color.GrayModel:
		return 1, 1
	case color.Gray16Model:
		return 2, 1
	case color.YCbCrModel:
		// 4:4:4 at worst; subsampled pictures take less.
		return 3, 3
	case color.NYCbCrAModel, color.RGBAModel, color.NRGBAModel:
		return 4, 4
	case color.CMYKModel:
		return 4, 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8, 4
	}
	if _, ok := model.(color.Palette); ok {
		return 1, 1
	}
	// A model not named above: assume the widest.
	return 8, 4
}

// progressive reports whether the JPEG data is progressive: its frame
// header, the first SOFn marker, is SOF2 (or another progressive one:
// SOF6, SOF10, SOF14). It walks the segments before the frame header only.
func progressive(data []byte) bool {
	for m := range jpegSegments(data) {
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			return m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
		}
	}
	return false
}
