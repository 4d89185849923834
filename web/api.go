package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
)

// APICampaign is a campaign in the public JSON API.
type APICampaign struct {
	Slug       string          `json:"slug"`
	Title      string          `json:"title"`
	Signatures int64           `json:"signatures"`
	Goal       int             `json:"goal"`
	OpensAt    time.Time       `json:"opens_at"`
	ClosesAt   time.Time       `json:"closes_at"`
	Status     campaign.Status `json:"status"`
}

// APIError is the body of every API error response.
type APIError struct {
	Error APIErrorBody `json:"error"`
}

// APIErrorBody says what went wrong in words for developers and a code for
// programs.
type APIErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) apiCampaign(c *fiber.Ctx) error {
	camp, err := s.deps.Campaigns.Public(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(APICampaign{
		Slug:       camp.Slug,
		Title:      camp.Title,
		Signatures: s.deps.Campaigns.Count(camp.ID),
		Goal:       camp.Goal,
		OpensAt:    camp.OpensAt.UTC(),
		ClosesAt:   camp.ClosesAt.UTC(),
		Status:     camp.Status(s.cfg.Now()),
	})
}

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
		s.log.Warn("not ready", "error", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	return c.SendString("ok")
}
