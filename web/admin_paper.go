package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/country"
)

// Signatures collected on paper: counted per country, or typed in row by row.

// PaperPage adds signatures collected on paper, counted or typed in.
type PaperPage struct {
	AdminPage
	CampaignHeader
	Countries   []country.Country
	Tallies     []TallyRow
	TallyTotal  int64
	Tally       TallyForm
	Sheet       SheetForm
	Print       PrintForm
	Languages   []LanguageOption
	PaperHref   string
	ErrorPrefix string
}

// TallyRow is one country's paper count.
type TallyRow struct {
	Code, Name string
	Count      int64
}

// TallyForm is the count-per-country form as typed.
type TallyForm struct {
	Country, Count string
	Errors         map[string]string
	Problems       []FieldProblem
}

// SheetForm is the form to type in a paper list: a country for the whole
// sheet and rows of name, city and country.
type SheetForm struct {
	Country string
	// Number is the number of the printed blank sheet being typed in, or
	// empty for any other list; its rows then carry line numbers.
	Number   string
	Rows     []SheetRow
	Errors   map[string]string // the sheet's own fields
	Problems []FieldProblem
	// Notice explains a refusal that is about no one field.
	Notice      string
	MoreRowsURL string
}

// SheetRow is one typed-in row and its problems.
type SheetRow struct {
	N                   int // from 1
	Label               string
	Line                string // on a printed sheet
	Name, City, Country string
	// HideName is ticked when the signer left the sheet's "print my name"
	// box empty.
	HideName bool
	Errors   map[string]string
}

// DescribedBy returns the ID of a field's error message, if it has one.
func (r SheetRow) DescribedBy(field string) string {
	if r.Errors[field] == "" {
		return ""
	}
	return fmt.Sprintf("e-r%d-%s", r.N, field)
}

// Sheet sizes: rows shown at first, and at most.
const (
	sheetRows    = 10
	sheetRowsMax = 50
)

func (s *Server) paperPage(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.Query("rows"))
	return s.renderPaper(c, fiber.StatusOK, camp, TallyForm{}, SheetForm{Rows: make([]SheetRow, min(max(n, sheetRows), sheetRowsMax))}, PrintForm{})
}

func (s *Server) renderPaper(c *fiber.Ctx, status int, camp *campaign.Campaign, tally TallyForm, sheet SheetForm, print PrintForm) error {
	t := s.localizer(c)
	tallies, err := s.deps.Signing.PaperTallies(c.UserContext(), camp.ID)
	if err != nil {
		return err
	}
	title := t.T("signatures.paper.title", "Title", camp.Title)
	if len(tally.Problems) > 0 || len(sheet.Problems) > 0 || sheet.Notice != "" || len(print.Problems) > 0 {
		title = t.T("signatures.error_title", "Title", title)
	}
	p := PaperPage{
		AdminPage:      s.adminPage(c, title),
		CampaignHeader: s.campaignHeader(c, camp, "/paper"),
		Countries:      s.deps.Countries.List(t.Tag()),
		Tally:          tally,
		Sheet:          sheet,
		Print:          print,
		Languages:      s.languageOptions(),
		ErrorPrefix:    t.T("form.error_prefix"),
	}
	if p.Print.Lang == "" {
		p.Print = PrintForm{Lang: s.sheetLanguage(c, camp).String(), Sheets: "1", First: "1"}
	}
	p.PaperHref = p.Base + "/signatures?source=paper"
	for _, tl := range tallies {
		p.Tallies = append(p.Tallies, TallyRow{Code: tl.Country, Name: s.deps.Countries.Name(t.Tag(), tl.Country), Count: tl.Count})
		p.TallyTotal += tl.Count
	}
	for i := range p.Sheet.Rows {
		p.Sheet.Rows[i].N = i + 1
		p.Sheet.Rows[i].Label = t.T("signatures.paper.sheet.row", "Row", t.Number(int64(i+1)))
	}
	if len(p.Sheet.Rows) < sheetRowsMax {
		p.Sheet.MoreRowsURL = fmt.Sprintf("%s/paper?rows=%d#sheet", p.Base, min(len(p.Sheet.Rows)+sheetRows*2, sheetRowsMax))
	}
	return s.render(c, status, "admin/paper", p)
}

func (s *Server) paperTally(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	form := TallyForm{Country: strings.TrimSpace(formValue(c, "country")), Count: strings.TrimSpace(formValue(c, "count"))}
	n, err := s.deps.Signing.AddPaperTally(c.UserContext(), camp, campaign.PaperTallyInput{Country: form.Country, Count: form.Count})
	var verr *campaign.ValidationError
	switch {
	case errors.As(err, &verr):
		t := s.localizer(c)
		form.Errors = map[string]string{}
		for _, f := range verr.Fields {
			msg := s.signatureProblem(t, campaign.FieldError{Field: "tally_" + f.Field, Problem: f.Problem, Limit: f.Limit})
			form.Errors[f.Field] = msg
			form.Problems = append(form.Problems, FieldProblem{Field: "t-" + f.Field, Message: msg})
		}
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, form, SheetForm{Rows: make([]SheetRow, sheetRows)}, PrintForm{})
	case err != nil:
		return err
	}
	change := form.Count
	if !strings.HasPrefix(change, "-") && !strings.HasPrefix(change, "+") {
		change = "+" + change
	}
	code := strings.ToUpper(form.Country)
	if err := s.record(c, audit.PaperAdded, camp.Slug, fmt.Sprintf("count %s %s, now %d", code, change, n)); err != nil {
		return err
	}
	return c.Redirect(signaturesBase(camp)+"/paper?done=paper_counted", fiber.StatusSeeOther)
}

