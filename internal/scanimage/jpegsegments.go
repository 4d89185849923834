package scanimage

import (
	"encoding/binary"
	"iter"
)

// jpegSegments yields the marker and the body of each segment of a JPEG
// before its image data: the frame header, tables, APPn. It stops at the
// start of the image data or its end, and at anything malformed: hostile
// input ends the walk, never misleads it. A truncated last segment's body
// is what is there.
func jpegSegments(data []byte) iter.Seq2[byte, []byte] {
	return func(yield func(byte, []byte) bool) {
		if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
			return
		}
		for i := 2; i+4 <= len(data); {
			if data[i] != 0xFF {
				return
			}
			m := data[i+1]
			switch {
			case m == 0xFF: // fill byte
				i++
				continue
			case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01:
				i += 2 // markers without a length
				continue
			case m == 0xDA || m == 0xD9:
				return // the image data, or its end
			}
			n := int(binary.BigEndian.Uint16(data[i+2:]))
			if n < 2 {
				return // a length that would not move on
			}
			end := min(i+2+n, len(data))
			if !yield(m, data[i+4:end]) {
				return
			}
			i += 2 + n
		}
	}
}
