package web_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/scanimage"
	"github.com/solidarity-letters/solidarity/web"
)

// upload posts a file as the scan form does.
func (u *user) upload(t *testing.T, path string, version string, file []byte) response {
	t.Helper()
	return u.uploadNamed(t, path, version, "page1.jpg", "", file)
}

// gpsJPEG is a photo whose EXIF block holds a GPS latitude and a camera.
func gpsJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{uint8(6 * x), uint8(8 * y), 90, 255})
		}
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II*\x00")
	_ = binary.Write(&tiff, le, uint32(8))
	_ = binary.Write(&tiff, le, uint16(2))
	_ = binary.Write(&tiff, le, [6]uint16{0x010F, 2, 8, 0, 38, 0}) // Make
	_ = binary.Write(&tiff, le, [6]uint16{0x8825, 4, 1, 0, 46, 0}) // GPS IFD
	_ = binary.Write(&tiff, le, uint32(0))
	tiff.WriteString("PhoneCo\x00")
	_ = binary.Write(&tiff, le, uint16(1))
	_ = binary.Write(&tiff, le, [6]uint16{0x0002, 5, 3, 0, 64, 0}) // GPSLatitude
	_ = binary.Write(&tiff, le, uint32(0))
	for _, r := range [][2]uint32{{53, 1}, {8, 1}, {0, 1}} {
		_ = binary.Write(&tiff, le, r)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(app1)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, app1...)
	return append(out, j.Bytes()[2:]...)
}

// Scans: checked by content, refused with a clear message when wrong,
// stored without metadata, served only for posts visitors may read, with
// long caching.
func TestPostScans(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "With scans", time.Time{}, nil)
	u := s.loginAs(t, "organizer")
	path := "/admin/posts/" + p.ID + "/scans"

	refusals := []struct {
		name, file, want string
	}{
		{"text named .jpg", "plain text, not a picture", "is not a JPEG, PNG or WebP picture"},
		{"html", "<html><script>alert(1)</script></html>", "is not a JPEG, PNG or WebP picture"},
		{"decompression bomb", string(pngHeader(60_000, 60_000)), "too many pixels"},
		{"cut short", string(gpsJPEG(t)[:200]), "cannot be read"},
	}
	for _, tt := range refusals {
		res := u.upload(t, path, "1", []byte(tt.file))
		if res.Status != 422 || !strings.Contains(res.Body, tt.want) {
			t.Errorf("%s: status %d, want 422 saying %q", tt.name, res.Status, tt.want)
		}
	}
	// A file somewhat over the limit gets the form's message.
	res := u.upload(t, path, "1", append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, scanimage.MaxBytes+1<<20)...))
	if res.Status != 422 || !strings.Contains(res.Body, "larger than 8 MB") {
		t.Errorf("9 MB upload: status %d, want 422 with a message", res.Status)
	}
	// Far over the route's limit, or over the app's without a session:
	// refused as the header arrives, before the body is read.
	// A session cookie counts only when it names a live session: anyone
	// can send one.
	for _, tt := range []struct {
		name   string
		length int
		cookie string
	}{
		{"far too large", web.ScanBodyLimit + 1, u.cookie},
		{"no session", web.BodyLimit + 1, ""},
		{"made-up session", 1 << 20, "x"},
		{"ended session", 1 << 20, strings.Repeat("a", len(u.cookie))},
	} {
		if got := statusBeforeBody(t, s, path, tt.length, tt.cookie); got != 413 {
			t.Errorf("%s: status %d, want 413", tt.name, got)
		}
	}
	// Every other route keeps the app's 64 KiB limit.
	big := url.Values{"post_body": {strings.Repeat("x", 70<<10)}}
	if res := u.post(t, "/admin/posts/"+p.ID, big); res.Status != 413 {
		t.Errorf("70 KiB post to the post form: status %d, want 413", res.Status)
	}

	res = u.upload(t, path, "1", gpsJPEG(t))
	if res.Status != 303 {
		t.Fatalf("upload: status %d\n%s", res.Status, res.Body)
	}
	stored, err := s.Core.Posts.Post(t.Context(), p.ID)
	if err != nil || len(stored.Scans) != 1 {
		t.Fatalf("scans %v, %v", stored.Scans, err)
	}
	scan := "/letters/scans/" + stored.Scans[0].ID + ".jpg"
	if res := s.get(t, scan); res.Status != 404 {
		t.Errorf("a draft's scan is served: status %d", res.Status)
	}
	if res := u.get(t, "/admin/posts/scans/"+stored.Scans[0].ID+".jpg"); res.Status != 200 {
		t.Errorf("the console cannot see the draft's scan: status %d", res.Status)
	}
	if _, err := s.Core.Posts.Publish(t.Context(), p.ID, stored.Version, time.Time{}, "test"); err != nil {
		t.Fatal(err)
	}
	res = s.get(t, scan)
	if res.Status != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("scan: status %d, type %q", res.Status, res.Header.Get("Content-Type"))
	}
	// A withdrawn post's scans must not live on in shared caches.
	if cc := res.Header.Get("Cache-Control"); cc != "private, max-age=3600" {
		t.Errorf("Cache-Control %q, want private, max-age=3600", cc)
	}
	img, err := jpeg.Decode(strings.NewReader(res.Body))
	if err != nil || img.Bounds().Dx() != 40 {
		t.Fatalf("served scan: %v", err)
	}
	for _, s := range []string{"Exif", "PhoneCo", "GPS"} {
		if strings.Contains(res.Body, s) {
			t.Errorf("the served scan holds %q", s)
		}
	}
	if body := []byte(res.Body); bytes.Contains(body[:min(len(body), 64)], []byte{0xFF, 0xE1}) {
		t.Error("the served scan has an APP1 segment")
	}
	if again := s.get(t, scan, "If-None-Match", res.Header.Get("ETag")); again.Status != 304 {
		t.Errorf("If-None-Match: status %d", again.Status)
	}
	if page := s.get(t, "/letters/with-scans").Body; !strings.Contains(page, `<img src="`+scan+`"`) {
		t.Error("the post's page does not show its scan")
	}
}

