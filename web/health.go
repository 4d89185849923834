package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/internal/database"
)

// The health checks for load balancers and orchestrators: /healthz says
// the process answers, /readyz that the database does too, with a line on
// the scheduled backups when there are any.

func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// readyTimeout bounds the database check of /readyz.
const readyTimeout = 2 * time.Second

func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	if err := s.deps.DB.Ping(ctx); err != nil {
		reason := database.Reason(err)
		s.reqLog(c).Warn("not ready", "reason", reason)
		c.Set(fiber.HeaderRetryAfter, retryAfter)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable: " + reason)
	}
	body := "ok"
	// A detail line, never a reason to be not ready.
	if line := s.backupDetail(ctx); line != "" {
		body += "\n" + line
	}
	return c.SendString(body)
}
