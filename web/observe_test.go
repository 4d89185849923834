package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/metrics"
	"github.com/solidarity-letters/solidarity/web"
	"github.com/valyala/fasthttp"
)

var requestIDShape = regexp.MustCompile(`^[0-9a-f]{16}$`)

// A 5xx page tells the visitor a reference, in their language, that is
// the request's X-Request-Id and is on the log line of the failure.
func TestServerErrorPageShowsTheRequestID(t *testing.T) {
	p, s := newFaultySite(t)
	c := s.addCampaign(t, "reference", nil)
	p.Stop()
	r := s.post(t, "/c/"+c.Slug+"/sign", signForm(s.freshToken(c.ID), nil), "Accept-Language", "uk")
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("sign while the database is stopped: %d, want 503", r.Status)
	}
	id := r.Header.Get("X-Request-Id")
	if !requestIDShape.MatchString(id) {
		t.Fatalf("X-Request-Id %q, want 16 hex digits", id)
	}
	if want := "Номер запиту: " + id; !strings.Contains(r.Body, want) {
		t.Errorf("the 503 page does not show %q:\n%s", want, r.Body)
	}
	var failure string
	for line := range strings.SplitSeq(s.Logs.String(), "\n") {
		if strings.Contains(line, "database unavailable") && strings.Contains(line, "request_id="+id) {
			failure = line
		}
	}
	if failure == "" {
		t.Errorf("no log line of the failure with request_id=%s:\n%s", id, s.Logs.String())
	}
}

// A visitor's X-Request-Id is not believed; a trusted proxy's is, when it
// is plain; each request gets an id of its own.
func TestRequestIDFromTrustedProxiesOnly(t *testing.T) {
	direct := newSite(t, dbs.Database(t))
	proxied := newSiteWith(t, dbs.Database(t), func(cfg *web.Config) { cfg.TrustedProxies = []string{"127.0.0.1"} })
	tests := []struct {
		name   string
		s      *site
		sent   string
		wantID string // "" wants one of our own
	}{
		{"visitor", direct, "visitor-picked-42", ""},
		{"no header", direct, "", ""},
		{"trusted proxy", proxied, "caddy-8f14e45f-ceea", "caddy-8f14e45f-ceea"},
		{"trusted proxy, markup", proxied, "<script>alert(1)</script>", ""},
		{"trusted proxy, too long", proxied, strings.Repeat("a", 65), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.sent != "" {
				header = []string{"X-Request-Id", tt.sent}
			}
			r := tt.s.get(t, "/no/such/page", header...)
			got := r.Header.Get("X-Request-Id")
			if tt.wantID != "" && got != tt.wantID || tt.wantID == "" && !requestIDShape.MatchString(got) {
				t.Errorf("X-Request-Id %q, want %q (empty: 16 hex digits of our own)", got, tt.wantID)
			}
			if !strings.Contains(r.Body, "Reference: "+got) {
				t.Errorf("the 404 page does not show the reference %q", got)
			}
			if again := tt.s.get(t, "/no/such/page", header...).Header.Get("X-Request-Id"); tt.wantID == "" && again == got {
				t.Errorf("two requests got the same id %q", got)
			}
		})
	}
}

// The metrics name a request by its route's template, never its path: a
// token or an address in the path stays out, and a path no route has is
// "other".
func TestMetricsLabelRoutesByTemplate(t *testing.T) {
	m := metrics.New()
	s := newSiteOn(t, dbs.Database(t), func(string) app.Options { return app.Options{Metrics: m} }, nil)
	c := s.addCampaign(t, "labels", nil)
	for _, path := range []string{"/c/" + c.Slug, "/c/" + c.Slug, "/confirm/secret-code-123", "/anna@example.org", "/api/v1/campaigns/no-such"} {
		s.get(t, path)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	body, _ := io.ReadAll(rec.Body)
	scraped := string(body)
	for _, want := range []string{
		`solidarity_http_requests_total{method="GET",route="/c/:slug",status="200"} 2`,
		`solidarity_http_requests_total{method="GET",route="/confirm/:code",status="`,
		`solidarity_http_requests_total{method="GET",route="other",status="404"} 1`,
		`solidarity_http_requests_total{method="GET",route="/api/v1/campaigns/:slug",status="404"} 1`,
		fmt.Sprintf(`solidarity_campaign_signatures{campaign=%q} 0`, c.Slug),
	} {
		if !strings.Contains(scraped, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
	for _, leak := range []string{"secret-code-123", "anna@example.org", "no-such"} {
		if strings.Contains(scraped, leak) {
			t.Errorf("the metrics hold %q", leak)
		}
	}
	if t.Failed() {
		t.Log(scraped)
	}
}

// BenchmarkMetricsMiddleware measures the campaign page, the hot page,
// and /healthz, the cheapest, on two sites, one with the metrics off and one with them on, side by
// side: each iteration asks both, in turn first, so that the machine's
// load weighs on both alike; it reports each one's time and their ratio.
// go test -run '^$' -bench MetricsMiddleware ./web/
func BenchmarkMetricsMiddleware(b *testing.B) {
	handler := func(m *metrics.Metrics) fasthttp.RequestHandler {
		s := newSiteOn(b, dbs.Database(b), func(string) app.Options { return app.Options{Metrics: m} }, nil)
		s.addCampaign(b, "ales", nil)
		s.Logs.mu.Lock()
		s.Logs.discard = true
		s.Logs.mu.Unlock()
		return s.App.Handler()
	}
	off, on := handler(nil), handler(metrics.New())
	for _, path := range []string{"/c/ales", "/healthz"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) { benchmarkSideBySide(b, path, off, on) })
	}
}

// benchmarkSideBySide asks off and on for path in turn, and reports each
// one's time per request and their ratio.
func benchmarkSideBySide(b *testing.B, path string, off, on fasthttp.RequestHandler) {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ask := func(h fasthttp.RequestHandler) time.Duration {
		req.Reset()
		req.SetRequestURI(path)
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}, nil)
		// As the server does after each request: else each request's
		// context would hang under the last one's, a chain that grows.
		ctx.ResetUserValues()
		start := time.Now()
		h(&ctx)
		took := time.Since(start)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%s: %d", path, ctx.Response.StatusCode())
		}
		return took
	}
	for range 200 { // warm both caches
		ask(off)
		ask(on)
	}
	var tookOff, tookOn time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 {
			tookOff += ask(off)
			tookOn += ask(on)
		} else {
			tookOn += ask(on)
			tookOff += ask(off)
		}
		n++
	}
	b.ReportMetric(float64(tookOff.Nanoseconds())/float64(n), "ns-off/req")
	b.ReportMetric(float64(tookOn.Nanoseconds())/float64(n), "ns-on/req")
	b.ReportMetric(float64(tookOn)/float64(tookOff), "on/off")
}
