package web

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The organisation's blocked email domains (campaign/blocklist.go): one
// list for every campaign, edited by admins like the organisation's
// profile. A supporter whose address is at a blocked domain, or one of its
// subdomains, is refused with error.email.blocked_domain.

// BlockListPage is the block list's form.
type BlockListPage struct {
	AdminPage
	// Text is the list as typed, or as stored, one domain a line.
	Text     string
	Problems []FieldProblem
	Count    int64
	Saved    bool
	// ErrorPrefix is read out before each problem.
	ErrorPrefix string
}

func (s *Server) blockListForm(c *fiber.Ctx) error {
	domains, err := s.deps.Signing.BlockList().Domains(c.UserContext())
	if err != nil {
		return err
	}
	p := s.blockListPage(c, strings.Join(domains, "\n"), nil)
	p.Count, p.Saved = int64(len(domains)), c.Query("saved") != ""
	return s.render(c, fiber.StatusOK, "admin/blocklist", p)
}

func (s *Server) blockListPage(c *fiber.Ctx, text string, problems []campaign.DomainProblem) BlockListPage {
	t := s.localizer(c)
	title := t.T("abuse2.blocklist.title")
	if len(problems) > 0 {
		title = t.T("admin.form.error_title", "Title", title)
	}
	p := BlockListPage{AdminPage: s.adminPage(c, title), Text: text, ErrorPrefix: t.T("form.error_prefix")}
	for _, pr := range problems {
		p.Problems = append(p.Problems, FieldProblem{Field: "domains",
			Message: t.T("abuse2.blocklist.not_domain", "Line", t.Number(int64(pr.Line)), "Entry", pr.Entry)})
	}
	return p
}

func (s *Server) blockListSave(c *fiber.Ctx) error {
	text := strings.ReplaceAll(formValue(c, "domains"), "\r\n", "\n")
	domains, problems := campaign.ParseDomains(text)
	t := s.localizer(c)
	if len(domains) > campaign.BlockListMax {
		p := s.blockListPage(c, text, nil)
		p.Problems = append(p.Problems, FieldProblem{Field: "domains",
			Message: t.T("abuse2.blocklist.too_many", "Limit", t.Number(campaign.BlockListMax))})
		return s.render(c, fiber.StatusUnprocessableEntity, "admin/blocklist", p)
	}
	if len(problems) > 0 {
		return s.render(c, fiber.StatusUnprocessableEntity, "admin/blocklist", s.blockListPage(c, text, problems))
	}
	added, removed, err := s.deps.Signing.BlockList().Save(c.UserContext(), domains)
	if err != nil {
		return err
	}
	if len(added)+len(removed) > 0 {
		// Counts only: a domain can say who is behind it.
		detail := fmt.Sprintf("added %d, removed %d, now %d", len(added), len(removed), len(domains))
		if err := s.record(c, audit.BlockListChanged, "organisation", detail); err != nil {
			return err
		}
	}
	return c.Redirect("/admin/blocklist?saved=1", fiber.StatusSeeOther)
}