func (s *Server) paperRows(c *fiber.Ctx) error {
	camp, err := s.consoleCampaign(c)
	if err != nil {
		return err
	}
	t := s.localizer(c)
	n, _ := strconv.Atoi(formValue(c, "rows"))
	n = min(max(n, 1), sheetRowsMax)
	sheet := SheetForm{
		Country: strings.ToUpper(strings.TrimSpace(formValue(c, "sheet_country"))),
		Number:  strings.TrimSpace(formValue(c, "sheet_number")),
		Errors:  map[string]string{},
	}
	rows := make([]campaign.PaperRow, n)
	for i := range n {
		r := SheetRow{
			Line:     strings.TrimSpace(formValue(c, fmt.Sprintf("line_%d", i+1))),
			Name:     formValue(c, fmt.Sprintf("name_%d", i+1)),
			City:     formValue(c, fmt.Sprintf("city_%d", i+1)),
			Country:  strings.ToUpper(strings.TrimSpace(formValue(c, fmt.Sprintf("country_%d", i+1)))),
			HideName: formValue(c, fmt.Sprintf("hide_%d", i+1)) == "1",
		}
		sheet.Rows = append(sheet.Rows, r)
		rows[i] = campaign.PaperRow{Name: r.Name, City: r.City, Country: r.Country, Sheet: sheet.Number, Line: r.Line, HideName: r.HideName}
		if rows[i].Country == "" {
			rows[i].Country = sheet.Country
		}
	}
	if sheet.Country != "" && !country.Valid(sheet.Country) {
		msg := s.signatureProblem(t, campaign.FieldError{Field: "sheet_country", Problem: campaign.ProblemCountry})
		sheet.Errors["country"] = msg
		sheet.Problems = append(sheet.Problems, FieldProblem{Field: "s-country", Message: msg})
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet, PrintForm{})
	}
	added, err := s.deps.Signing.AddPaperRows(c.UserContext(), camp, rows)
	var perr *campaign.PaperError
	switch {
	case errors.As(err, &perr):
		if perr.Added > 0 {
			// Someone typed in some of the same lines at the same moment:
			// the other rows are stored, and only those refused stay in
			// the form.
			if err := s.record(c, audit.PaperAdded, camp.Slug, fmt.Sprintf("%d typed in", perr.Added)); err != nil {
				return err
			}
			kept, problems := []SheetRow{}, map[int][]campaign.FieldError{}
			for i, r := range sheet.Rows {
				if len(perr.Rows[i]) > 0 {
					problems[len(kept)] = perr.Rows[i]
					kept = append(kept, r)
				}
			}
			sheet.Rows, perr.Rows = kept, problems
			sheet.Notice = t.T("papersheets.partly_added", "Count", t.Number(int64(perr.Added)))
		}
		for i := range sheet.Rows {
			for _, f := range perr.Rows[i] {
				field := f.Field
				if field == "sheet" {
					// One sheet number for the whole list: its problem is
					// shown there, once.
					if sheet.Errors["sheet"] == "" {
						msg := s.signatureProblem(t, campaign.FieldError{Field: "row_sheet", Problem: f.Problem, Limit: f.Limit})
						sheet.Errors["sheet"] = msg
						sheet.Problems = append(sheet.Problems, FieldProblem{Field: "s-sheet", Message: msg})
					}
					continue
				}
				if sheet.Rows[i].Errors == nil {
					sheet.Rows[i].Errors = map[string]string{}
				}
				if field == "country" && sheet.Rows[i].Country == "" {
					// The row took the sheet's country, which is missing.
					field = "sheet_country"
				}
				msg := s.signatureProblem(t, campaign.FieldError{Field: "row_" + field, Problem: f.Problem, Limit: f.Limit})
				sheet.Rows[i].Errors[f.Field] = msg
				sheet.Problems = append(sheet.Problems, FieldProblem{
					Field:   fmt.Sprintf("r%d-%s", i+1, f.Field),
					Message: t.T("signatures.paper.row_problem", "Row", t.Number(int64(i+1)), "Message", msg),
				})
			}
		}
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet, PrintForm{})
	case errors.Is(err, campaign.ErrNothingToAdd):
		sheet.Notice = t.T("signatures.paper.nothing")
		return s.renderPaper(c, fiber.StatusUnprocessableEntity, camp, TallyForm{}, sheet, PrintForm{})
	case err != nil:
		return err
	}
	what := fmt.Sprintf("%d typed in", added)
	if sheet.Number != "" {
		what = fmt.Sprintf("%d typed in from sheet %s", added, sheet.Number)
	}
	if err := s.record(c, audit.PaperAdded, camp.Slug, what); err != nil {
		return err
	}
	return c.Redirect(signaturesBase(camp)+"/paper?done=paper_typed#sheet", fiber.StatusSeeOther)
}
