package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/internal/scanimage"
)

// Issue 13's tests of the scans' uploads: files that are not a JPEG, PNG
// or WebP picture, too large, or that would take too much memory to
// decode are refused with a message on the post's console page; the
// pictures kept carry none of the metadata they came with.

// uploadNamed posts file as the scan form does, named name, with the
// request's language lang ("": none).
func (u *user) uploadNamed(t *testing.T, path, version, name, lang string, file []byte) response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("token", u.token)
	_ = w.WriteField("version", version)
	fw, err := w.CreateFormFile("scan", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, u.site.URL+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", u.site.URL)
	req.Header.Set("Cookie", "solidarity_session="+u.cookie)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return u.site.do(t, req)
}

// picture draws a w×h picture with some detail.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(5 * x), uint8(7 * y), uint8(x ^ y), 255})
		}
	}
	return img
}

// segment is a JPEG marker segment.
func segment(marker byte, body string) []byte {
	out := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(out[2:], uint16(len(body)+2))
	return append(out, body...)
}

// jpegWithEverything is a JPEG whose header carries every kind of
// metadata phones and editors write: EXIF with a GPS position and a
// camera (APP1), XMP with a position (APP1), an ICC profile (APP2),
// Photoshop's IPTC block (APP13) and a comment (COM).
func jpegWithEverything(t *testing.T) []byte {
	t.Helper()
	var j bytes.Buffer
	if err := jpeg.Encode(&j, picture(48, 32), nil); err != nil {
		t.Fatal(err)
	}
	exif := gpsJPEG(t) // SOI, the EXIF APP1 with GPS, then a picture
	app1 := exif[2 : 4+int(binary.BigEndian.Uint16(exif[4:]))]
	out := append([]byte{0xFF, 0xD8}, app1...)
	out = append(out, segment(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>53,8.0N</exif:GPSLatitude></x:xmpmeta>")...)
	out = append(out, segment(0xE2, "ICC_PROFILE\x00\x01\x01MARKER-ICC")...)
	out = append(out, segment(0xED, "Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x78\x00\x0cMARKER-IPTC")...)
	out = append(out, segment(0xFE, "MARKER-COMMENT taken in Babruysk")...)
	return append(out, j.Bytes()[2:]...)
}

// pngChunk is a PNG chunk of that type.
func pngChunk(typ, data string) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE([]byte(typ+data)))
}

