package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// ErrorPage explains a failed request.
type ErrorPage struct {
	Page
	Status  int
	Message string
	// Console is set for a console user sent away from a page their role
	// may not use: the page leads back to the console, not to the campaigns.
	Console bool
	// RequestID is the request's id (observe.go), shown as a reference a
	// supporter can quote and the log has.
	RequestID string
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, campaign.ErrNotFound), errors.Is(err, campaign.ErrNotOpen):
		return fiber.StatusNotFound
	case errors.Is(err, campaign.ErrClosed):
		return fiber.StatusGone
	case database.Unavailable(err):
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// handleError is the one place where errors become responses. Server
// errors are logged and never shown: the visitor gets a calm page.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var moved *campaign.MovedError
	if errors.As(err, &moved) {
		if to, ok := movedPath(c.Path(), moved); ok {
			return s.redirectMoved(c, to)
		}
	}
	if c.Get(uploadsBusyHeader) != "" && statusOf(err) == fiber.StatusRequestEntityTooLarge {
		err = errUploadsBusy
	}
	status := statusOf(err)
	switch {
	case errors.Is(err, errUploadsBusy):
		c.Set(fiber.HeaderRetryAfter, "60")
		c.Set(fiber.HeaderCacheControl, "no-store")
	case status == fiber.StatusServiceUnavailable:
		// One line per request while the database is away, with no
		// driver text: readyz and the database's own log say more.
		s.reqLog(c).Warn("database unavailable", "route", c.Route().Path, "reason", database.Reason(err))
		c.Set(fiber.HeaderRetryAfter, retryAfter)
		c.Set(fiber.HeaderCacheControl, "no-store")
	case status >= 500:
		s.reqLog(c).Error("request failed", "route", c.Route().Path, "error", err)
	}
	if strings.HasPrefix(c.Path(), "/api/") {
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			cors(c) // browsers show the error body to the page that asked
		}
		code := strings.ReplaceAll(strings.ToLower(fiberStatusText(status)), " ", "_")
		return c.Status(status).JSON(APIError{Error: APIErrorBody{Code: code, Message: fiberStatusText(status), RequestID: requestID(c)}})
	}
	t := s.localizer(c)
	key := strconv.Itoa(status)
	if !s.deps.Messages.Has("error_page." + key + ".title") {
		key = "500"
		if status < 500 {
			key = "400"
		}
	}
	p := ErrorPage{
		Page:      s.page(c, t.T("error_page."+key+".title")),
		Status:    status,
		Message:   t.T("error_page." + key + ".message"),
		RequestID: requestID(c),
	}
	if errors.Is(err, errUploadsBusy) {
		p.Page = s.page(c, t.T("error_page.uploads_busy.title"))
		p.Message, p.Console = t.T("error_page.uploads_busy.message"), true
	}
	if errors.Is(err, errNotAllowed) {
		p.Page = s.page(c, t.T("error_page.role.title"))
		p.Message, p.Console = t.T("error_page.role.message"), true
	}
	return s.render(c, status, "error", p)
}

func fiberStatusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func (s *Server) notFound(c *fiber.Ctx) error { return fiber.ErrNotFound }

// movedPath is path with the segment that names the campaign by its old
// slug, the one after /c/ or /campaigns/, replaced by the current slug.
func movedPath(path string, m *campaign.MovedError) (string, bool) {
	parts := strings.Split(path, "/")
	for i := 1; i < len(parts); i++ {
		if parts[i] == m.From && (parts[i-1] == "c" || parts[i-1] == "campaigns") {
			parts[i] = m.To
			return strings.Join(parts, "/"), true
		}
	}
	return "", false
}

// redirectMoved sends a request for a campaign's old slug to its current
// one: 301 for reads, 308 for form posts so that the form arrives. Browsers
// must ask again each time, as a slug can be given back to its campaign.
func (s *Server) redirectMoved(c *fiber.Ctx, to string) error {
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		to += "?" + string(q)
	}
	status := fiber.StatusMovedPermanently
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		status = fiber.StatusPermanentRedirect
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Redirect(to, status)
}
