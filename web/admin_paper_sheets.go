package web

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/pdf"
)

// Blank signature sheets to print for a street stand: the paper page's
// "Print blank sheets" form asks for a PDF of them (pdf.RenderSheet).

// PrintForm is the form for blank signature sheets, as typed.
type PrintForm struct {
	Lang, Sheets, First string
	Errors              map[string]string
	Problems            []FieldProblem
}

// The printed sheets' numbering must be the one rows are typed in by.
var _ = [1]struct{}{}[pdf.SheetLines-campaign.SheetLines+pdf.MaxSheetNumber-campaign.MaxSheetNumber]

// sheetLanguage is the language blank sheets are printed in unless the
// organizer chooses another: the campaign's own when the site speaks it,
// else the console's.
func (s *Server) sheetLanguage(c *fiber.Ctx, camp *campaign.Campaign) language.Tag {
	if tag, ok := s.deps.Messages.Supported(camp.TextLanguage()); ok {
		return tag
	}
	return s.localizer(c).Tag()
}

// paperSheets answers with a PDF of blank signature sheets, or with the
// paper page and the form's problems.
func (s *Server) paperSheets(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	form := PrintForm{
		Lang:   strings.TrimSpace(c.Query("lang")),
		Sheets: strings.TrimSpace(c.Query("sheets")),
		First:  strings.TrimSpace(c.Query("first")),
		Errors: map[string]string{},
	}
	tag, langOK := s.deps.Messages.Supported(form.Lang)
	count, countOK := wholeIn(form.Sheets, pdf.MaxSheetCount)
	first, firstOK := wholeIn(form.First, pdf.MaxSheetNumber)
	if !langOK || !countOK || !firstOK {
		t := s.localizer(c)
		for _, p := range []struct {
			field string
			ok    bool
			fe    campaign.FieldError
		}{
			{"lang", langOK, campaign.FieldError{Field: "print_lang", Problem: campaign.ProblemChoice}},
			{"sheets", countOK, campaign.FieldError{Field: "print_sheets", Problem: campaign.ProblemNumber, Limit: pdf.MaxSheetCount}},
			{"first", firstOK, campaign.FieldError{Field: "print_first", Problem: campaign.ProblemNumber, Limit: pdf.MaxSheetNumber}},
		} {
			if p.ok {
				continue
			}
			msg := s.signatureProblem(t, p.fe)
			form.Errors[p.field] = msg
			form.Problems = append(form.Problems, FieldProblem{Field: "p-" + p.field, Message: msg})
		}
		if !langOK {
			form.Lang = s.sheetLanguage(c, camp).String()
		}
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, SheetForm{Rows: make([]SheetRow, sheetRows)}, form)
	}
	t := s.deps.Messages.Localizer(tag)
	text, _ := camp.TextIn(tag.String())
	var buf bytes.Buffer
	err = pdf.RenderSheet(c.UserContext(), pdf.Sheet{
		Title:   text.Title,
		Summary: text.Summary,
		URL:     s.baseURL(c) + "/c/" + url.PathEscape(camp.Slug),
		Lang:    tag.String(),
		First:   first,
		Count:   count,
		Date:    camp.CreatedAt,
		Texts:   sheetTexts(t),
	}, &buf)
	if err != nil {
		return fmt.Errorf("print blank sheets of %s: %w", camp.Slug, err)
	}
	last := first + count - 1
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Attachment(fmt.Sprintf("sheets-%s-%d-%d.pdf", camp.Slug, first, last))
	return c.Send(buf.Bytes())
}

// wholeIn parses a whole number from 1 to max.
func wholeIn(s string, max int) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= max
}

// sheetTexts are the fixed words of a blank sheet in t's language.
func sheetTexts(t *i18n.Localizer) pdf.SheetTexts {
	return pdf.SheetTexts{
		Heading:         t.T("papersheets.pdf.heading"),
		NumberColumn:    t.T("papersheets.pdf.col.number"),
		NameColumn:      t.T("papersheets.pdf.col.name"),
		CityColumn:      t.T("papersheets.pdf.col.city"),
		CountryColumn:   t.T("papersheets.pdf.col.country"),
		SignatureColumn: t.T("papersheets.pdf.col.signature"),
		PrintColumn:     t.T("papersheets.pdf.col.print"),
		Online:          t.T("papersheets.pdf.online"),
		Notice:          t.T("papersheets.pdf.notice"),
		Sheet:           func(n int) string { return t.T("papersheets.pdf.sheet", "Sheet", t.Number(int64(n))) },
		Footer: func(n int, u string) string {
			return t.T("papersheets.pdf.footer", "Sheet", t.Number(int64(n)), "URL", u)
		},
		Number: func(n int) string { return t.Number(int64(n)) },
	}
}
