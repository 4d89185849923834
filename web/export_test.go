package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/valyala/fasthttp"
)

// RouteRule is a line of the route table as the role-matrix test sees it.
type RouteRule struct {
	Method, Path string
	Access       string // the name of its role set
	access       access
}

// Allows reports whether someone with role may use the route; the empty
// role is a visitor who is not signed in.
func (r RouteRule) Allows(role account.Role) bool { return r.access.allowsRole(role) }

// RouteTable returns the route table, for tests.
func (s *Server) RouteTable() []RouteRule {
	var out []RouteRule
	for _, r := range s.routeTable() {
		out = append(out, RouteRule{Method: r.method, Path: r.path, Access: r.access.name, access: r.access})
	}
	return out
}

// NavLinks returns the targets of the console's navigation links, for tests.
func NavLinks() []string {
	var out []string
	for _, l := range consoleNav {
		out = append(out, l.href)
	}
	return out
}

// Routes lists the registered routes as "METHOD /path", for tests.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.app.GetRoutes(true) {
		if r.Method != fiber.MethodHead {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// Handler returns the application's request handler, for benchmarks that
// leave the network out.
func (s *Server) Handler() fasthttp.RequestHandler { return s.app.Handler() }

// IssueToken issues a form token for purpose as if at at, for tests that
// sign many times without loading the form each time.
func (s *Server) IssueToken(purpose string, at time.Time) string {
	return tokens{key: s.cfg.FormKey, now: func() time.Time { return at }, ttl: TokenTTL}.issue(purpose)
}

// CountLag is how old the counts a cached page shows may be.
const CountLag = countLag

// EraseFloor is how long an erasure answer that erased nothing takes
// before the node has timed a real erasure.
const EraseFloor = eraseFloor
