package web_test

import (
	"net"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/letters/posts"
	"github.com/valyala/fasthttp"
)

// BenchmarkMemoryPages measures the handlers of the public pages drawn
// from memory for every request (the posts' pages and feeds, a recipient's
// page and feed, the sitemap) beside /healthz and the cached campaign
// page, without the network: go test -run '^$' -bench MemoryPages ./web/.
func BenchmarkMemoryPages(b *testing.B) {
	s := newSite(b, dbs.Database(b))
	s.addCampaign(b, "ales", nil)
	for i := range 25 {
		s.addPost(b, "Letter "+strings.Repeat("x", i), s.Clock.Now(), func(in *posts.Input) {
			in.Body = strings.Repeat("Dear friends, *thank you* for every card.\n\n", 30)
		})
	}
	s.Logs.mu.Lock()
	s.Logs.discard = true
	s.Logs.mu.Unlock()
	h := s.App.Handler()
	for _, path := range []string{"/healthz", "/c/ales", "/letters", "/letters/letter", "/letters/tag/new-year",
		"/letters/feed.atom", "/r/ales-bialiatski", "/r/ales-bialiatski/feed.atom", "/sitemap.xml"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var req fasthttp.Request
			for b.Loop() {
				req.Reset()
				req.SetRequestURI(path)
				ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}, nil)
				// As the server does between requests: kept user values
				// would hang each request's context under the last one's.
				ctx.ResetUserValues()
				h(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("%s: %d", path, ctx.Response.StatusCode())
				}
			}
		})
	}
}
