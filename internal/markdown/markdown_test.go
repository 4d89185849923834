package markdown_test

import (
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/markdown"
)

// Hostile Markdown renders as harmless HTML: the whole output is asserted,
// so that nothing else slips in.
func TestRenderIsSafe(t *testing.T) {
	r := markdown.New()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Dear *friends*,\n\nthank you.", "<p>Dear <em>friends</em>,</p>\n<p>thank you.</p>\n"},
		{"script block", "<script>alert(1)</script>", "<!-- raw HTML omitted -->\n"},
		{"inline script", "Hello <script>alert(1)</script> you", "<p>Hello <!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted --> you</p>\n"},
		{"event attribute", `<img src=x onerror="alert(1)">`, "<!-- raw HTML omitted -->\n"},
		{"inline event attribute", `a <b onmouseover="alert(1)">b</b>`, "<p>a <!-- raw HTML omitted -->b<!-- raw HTML omitted --></p>\n"},
		{"javascript link", "[click](javascript:alert(1))", "<p>click</p>\n"},
		{"javascript link, mixed case and spaces", "[click](<JaVaScRiPt:alert(1)>)", "<p>click</p>\n"},
		{"javascript link, entity", "[click](&#106;avascript:alert(1))", "<p>click</p>\n"},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<p>x</p>\n"},
		{"data image", "![x](data:image/png;base64,iVBORw0KGgo=)", "<p>x</p>\n"},
		{"vbscript link", "[x](vbscript:msgbox)", "<p>x</p>\n"},
		{"protocol-relative link", "[x](//evil.example/)", "<p>x</p>\n"},
		{"web link", "[Viasna](https://spring96.org/en)", `<p><a href="https://spring96.org/en" rel="nofollow noopener">Viasna</a></p>` + "\n"},
		{"site link", "[campaign](/c/ales)", `<p><a href="/c/ales" rel="nofollow noopener">campaign</a></p>` + "\n"},
		{"quote in link", `[x](https://example.org/"onmouseover="alert(1))`, `<p><a href="https://example.org/%22onmouseover=%22alert(1)" rel="nofollow noopener">x</a></p>` + "\n"},
		{"autolink", "<https://example.org/a?b=1&c=2>", `<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">https://example.org/a?b=1&amp;c=2</a></p>` + "\n"},
		{"javascript autolink", "<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n"},
		{"bare web address", "see www.example.org now", `<p>see <a href="http://www.example.org" rel="nofollow noopener">www.example.org</a> now</p>` + "\n"},
		{"email autolink", "<a@example.org>", `<p><a href="mailto:a@example.org" rel="nofollow noopener">a@example.org</a></p>` + "\n"},
		{"entities", "&lt;script&gt; &amp; &quot;", "<p>&lt;script&gt; &amp; &quot;</p>\n"},
		{"entity-encoded tag", "&#60;script&#62;alert(1)&#60;/script&#62;", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"other site's image", "![tracker](https://evil.example/pixel.gif)", "<p>tracker</p>\n"},
		{"own scan", "![page 1](/letters/scans/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg)", `<p><img src="/letters/scans/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg" alt="page 1"></p>` + "\n"},
		{"own scan, climbing out", "![x](/letters/scans/../../admin)", "<p>x</p>\n"},
		{"own scan, escaped dots", "![x](/letters/scans/%2e%2e/%2e%2e/admin)", "<p>x</p>\n"},
		{"own scan, escaped slash", "![x](/letters/scans/%2f..%2fadmin)", "<p>x</p>\n"},
		{"own scan, not a hash", "![x](/letters/scans/abc.jpg)", "<p>x</p>\n"},
		{"own scan, upper-case hash", "![x](/letters/scans/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF.jpg)", "<p>x</p>\n"},
		{"own scan, query", "![x](/letters/scans/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg?a=1)", "<p>x</p>\n"},
		{"own scan, second segment", "![x](/letters/scans/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg/x)", "<p>x</p>\n"},
		{"own scan, other extension", "![x](/letters/scans/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.svg)", "<p>x</p>\n"},
		{"own scan, backslash", "![x](/letters/scans/..\\\\admin)", "<p>x</p>\n"},
		{"html comment", "<!-- x --><iframe src=//evil>", "<!-- raw HTML omitted -->\n"},
		{"code keeps text", "`<script>`", "<p><code>&lt;script&gt;</code></p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Render(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			low := strings.ToLower(string(got))
			for _, bad := range []string{"<script", "javascript:", "onerror=", "onmouseover=\"", "<iframe", "data:"} {
				if strings.Contains(low, bad) && !strings.Contains(tt.want, bad) {
					t.Errorf("output holds %q", bad)
				}
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"[a](javascript:x)", "<script>", "![a](/letters/scans/x.jpg)", "<https://a.b>"} {
		f.Add(s)
	}
	r := markdown.New()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := r.Render(s)
		if err != nil {
			t.Fatal(err)
		}
		low := strings.ToLower(string(got))
		for _, bad := range []string{"<script", "<iframe", "href=\"javascript:", "href=\"data:", "src=\"http", "<img src=\"/letters/scans/.."} {
			if strings.Contains(low, bad) {
				t.Errorf("Render(%q) = %q holds %q", s, got, bad)
			}
		}
	})
}
