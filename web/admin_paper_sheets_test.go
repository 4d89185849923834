package web_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// sheetText is the text of a PDF of blank sheets as pdftotext reads it,
// with runs of spaces made one.
func sheetText(t *testing.T, pdf string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is missing on CI")
		}
		t.Skip("needs pdftotext (poppler-utils) to read the sheets")
	}
	path := filepath.Join(t.TempDir(), "sheets.pdf")
	if err := os.WriteFile(path, []byte(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestPaperBlankSheets(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID

	page := org.get(t, base+"/paper")
	for _, want := range []string{"Print blank sheets", `action="` + base + `/paper/sheets.pdf"`, `name="sheets"`, `name="first"`,
		`<option value="be" lang="be">Беларуская</option>`, `name="sheet_number"`, `name="line_1"`, `name="hide_1"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the paper page lacks %q", want)
		}
	}

	tests := []struct {
		name    string
		query   url.Values
		status  int
		want    []string // in the PDF's text, or next to the field in error
		field   string   // the field in error
		noPages string   // text the PDF must not have
	}{
		{
			name: "two sheets from 3", query: url.Values{"lang": {"en"}, "sheets": {"2"}, "first": {"3"}}, status: http.StatusOK,
			want: []string{"Sign the letter", c.Title, c.Summary, "Sheet 3 · " + s.URL + "/c/ales", "Sheet 4 · " + s.URL + "/c/ales",
				" 41 ", " 80 ", "What we keep: your name, city and country, encrypted"},
			noPages: "Sheet 5",
		},
		{
			name: "in Belarusian", query: url.Values{"lang": {"be"}, "sheets": {"1"}, "first": {"1"}}, status: http.StatusOK,
			want: []string{"Падпішыце ліст", "Аркуш 1 · " + s.URL + "/c/ales", "Што мы захоўваем", c.Title},
		},
		{
			name: "no sheets", query: url.Values{"lang": {"en"}, "sheets": {"0"}, "first": {"1"}}, status: http.StatusUnprocessableEntity,
			field: "p-sheets", want: []string{"Enter a whole number of sheets from 1 to 50."},
		},
		{
			name: "51 sheets", query: url.Values{"lang": {"en"}, "sheets": {"51"}, "first": {"1"}}, status: http.StatusUnprocessableEntity,
			field: "p-sheets", want: []string{"Enter a whole number of sheets from 1 to 50."},
		},
		{
			name: "first sheet zero", query: url.Values{"lang": {"en"}, "sheets": {"1"}, "first": {"0"}}, status: http.StatusUnprocessableEntity,
			field: "p-first", want: []string{"Enter a whole sheet number from 1 to 9,999."},
		},
		{
			name: "unknown language", query: url.Values{"lang": {"xx"}, "sheets": {"1"}, "first": {"1"}}, status: http.StatusUnprocessableEntity,
			field: "p-lang", want: []string{"Choose one of the languages."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := org.get(t, base+"/paper/sheets.pdf?"+tt.query.Encode())
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d\n%.500s", res.Status, tt.status, res.Body)
			}
			if tt.status != http.StatusOK {
				for _, want := range tt.want {
					if !regexp.MustCompile(`id="e-` + tt.field + `">[^\n]*` + regexp.QuoteMeta(want)).MatchString(html.UnescapeString(res.Body)) {
						t.Errorf("no message %q next to %s", want, tt.field)
					}
				}
				if !strings.Contains(res.Body, `value="`+tt.query.Get("sheets")+`"`) {
					t.Errorf("the number of sheets typed is not kept")
				}
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(res.Body, "%PDF-") {
				t.Fatalf("Content-Type %q, body %.20q; want a PDF", ct, res.Body)
			}
			if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".pdf") {
				t.Errorf("Content-Disposition %q, want an attachment", cd)
			}
			text := " " + sheetText(t, res.Body) + " "
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("the sheets lack %q:\n%s", want, text)
				}
			}
			if tt.noPages != "" && strings.Contains(text, tt.noPages) {
				t.Errorf("the sheets have %q", tt.noPages)
			}
		})
	}
}

func TestPaperSheetLineTypedTwice(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID

	steps := []struct {
		name    string
		form    url.Values
		status  int
		want    []string // in the answer, unescaped
		count   int64
		inTheID string // the stored signature's ID, when one is stored
	}{
		{
			name: "sheet 3 line 7", status: http.StatusSeeOther, count: 1, inTheID: "-s3-l7",
			form: url.Values{"rows": {"10"}, "sheet_country": {"LT"}, "sheet_number": {"3"}, "line_1": {"7"}, "name_1": {"Rūta Kazlauskienė"}, "city_1": {"Vilnius"}},
		},
		{
			name: "sheet 3 line 7 again", status: http.StatusUnprocessableEntity, count: 1,
			form: url.Values{"rows": {"10"}, "sheet_country": {"LT"}, "sheet_number": {"3"}, "line_1": {"47"}, "name_1": {"Jonas Jonaitis"}, "line_2": {"8"}, "name_2": {"Ona"}},
			want: []string{"Row 1: This line of this sheet has been typed in already.", `id="e-r1-line"`, `value="Jonas Jonaitis"`, `value="Ona"`, `value="47"`},
		},
		{
			name: "a line without the sheet number", status: http.StatusUnprocessableEntity, count: 1,
			form: url.Values{"rows": {"10"}, "sheet_country": {"LT"}, "line_1": {"8"}, "name_1": {"Ona"}},
			want: []string{`id="e-s-sheet"`, "Enter the number of the sheet, or empty the line numbers."},
		},
		{
			name: "a line off the sheet", status: http.StatusUnprocessableEntity, count: 1,
			form: url.Values{"rows": {"10"}, "sheet_country": {"LT"}, "sheet_number": {"3"}, "line_1": {"61"}, "name_1": {"Ona"}},
			want: []string{`id="e-r1-line"`, "or the line's place on the sheet from 1 to 20."},
		},
		{
			name: "line 48 and a name not printed", status: http.StatusSeeOther, count: 2, inTheID: "-s3-l8",
			form: url.Values{"rows": {"10"}, "sheet_country": {"BY"}, "sheet_number": {"3"}, "line_1": {"48"}, "name_1": {"Ona"}, "hide_1": {"1"}},
		},
	}
	for _, st := range steps {
		res := org.post(t, base+"/paper/rows", st.form)
		if res.Status != st.status {
			t.Fatalf("%s: status %d, want %d", st.name, res.Status, st.status)
		}
		body := html.UnescapeString(res.Body)
		for _, want := range st.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the answer lacks %q", st.name, want)
			}
		}
		if got := s.Service.Count(c.ID); got != st.count {
			t.Errorf("%s: count %d, want %d", st.name, got, st.count)
		}
	}
	var paper []campaign.Signature
	for _, sig := range storedSignatures(t, s) {
		if sig.Source == campaign.SourcePaper {
			paper = append(paper, sig)
		}
	}
	if len(paper) != 2 {
		t.Fatalf("%d paper signatures stored, want 2", len(paper))
	}
	for _, sig := range paper {
		switch {
		case strings.HasSuffix(sig.ID, "-s3-l7"):
			if sig.Person.Name != "Rūta Kazlauskienė" || sig.Person.Display != campaign.NameFull {
				t.Errorf("sheet 3 line 7 holds %q (%s), want Rūta's, printed", sig.Person.Name, sig.Person.Display)
			}
		case strings.HasSuffix(sig.ID, "-s3-l8"):
			if sig.Person.Display != campaign.NameCountry {
				t.Errorf("sheet 3 line 48: display %q, want the name not printed", sig.Person.Display)
			}
		default:
			t.Errorf("paper signature %s is of no sheet line", sig.ID)
		}
	}
}