// pngHeader is a PNG header that claims w×h pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	out := b.Bytes()
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	// The header's checksum is not checked by DecodeConfig's callers
	// before the size: fix it anyway, so the refusal is for the size.
	crc := crc32IEEE(out[12:29])
	binary.BigEndian.PutUint32(out[29:], crc)
	return out
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// statusBeforeBody sends only a request's header, announcing a body of
// length bytes, and returns the status the server answers with.
func statusBeforeBody(t *testing.T, s *site, path string, length int, cookie string) int {
	t.Helper()
	conn := sendHeader(t, s, path, length, cookie)
	defer conn.Close()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sendHeader opens a connection and sends a form post's header only,
// announcing a body of length bytes, with the session cookie unless it is
// empty.
func sendHeader(t *testing.T, s *site, path string, length int, cookie string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := "POST " + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(s.URL, "http://") +
		"\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " + strconv.Itoa(length) + "\r\n"
	if cookie != "" {
		head += "Cookie: solidarity_session=" + cookie + "\r\n"
	}
	if _, err := conn.Write([]byte(head + "\r\n")); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return conn
}

// Large uploads are bounded: while MaxLargeUploads requests send their
// bodies, another is answered 503 with a message, before its body is read.
func TestLargeUploadsAreBounded(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "Busy", time.Time{}, nil)
	u := s.loginAs(t, "organizer")
	path := "/admin/posts/" + p.ID + "/scans"
	for range web.MaxLargeUploads {
		conn := sendHeader(t, s, path, 4<<20, u.cookie)
		defer conn.Close()
	}
	// The held requests take their slots as their headers are read: poll
	// until another is refused. A probe that got a slot instead waits for
	// its body: it is given up, and keeps its slot until its lease ends.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no 503 while %d uploads run", web.MaxLargeUploads)
		}
		conn := sendHeader(t, s, path, 4<<20, u.cookie)
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			conn.Close()
			continue
		}
		if err != nil {
			t.Fatalf("read the answer: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		conn.Close()
		if res.StatusCode == 503 {
			if !strings.Contains(string(body), "Other pictures are being uploaded") {
				t.Errorf("503 without the message:\n%s", body)
			}
			break
		}
		t.Fatalf("status %d while %d uploads run, want 503", res.StatusCode, web.MaxLargeUploads)
	}
}
