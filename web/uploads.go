package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/account"
	"github.com/valyala/fasthttp"
)

// MaxLargeUploads is how many requests at once may send a body larger
// than BodyLimit (a scan upload buffers up to ScanBodyLimit in memory).
const MaxLargeUploads = 2

// uploadsBusyHeader marks a request refused a large body because
// MaxLargeUploads others hold one: its 413 is answered as errUploadsBusy.
// The server sets it; one a client sends is removed first.
const uploadsBusyHeader = "X-Solidarity-Uploads-Busy"

// errUploadsBusy answers a large upload while MaxLargeUploads others run.
var errUploadsBusy = fiber.NewError(fiber.StatusServiceUnavailable, "too many uploads at once")

// uploadSlots are the leases of the requests allowed a large body, keyed
// by their request header (one per request in flight). A lease ends when
// the request has been answered (releaseUpload), or, for a request whose
// body never arrived, and so never reached a handler, when it expires.
type uploadSlots struct {
	mu    sync.Mutex
	held  map[*fasthttp.RequestHeader]time.Time
	max   int
	lease time.Duration
	now   func() time.Time
}

func newUploadSlots(max int, lease time.Duration, now func() time.Time) *uploadSlots {
	return &uploadSlots{held: map[*fasthttp.RequestHeader]time.Time{}, max: max, lease: lease, now: now}
}

// take leases a slot to the request of h, and reports whether one was free.
func (u *uploadSlots) take(h *fasthttp.RequestHeader) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.now()
	for k, until := range u.held {
		if now.After(until) {
			delete(u.held, k)
		}
	}
	if _, ok := u.held[h]; !ok && len(u.held) >= u.max {
		return false
	}
	u.held[h] = now.Add(u.lease)
	return true
}

// release ends the lease of the request of h, if it holds one.
func (u *uploadSlots) release(h *fasthttp.RequestHeader) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.held, h)
}

// releaseUpload ends a request's upload lease once it has been answered.
// It is the outermost handler, so every request that reached the app
// passes it, whatever answered it.
func (s *Server) releaseUpload(c *fiber.Ctx) error {
	defer s.uploads.release(&c.Context().Request.Header)
	return c.Next()
}

// liveSession reports whether token is a signed-in session (second
// factor given) whose user a may let in. It is asked before a request's
// body is read, with only its header: fasthttp gives no request context
// there, so the lookup (one read by _id, as withSession's) is bounded by
// the console's database timeout on a context of its own.
func (s *Server) liveSession(token string, a access) bool {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ConsoleDBTimeout)
	defer cancel()
	sess, u, err := s.deps.Accounts.Current(ctx, token)
	if err != nil {
		if !errors.Is(err, account.ErrNoSession) {
			s.log.Warn("check the session of a large upload", "error", err)
		}
		return false
	}
	return !sess.Pending && a.allows(u)
}
