package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// ErrorPage explains a failed request.
type ErrorPage struct {
	Page
	Status  int
	Message string
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
	}
	return fiber.StatusInternalServerError
}

// handleError is the one place where errors become responses. Server
// errors are logged and never shown: the visitor gets a calm page.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	if status >= 500 {
		s.log.Error("request failed", "route", c.Route().Path, "error", err)
	}
	if strings.HasPrefix(c.Path(), "/api/") {
		code := strings.ReplaceAll(strings.ToLower(fiberStatusText(status)), " ", "_")
		return c.Status(status).JSON(APIError{Error: APIErrorBody{Code: code, Message: fiberStatusText(status)}})
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
		Page:    s.page(c, t.T("error_page."+key+".title")),
		Status:  status,
		Message: t.T("error_page." + key + ".message"),
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
