package scanimage

import (
	"encoding/binary"
	"image"
)

// orientation is a JPEG's EXIF Orientation tag (TIFF tag 0x0112): how the
// stored pixels must be turned to be seen upright. Phones store a photo
// as the sensor saw it and say in this tag how it was held; since the
// output drops all metadata, Process turns the pixels instead.
type orientation int

// The orientations, as the TIFF 6.0 specification numbers them: where the
// stored picture's first row and first column are seen.
const (
	upright    orientation = 1 // row 0 at the top, column 0 at the left
	mirrorX    orientation = 2 // flipped left to right
	rotate180  orientation = 3
	mirrorY    orientation = 4 // flipped top to bottom
	transpose  orientation = 5 // mirrored along the main diagonal
	rotate90   orientation = 6 // turn a quarter clockwise to see it upright
	transverse orientation = 7 // mirrored along the other diagonal
	rotate270  orientation = 8 // turn a quarter anticlockwise to see it upright
)

// exifOrientation is the TIFF tag number of the Orientation.
const exifOrientation = 0x0112

// swapsSides reports whether o turns the picture a quarter, so that its
// width becomes its height.
func (o orientation) swapsSides() bool { return o >= transpose && o <= rotate270 }

// jpegOrientation reads the Orientation tag from the first EXIF (APP1)
// segment of a JPEG, in either byte order, and upright when there is
// none or it cannot be read: a malformed or hostile segment is ignored,
// never trusted. It reads only the segments before the image data and
// only the first image file directory, so it follows no offset chains.
func jpegOrientation(data []byte) orientation {
	for m, body := range jpegSegments(data) {
		if m == 0xE1 && len(body) >= 6 && string(body[:6]) == "Exif\x00\x00" {
			return tiffOrientation(body[6:])
		}
	}
	return upright
}

// tiffOrientation reads the orientation from the first image file
// directory of a TIFF structure, the body of an EXIF segment.
func tiffOrientation(t []byte) orientation {
	if len(t) < 8 {
		return upright
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return upright
	}
	if bo.Uint16(t[2:]) != 42 {
		return upright
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > uint64(len(t)) {
		return upright
	}
	count := uint64(bo.Uint16(t[ifd:]))
	if ifd+2+12*count > uint64(len(t)) {
		return upright // a directory that claims more than is there
	}
	for k := range count {
		e := ifd + 2 + 12*k
		if bo.Uint16(t[e:]) != exifOrientation {
			continue
		}
		// A SHORT (type 3), one value, held in the entry itself.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return upright
		}
		if o := orientation(bo.Uint16(t[e+8:])); o >= upright && o <= rotate270 {
			return o
		}
		return upright
	}
	return upright
}

// orient returns img turned as o says, so that it is seen upright; img
// itself when o is upright.
func orient(img *image.RGBA, o orientation) *image.RGBA {
	if o <= upright || o > rotate270 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if o.swapsSides() {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		for x := range ow {
			// (sx, sy) is the stored pixel seen at (x, y).
			var sx, sy int
			switch o {
			case mirrorX:
				sx, sy = w-1-x, y
			case rotate180:
				sx, sy = w-1-x, h-1-y
			case mirrorY:
				sx, sy = x, h-1-y
			case transpose:
				sx, sy = y, x
			case rotate90:
				sx, sy = y, h-1-x
			case transverse:
				sx, sy = w-1-y, h-1-x
			case rotate270:
				sx, sy = w-1-y, x
			}
			si := img.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			di := out.PixOffset(x, y)
			copy(out.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return out
}
