package web_test

import (
	"cmp"
	"strings"
	"testing"
)

// Public pages and static files go compressed to clients that ask; console
// pages never do, since they hold session secrets beside text a visitor
// chooses (BREACH).
func TestCompression(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	tests := []struct {
		path, accept, want string
	}{
		// The campaign and home pages are kept gzipped (pagecache.go):
		// their token cannot be spliced into a brotli stream.
		{"/c/ales", "br, gzip", "gzip"},
		{"/contact", "br, gzip", "br"},
		{"/c/ales", "gzip", "gzip"},
		{"/", "gzip", "gzip"},
		{"/c/ales", "", ""},
		{"/admin/login", "br, gzip", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			// Asking ourselves keeps Go's client from unpacking the answer.
			res := s.get(t, tt.path, "Accept-Encoding", cmp.Or(tt.accept, "identity"))
			if got := res.Header.Get("Content-Encoding"); got != tt.want {
				t.Errorf("Content-Encoding %q, want %q", got, tt.want)
			}
			if tt.want != "" && !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %q lacks Accept-Encoding: caches would serve the packed page to clients that cannot read it", res.Header.Get("Vary"))
			}
		})
	}
}

func TestRobots(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	res := s.get(t, "/robots.txt")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("robots.txt: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"User-agent: *", "Disallow: /admin", "Disallow: /embed/", "Disallow: /c/*/sign"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("robots.txt lacks %q", want)
		}
	}
	// A thanks page names its campaign as canonical (TestShareTags); kept
	// from crawlers, it could not say so.
	for _, page := range []string{"/c/\n", "/\n", "/c/*/thanks"} {
		if strings.Contains(res.Body, "Disallow: "+page) {
			t.Errorf("robots.txt keeps search engines from %s", strings.TrimSpace(page))
		}
	}
}
