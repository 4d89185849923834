package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// CatalogReviewPage lists the translations of the site's own texts that
// their translators marked as uncertain, for an organization's translator
// to check.
type CatalogReviewPage struct {
	AdminPage
	Groups []ReviewGroup
}

// ReviewGroup is one language's marked texts.
type ReviewGroup struct {
	Lang, Name string
	Items      []ReviewItem
}

// ReviewItem is one marked text: the English source, its translation, and
// why the translator marked it.
type ReviewItem struct {
	ID, English, Translation, Note string
}

func (s *Server) catalogReview(c *fiber.Ctx) error {
	t := s.localizer(c)
	p := CatalogReviewPage{AdminPage: s.adminPage(c, t.T("admin.review.title"))}
	cat := s.deps.Messages
	for _, m := range cat.Marks() {
		if len(p.Groups) == 0 || p.Groups[len(p.Groups)-1].Lang != m.Lang.String() {
			p.Groups = append(p.Groups, ReviewGroup{Lang: m.Lang.String(), Name: selfName(m.Lang)})
		}
		g := &p.Groups[len(p.Groups)-1]
		g.Items = append(g.Items, ReviewItem{ID: m.ID, English: cat.Text(i18n.Default(), m.ID), Translation: cat.Text(m.Lang, m.ID), Note: m.Note})
	}
	return s.render(c, fiber.StatusOK, "admin/catalog_review", p)
}
