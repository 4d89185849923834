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
// Public pages and the API get DefaultDBTimeout, 5 s: their database work
// is reads by _id and the signature insert, milliseconds on a healthy
// database; signing on the embedded database under load peaked at about
// 2 s before group commit (issue 12), so 5 s leaves room for a busy
// database and cuts off a stalled one, well before the driver's own 10 s
// and the 30 s write timeout. The console gets DefaultConsoleDBTimeout, 20 s: a few organizers
// use it, and on the embedded database some of its pages (statistics,
// search) still scan a collection, which takes seconds at 100,000
// signatures; 20 s stays below WriteTimeout.
const (
	DefaultDBTimeout        = 5 * time.Second
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
