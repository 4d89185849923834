package web_test

import (
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// What the tests of issue 13 (letters, delivery log, recipients) share:
// a check that a page holds nothing that could run, and one that a JPEG
// holds no metadata.

// hostile is a value meant to break out of every context it may land in:
// element text, a quoted attribute, an XML CDATA section, a link.
const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(1)>]]>javascript:alert(1)'`

// hostileMarkdown is a Markdown body with raw HTML and hostile links and
// pictures, after a marker the pages must show.
func hostileMarkdown(marker string) string {
	return marker + " " + "\n\n" + hostile + "\n\n" +
		"[link](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))\n\n" +
		`<a href="javascript:alert(1)">raw link</a> <svg onload=alert(1)> <iframe src="//evil.example"></iframe>` + "\n\n" +
		"![pixel](https://evil.example/p.gif) ![js](javascript:alert(1)) ![up](/letters/scans/../../admin)\n\n" +
		`[quote](https://example.org/"onmouseover="alert(1)) <https://example.org/ok>`
}

// ownPictures are the addresses our pages show pictures from.
var ownPictures = []string{"/static/", "/letters/scans/", "/admin/posts/scans/"}

// executableMarkup lists what in an HTML document could run a script or
// load from another site: script elements other than our own files,
// frames, objects and base elements, event handler attributes, addresses
// with a javascript:, vbscript: or data: scheme, refreshes, and pictures
// from anywhere but our own paths (under base too, for feeds' content).
func executableMarkup(doc, base string) []string {
	var found []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				found = append(found, "tokenizer: "+z.Err().Error())
			}
			return found
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		bad := func() { found = append(found, tok.String()) }
		switch tok.Data {
		case "script":
			if src := attrOf(tok, "src"); !strings.HasPrefix(src, "/static/") {
				bad()
			}
		case "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math":
			bad()
		case "meta":
			if strings.EqualFold(attrOf(tok, "http-equiv"), "refresh") {
				bad()
			}
		case "img":
			src := strings.TrimPrefix(attrOf(tok, "src"), base)
			ok := false
			for _, p := range ownPictures {
				ok = ok || strings.HasPrefix(src, p)
			}
			if !ok || strings.Contains(src, "..") {
				bad()
			}
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				bad()
			case key == "style" && (strings.Contains(strings.ToLower(a.Val), "expression") || strings.Contains(strings.ToLower(a.Val), "url(")):
				bad()
			case key == "href" || key == "src" || key == "action" || key == "formaction" || key == "poster" ||
				key == "srcset" || key == "xlink:href" || key == "background" || key == "cite" || key == "data":
				if dangerousURL(a.Val) {
					bad()
				}
			}
		}
	}
}

// dangerousURL reports whether an address, as a browser reads it
// (ignoring white space and control characters, in any case), runs
// script or carries a document of its own.
func dangerousURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(v))
	for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(v, scheme) {
			return true
		}
	}
	return false
}

func attrOf(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// assertInert fails t when the page at where holds executable markup, or
// lacks any of the markers: each shows that a hostile field reached the
// page, so that the check has something to find.
func assertInert(t *testing.T, where, body string, markers ...string) {
	t.Helper()
	for _, m := range markers {
		if !strings.Contains(body, m) {
			t.Errorf("%s does not show %s", where, m)
		}
	}
	for _, f := range executableMarkup(body, "") {
		t.Errorf("%s holds executable markup: %s", where, f)
	}
	if strings.ContainsRune(body, 0) {
		t.Errorf("%s holds a NUL character", where)
	}
}

// feedContent is an Atom feed read strictly, its entries' texts with
// their types.
type feedContent struct {
	Title   atomTypedText `xml:"title"`
	Entries []struct {
		ID      string          `xml:"id"`
		Updated string          `xml:"updated"`
		Title   atomTypedText   `xml:"title"`
		Summary atomTypedText   `xml:"summary"`
		Content atomTypedText   `xml:"content"`
		Cats    []atomCatTested `xml:"category"`
	} `xml:"entry"`
}

type atomTypedText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCatTested struct {
	Term string `xml:"term,attr"`
}

// assertFeedInert reads the feed at path strictly (a feed that is not
// well-formed XML fails), and fails t when an entry's HTML content holds
// executable markup, when a title or summary is not plain text, or when
// the feed lacks a marker.
func assertFeedInert(t *testing.T, s *site, path string, markers ...string) feedContent {
	t.Helper()
	res := s.get(t, path)
	if res.Status != 200 {
		t.Fatalf("%s: status %d", path, res.Status)
	}
	var f feedContent
	d := xml.NewDecoder(strings.NewReader(res.Body))
	d.Strict = true
	if err := d.Decode(&f); err != nil {
		t.Fatalf("%s is not well-formed: %v", path, err)
	}
	var text strings.Builder
	text.WriteString(f.Title.Body)
	for _, e := range f.Entries {
		for _, tt := range []atomTypedText{e.Title, e.Summary} {
			if tt.Body != "" && tt.Type != "text" {
				t.Errorf("%s: entry %s has a %q title or summary, want text", path, e.ID, tt.Type)
			}
		}
		if e.Content.Type != "html" {
			t.Errorf("%s: entry %s content of type %q", path, e.ID, e.Content.Type)
		}
		for _, bad := range executableMarkup(e.Content.Body, s.URL) {
			t.Errorf("%s: entry %s content holds executable markup: %s", path, e.ID, bad)
		}
		text.WriteString(e.Title.Body + e.Summary.Body + e.Content.Body)
		for _, c := range e.Cats {
			text.WriteString(c.Term)
		}
	}
	for _, m := range markers {
		if !strings.Contains(text.String(), m) {
			t.Errorf("%s does not show %s", path, m)
		}
	}
	return f
}

// jpegMarkers lists the markers of a JPEG's segments up to its image data
// (SOS), failing t when the file is not a JPEG made of segments.
func jpegMarkers(t *testing.T, j []byte) []byte {
	t.Helper()
	if len(j) < 4 || j[0] != 0xFF || j[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", j[:min(len(j), 4)])
	}
	var markers []byte
	for i := 2; ; {
		if i+4 > len(j) || j[i] != 0xFF {
			t.Fatalf("no marker at byte %d", i)
		}
		m := j[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(j[i+2:]))
	}
}
