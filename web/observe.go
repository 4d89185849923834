package web

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/solidarity-letters/solidarity/internal/metrics"
)

// requestIDKey holds a request's id in its locals.
type requestIDKey struct{}

// maxRequestIDLength bounds an id a trusted proxy sends.
const maxRequestIDLength = 64

// withRequestID gives every request an id: the one a trusted proxy sent
// in X-Request-Id, when it is short and plain, else 16 random hex digits.
// The id is sent back in X-Request-Id, is on every log line the web
// layer writes for the request (reqLog) and on its error page, so that a
// supporter's report can be matched to a log line. It says nothing about
// who asked: a visitor's own header is not believed.
func (s *Server) withRequestID(c *fiber.Ctx) error {
	id := ""
	if s.fromTrustedProxy(c) {
		id = plainID(c.Get(fiber.HeaderXRequestID))
	}
	if id == "" {
		id = newRequestID()
	}
	c.Locals(requestIDKey{}, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

// newRequestID returns 16 random hex digits. Ids need to be unique, not
// secret, so the fast generator will do.
func newRequestID() string {
	const digits = "0123456789abcdef"
	var b [16]byte
	n := rand.Uint64()
	for i := range b {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}

// plainID is id when it is 1 to maxRequestIDLength letters, digits, '-',
// '_' or '.', else "": nothing else reaches a log line or a page.
func plainID(id string) string {
	if len(id) == 0 || len(id) > maxRequestIDLength {
		return ""
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return ""
		}
	}
	return id
}

// fromTrustedProxy reports whether the connection's peer is a trusted
// proxy.
func (s *Server) fromTrustedProxy(c *fiber.Ctx) bool {
	if len(s.trusted) == 0 {
		return false
	}
	remote, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	return ok && s.isTrusted(remote.Unmap())
}

// requestID is the request's id, "" before withRequestID ran.
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey{}).(string)
	return id
}

// reqLog is the server's logger with the request's id on every line.
func (s *Server) reqLog(c *fiber.Ctx) *slog.Logger {
	if id := requestID(c); id != "" {
		return s.log.With("request_id", id)
	}
	return s.log
}

// signRoutes are the routes that sign, by the way they sign (the signing
// metric's via label).
var signRoutes = map[string]string{
	"/c/:slug/sign":                      "form",
	"/embed/:slug/sign":                  "embed",
	"/api/v1/campaigns/:slug/signatures": "api",
}

// observe records each request in the metrics, by its route's template
// (never its path, which may hold a code or a token), method and status,
// and a signature's post in the signing histogram too. It runs outside
// accessLog, which has turned an error into its answer by then.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	took := time.Since(start)
	route := routeLabel(c)
	status := c.Response().StatusCode()
	s.deps.Metrics.Request(route, c.Method(), status, took)
	if via, ok := signRoutes[route]; ok && c.Method() == fiber.MethodPost {
		outcome := "signed"
		switch {
		case status >= 500:
			outcome = "failed"
		case status >= 400:
			outcome = "refused"
		}
		s.deps.Metrics.Sign(via, outcome, took)
	}
	return err
}

// routeKey holds the template of the route that matched a request.
type routeKey struct{}

// routeNamed returns the handler, first of a route's own, that says which
// route matched: with metrics on, register puts it before every route.
// Fiber's matched route is no help, as a middleware's counts as one.
func routeNamed(path string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(routeKey{}, path)
		return c.Next()
	}
}

// routeLabel is the template of the route that answered, or "other" when
// none of the route table did (a 404, or a middleware that answered
// first).
func routeLabel(c *fiber.Ctx) string {
	if path, ok := c.Locals(routeKey{}).(string); ok {
		return path
	}
	return metrics.OtherRoute
}
