package web

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// How long one request may wait for the database. A request that runs out
// of time, or finds the database unreachable, is answered 503 with
// Retry-After (handleError), so that a stopped or stalled database costs
// visitors a few seconds and the server a bounded number of waiting
// requests, instead of requests piling up for the driver's server
// selection timeout (database.ConnectTimeout, 10 s) or longer.
//
// Public pages and the API get DefaultDBTimeout, 3 s: their database work
// is reads by _id and the batched signature insert, a few milliseconds
// even at a million signatures, so 3 s is a stalled database and not a
// busy one; it is also below the 5 s many clients and proxies give up
// after. The console gets DefaultConsoleDBTimeout, 20 s: a few organizers
// use it, and on the embedded database some of its pages (statistics,
// search) still scan a collection, which takes seconds at 100,000
// signatures; 20 s stays below WriteTimeout.
const (
	DefaultDBTimeout        = 3 * time.Second
	DefaultConsoleDBTimeout = 20 * time.Second
	// retryAfter is what a 503 asks clients to wait, in seconds.
	retryAfter = "5"
)

// withDBDeadline gives the request's context (c.UserContext) the database
// deadline of its kind. Handlers that stream after they return detach
// from it (context.WithoutCancel) and keep their own deadlines.
func (s *Server) withDBDeadline(c *fiber.Ctx) error {
	d := s.cfg.DBTimeout
	if p := c.Path(); p == "/admin" || strings.HasPrefix(p, "/admin/") {
		d = s.cfg.ConsoleDBTimeout
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), d)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}