// pngWithText is a PNG with text chunks (tEXt, iTXt, zTXt), an EXIF
// chunk and a time chunk after its header.
func pngWithText(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(40, 30)); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	ihdrEnd := 8 + 4 + 4 + 13 + 4
	var out []byte
	out = append(out, p[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", "Comment\x00MARKER-TEXT GPS 53.1N 29.2E")...)
	out = append(out, pngChunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>MARKER-ITXT</x:xmpmeta>")...)
	out = append(out, pngChunk("zTXt", "Author\x00\x00x\x9c\x0b\x0e\x00\x00\x5a\x00\x3a")...)
	out = append(out, pngChunk("eXIf", "MM\x00*\x00\x00\x00\x08MARKER-EXIF")...)
	out = append(out, pngChunk("tIME", "\x07\xe7\x06\x01\x0c\x00\x00")...)
	return append(out, p[ihdrEnd:]...)
}

// webpWithMetadata is a 1×1 extended WebP (VP8X) whose EXIF and XMP
// chunks follow its picture, as the format puts them.
func webpWithMetadata(t *testing.T) []byte {
	t.Helper()
	lossless, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	chunk := func(fourCC, data string) []byte {
		out := binary.LittleEndian.AppendUint32([]byte(fourCC), uint32(len(data)))
		out = append(out, data...)
		if len(data)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", "\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00")...)
	body = append(body, lossless[12:]...) // its VP8L chunk
	body = append(body, chunk("EXIF", "MM\x00*\x00\x00\x00\x08MARKER-WEBP-EXIF GPS")...)
	body = append(body, chunk("XMP ", "<x:xmpmeta>MARKER-WEBP-XMP</x:xmpmeta>")...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// jpegHeaderClaiming is the start of a baseline JPEG as a phone writes it
// (no JFIF segment) whose frame header claims w×h pixels, up to the start
// of its image data, which is missing.
func jpegHeaderClaiming(w, h uint16) []byte {
	out := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8}
	out = binary.BigEndian.AppendUint16(out, h)
	out = binary.BigEndian.AppendUint16(out, w)
	out = append(out, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	return append(out, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0)
}

// webpClaiming is an extended WebP header (VP8X) that claims w×h pixels,
// and nothing more.
func webpClaiming(w, h uint32) []byte {
	vp8x := make([]byte, 10)
	vp8x[4], vp8x[5], vp8x[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	vp8x[7], vp8x[8], vp8x[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	body := append([]byte("WEBPVP8X\x0a\x00\x00\x00"), vp8x...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// Every refusal is said on the post's console page, in the console's
// language, and leaves the post as it was.
func TestScanUploadsAreRefusedWithAMessage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "With scans", time.Time{}, nil)
	u := s.loginAs(t, account.RoleOrganizer)
	path := "/admin/posts/" + p.ID + "/scans"
	var g bytes.Buffer
	if err := gif.Encode(&g, picture(8, 8), nil); err != nil {
		t.Fatal(err)
	}
	webp1, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	typeMsg := map[string]string{"en": "This file is not a JPEG, PNG or WebP picture, whatever its name says.",
		"be": "Гэты файл не з’яўляецца выявай JPEG, PNG або WebP, што б ні казала яго назва."}
	sizeMsg := map[string]string{"en": "This file is larger than 8 MB.", "be": "Гэты файл большы за 8 МБ."}
	pixelMsg := map[string]string{"en": "This picture has too many pixels to be read safely", "be": "У гэтай выяве занадта шмат пікселяў"}
	brokenMsg := map[string]string{"en": "This picture cannot be read", "be": "Гэтую выяву немагчыма прачытаць"}
	tests := []struct {
		name, file string
		data       []byte
		want       map[string]string
	}{
		{"text renamed .jpg", "page1.jpg", []byte("Dear friends, this is a letter typed out, not a picture."), typeMsg},
		{"gif", "page1.gif", g.Bytes(), typeMsg},
		{"gif renamed .png", "page1.png", g.Bytes(), typeMsg},
		{"svg", "page1.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><script>alert(2)</script></svg>`), typeMsg},
		{"svg renamed .jpg", "page1.jpg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`), typeMsg},
		{"html", "page1.jpg", []byte("<!DOCTYPE html><script>alert(1)</script>"), typeMsg},
		{"pdf", "page1.jpg", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), typeMsg},
		{"bmp", "page1.jpg", append([]byte("BM"), make([]byte, 60)...), typeMsg},
		{"empty", "page1.jpg", nil, typeMsg},
		{"one byte over 8 MB", "page1.jpg", append(jpegWithEverything(t), make([]byte, scanimage.MaxBytes+1-len(jpegWithEverything(t)))...), sizeMsg},
		{"png bomb: 60,000 × 60,000 pixels", "page1.png", pngHeader(60_000, 60_000), pixelMsg},
		{"png bomb: one long side", "page1.png", pngHeader(scanimage.MaxSide+1, 1), pixelMsg},
		{"jpeg bomb: 60,000 × 60,000 pixels", "page1.jpg", jpegHeaderClaiming(60_000, 60_000), pixelMsg},
		{"webp bomb: 16,000 × 16,000 pixels", "page1.webp", webpClaiming(16_000, 16_000), pixelMsg},
		{"jpeg cut short", "page1.jpg", jpegWithEverything(t)[:400], brokenMsg},
		{"webp cut short", "page1.webp", webp1[:20], brokenMsg},
	}
	for _, tt := range tests {
		for _, lang := range []string{"en", "be"} {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				res := u.uploadNamed(t, path, strconv.FormatInt(p.Version, 10), tt.file, lang, tt.data)
				if res.Status != 422 {
					t.Fatalf("status %d, want 422", res.Status)
				}
				alert := `<p class="error" role="alert" id="e-scan">` + tt.want[lang]
				if !strings.Contains(res.Body, alert) {
					t.Errorf("the page does not say %q where the form is", tt.want[lang])
				}
				if !strings.Contains(res.Body, `action="`+path+`"`) || !strings.Contains(res.Body, `aria-describedby="e-scan"`) {
					t.Error("the answer is not the post's console page with the scan form pointing at the message")
				}
				assertInert(t, "the refused upload", res.Body)
			})
		}
	}
	stored, err := s.Core.Posts.Post(t.Context(), p.ID)
	if err != nil || len(stored.Scans) != 0 || stored.Version != p.Version {
		t.Errorf("after the refusals: scans %v, version %d (was %d), %v", stored.Scans, stored.Version, p.Version, err)
	}
	// What is refused for its bytes is accepted as the picture it is,
	// whatever its name: the checks are of the content.
	if res := u.uploadNamed(t, path, strconv.FormatInt(p.Version, 10), "letter.txt", "en", webp1); res.Status != 303 {
		t.Errorf("a WebP named .txt: status %d, want 303", res.Status)
	}
}

// The scans served keep no metadata: a JPEG that came with EXIF (a GPS
// position), XMP, an ICC profile, IPTC and a comment, a PNG that came with
// text chunks and EXIF, each decoded from what the public page serves and
// its segments walked.
func TestServedScansKeepNoMetadata(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	u := s.loginAs(t, account.RoleOrganizer)
	tests := []struct {
		name, file    string
		data          []byte
		width, height int
	}{
		{"jpeg with exif, xmp, icc, iptc and a comment", "photo.jpg", jpegWithEverything(t), 48, 32},
		{"png with text chunks and exif", "scan.png", pngWithText(t), 40, 30},
		{"webp with exif and xmp", "scan.webp", webpWithMetadata(t), 1, 1},
	}
	// The test files carry what they should.
	if _, err := jpeg.Decode(bytes.NewReader(tests[0].data)); err != nil {
		t.Fatalf("the test JPEG does not decode: %v", err)
	}
	if m := jpegMarkers(t, tests[0].data); !bytes.Contains(m, []byte{0xE1, 0xE1, 0xE2, 0xED, 0xFE}) {
		t.Fatalf("the test JPEG's segments are % x", m)
	}
	if _, err := png.Decode(bytes.NewReader(tests[1].data)); err != nil {
		t.Fatalf("the test PNG does not decode: %v", err)
	}
	markers := []string{"Exif", "GPS", "xmpmeta", "ICC_PROFILE", "Photoshop", "8BIM", "MARKER", "Babruysk", "tEXt", "iTXt", "zTXt", "eXIf", "PhoneCo"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := s.addPost(t, "Scan "+tt.file, time.Time{}, nil)
			if res := u.uploadNamed(t, "/admin/posts/"+p.ID+"/scans", "1", tt.file, "en", tt.data); res.Status != 303 {
				t.Fatalf("upload: status %d", res.Status)
			}
			stored, err := s.Core.Posts.Post(t.Context(), p.ID)
			if err != nil || len(stored.Scans) != 1 {
				t.Fatalf("scans %v, %v", stored.Scans, err)
			}
			if _, err := s.Core.Posts.Publish(t.Context(), p.ID, stored.Version, time.Time{}, "test"); err != nil {
				t.Fatal(err)
			}
			res := s.get(t, "/letters/scans/"+stored.Scans[0].ID+".jpg")
			if res.Status != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("the served scan: status %d, type %q", res.Status, res.Header.Get("Content-Type"))
			}
			served := []byte(res.Body)
			img, err := jpeg.Decode(bytes.NewReader(served))
			if err != nil {
				t.Fatalf("the served scan does not decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
				t.Errorf("served %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.width, tt.height)
			}
			for _, m := range jpegMarkers(t, served) {
				if m >= 0xE0 && m <= 0xEF || m == 0xFE {
					t.Errorf("the served scan has an APP%d or comment segment (%#x)", m-0xE0, m)
				}
			}
			for _, m := range markers {
				if bytes.Contains(served, []byte(m)) {
					t.Errorf("the served scan holds %q", m)
				}
			}
		})
	}
}
