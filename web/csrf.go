package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Forms are protected without cookies, so that they also work where
// cookies are blocked (embedded on partner sites): each form carries a
// token signed for its purpose with the time it was issued, and every
// unsafe request must come from our own origin (checkOrigin).

// TokenTTL is how long a rendered form can be sent back; spent sign form
// tokens are kept that long (app, campaign/abuse.Spent).
const TokenTTL = 24 * time.Hour

// Problems with a form token.
var (
	errTokenInvalid = errors.New("form token is missing or invalid")
	errTokenExpired = errors.New("form token has expired")
)

// tokens issues and checks form tokens.
type tokens struct {
	key []byte
	now func() time.Time
	ttl time.Duration
}

// issue returns a token for a form with the given purpose, e.g. the action
// it posts to: the time, 8 random bytes, so that no two forms share a
// token (a sign form's token signs once, see spendToken), and the MAC of
// both with the purpose. It is the one way a token is made.
func (t tokens) issue(purpose string) string {
	var head [16]byte
	binary.BigEndian.PutUint64(head[:8], uint64(t.now().Unix()))
	_, _ = rand.Read(head[8:]) // never fails
	return base64.RawURLEncoding.EncodeToString(append(head[:], t.mac(purpose, head[:])...))
}

// check verifies a token for purpose and returns when it was issued.
// Tokens without the random part, which versions before single-use tokens
// issued, pass until they expire.
func (t tokens) check(token, purpose string) (time.Time, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || (len(raw) != 8+8+16 && len(raw) != 8+16) {
		return time.Time{}, errTokenInvalid
	}
	head := raw[:len(raw)-16]
	if !hmac.Equal(raw[len(head):], t.mac(purpose, head)) {
		return time.Time{}, errTokenInvalid
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	now := t.now()
	if now.Sub(issued) > t.ttl || issued.After(now.Add(time.Minute)) {
		return issued, errTokenExpired
	}
	return issued, nil
}

func (t tokens) mac(purpose string, head []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(head)
	return m.Sum(nil)[:16]
}

// checkOrigin refuses unsafe requests that a browser says come from another
// site. Browsers send Origin with every POST; Referer is the fallback for
// old ones. A request with neither is refused too.
func (s *Server) checkOrigin(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return fiber.NewError(fiber.StatusForbidden, "cross-site request")
	}
	want := s.origin(c)
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		if !strings.EqualFold(o, want) {
			return fiber.NewError(fiber.StatusForbidden, "request from another origin")
		}
		return c.Next()
	}
	if r := c.Get(fiber.HeaderReferer); r != "" {
		u, err := url.Parse(r)
		if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, want) {
			return fiber.NewError(fiber.StatusForbidden, "request from another origin")
		}
		return c.Next()
	}
	return fiber.NewError(fiber.StatusForbidden, "request without origin")
}

// origin is the site's own origin: from the base URL when one is set,
// otherwise from the request as a trusted proxy forwarded it.
func (s *Server) origin(c *fiber.Ctx) string {
	if s.cfg.BaseURL != "" {
		u, err := url.Parse(s.cfg.BaseURL)
		if err == nil {
			return u.Scheme + "://" + u.Host
		}
	}
	return c.Protocol() + "://" + c.Hostname()
}

// baseURL is the site's public address, for links that leave the page
// (share links).
func (s *Server) baseURL(c *fiber.Ctx) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return s.origin(c)
}
