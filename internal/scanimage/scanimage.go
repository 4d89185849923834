// Package scanimage makes an uploaded picture (a scan or photo of a letter)
// safe to publish: it accepts JPEG, PNG and WebP by their content, refuses
// files too large or too many pixels before decoding them (a small file
// can claim a huge image: a decompression bomb), and re-encodes the picture
// as a JPEG of at most MaxWidth pixels across. The output carries no
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
	// phone photo has 48 million); decoding one takes 4 bytes a pixel.
	MaxPixels = 50_000_000
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
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("decode %s: %w: %w", f, ErrCorrupt, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > MaxWidth {
		h = max(1, int(int64(h)*MaxWidth/int64(w)))
		w = MaxWidth
	}
	// Transparent parts of a PNG or WebP become white, as paper is.
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(out, out.Bounds(), img, b, draw.Over, nil)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: Quality}); err != nil {
		return Picture{}, fmt.Errorf("encode jpeg: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Picture{JPEG: buf.Bytes(), Width: w, Height: h, ID: hex.EncodeToString(sum[:])}, nil
}
