package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestAddPaperRows(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("paper", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}

	t.Run("invalid rows store nothing", func(t *testing.T) {
		rows := []campaign.PaperRow{
			{Name: "Jan Kowalski", City: "Gdańsk", Country: "pl"},          // fine
			{Name: strings.Repeat("a", campaign.NameMax+1), Country: "PL"}, // too long
			{Name: "Ewa", City: "Kraków"},                                  // no country
			{Name: "Olga", Country: "XX"},                                  // not a country
			{Name: "\u200b\u200b", City: "Vilnius", Country: "LT"},         // invisible only
			{}, // blank: skipped
		}
		_, err := svc.AddPaperRows(ctx, c, rows)
		var perr *campaign.PaperError
		if !errors.As(err, &perr) {
			t.Fatalf("error = %v, want a *PaperError", err)
		}
		want := map[int]campaign.FieldError{
			1: {Field: "name", Problem: campaign.ProblemTooLong, Limit: campaign.NameMax},
			2: {Field: "country", Problem: campaign.ProblemRequired},
			3: {Field: "country", Problem: campaign.ProblemCountry},
			4: {Field: "name", Problem: campaign.ProblemInvisible},
		}
		if len(perr.Rows) != len(want) {
			t.Errorf("problems in rows %v, want rows 1 to 4", perr.Rows)
		}
		for row, fe := range want {
			if got := perr.Rows[row]; len(got) != 1 || got[0] != fe {
				t.Errorf("row %d: problems %v, want %v", row, got, fe)
			}
		}
		if got := svc.Count(c.ID); got != 0 {
			t.Errorf("count = %d after a refused list, want 0", got)
		}
	})

	t.Run("blank rows only", func(t *testing.T) {
		if _, err := svc.AddPaperRows(ctx, c, []campaign.PaperRow{{}, {Country: "DE"}}); !errors.Is(err, campaign.ErrNothingToAdd) {
			t.Errorf("error = %v, want ErrNothingToAdd", err)
		}
	})

	t.Run("valid rows", func(t *testing.T) {
		n, err := svc.AddPaperRows(ctx, c, []campaign.PaperRow{
			{Name: "  Jan   Kowalski ", City: "Gdańsk", Country: " pl "},
			{},
			{Name: "Ewa", Country: "DE"},
		})
		if err != nil || n != 2 {
			t.Fatalf("AddPaperRows = %d, %v; want 2", n, err)
		}
		if got := svc.Count(c.ID); got != 2 {
			t.Errorf("count = %d, want 2", got)
		}
		p, err := svc.ListSignatures(ctx, c.ID, campaign.ListRequest{Filter: campaign.SignatureFilter{Source: campaign.SourcePaper}})
		if err != nil || len(p.Signatures) != 2 {
			t.Fatalf("paper signatures listed: %v, %v", ids(p.Signatures), err)
		}
		for _, s := range p.Signatures {
			if !strings.HasPrefix(s.ID, "p-") || s.Person.Email != "" || s.Updates || s.HasGreeting || !s.SignedAt.Equal(now) {
				t.Errorf("paper signature %+v", s)
			}
			if s.Person.Name == "Jan Kowalski" && (s.Person.Country != "PL" || s.Person.City != "Gdańsk") {
				t.Errorf("normalised row = %+v", s.Person)
			}
		}
	})
}

func TestAddPaperTally(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("tally", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		country, count string
		want           int64 // the country's count after, when valid
		problems       string
		total          int64 // the campaign's count after
	}{
		{"DE", "25", 25, "", 25},
		{" de ", "+5", 30, "", 30},
		{"PL", "7", 7, "", 37},
		{"DE", "-31", 0, "count:below_zero", 37},
		{"DE", "-30", 0, "", 7},
		{"DE", "-1", 0, "count:below_zero", 7},
		{"SE", "-1", 0, "count:below_zero", 7},
		{"", "5", 0, "country:required", 7},
		{"XX", "5", 0, "country:country", 7},
		{"DE", "", 0, "count:required", 7},
		{"DE", "abc", 0, "count:number", 7},
		{"DE", "1.5", 0, "count:number", 7},
		{"DE", "0", 0, "count:number", 7},
		{"DE", "1000001", 0, "count:number", 7},
		{"DE", "99999999999999999999", 0, "count:number", 7},
		{"", "", 0, "country:required count:required", 7},
	}
	for _, tt := range tests {
		got, err := svc.AddPaperTally(ctx, c, campaign.PaperTallyInput{Country: tt.country, Count: tt.count})
		var verr *campaign.ValidationError
		problems := ""
		if errors.As(err, &verr) {
			for _, f := range verr.Fields {
				problems += " " + f.Field + ":" + string(f.Problem)
			}
		} else if err != nil {
			t.Fatalf("AddPaperTally(%q, %q): %v", tt.country, tt.count, err)
		}
		if strings.TrimSpace(problems) != tt.problems || (tt.problems == "" && got != tt.want) {
			t.Errorf("AddPaperTally(%q, %q) = %d, problems %q; want %d, %q", tt.country, tt.count, got, problems, tt.want, tt.problems)
		}
		if n := svc.Count(c.ID); n != tt.total {
			t.Errorf("after AddPaperTally(%q, %q): count %d, want %d", tt.country, tt.count, n, tt.total)
		}
	}
	tallies, err := svc.PaperTallies(ctx, c.ID)
	if err != nil || len(tallies) != 1 || tallies[0].Country != "PL" || tallies[0].Count != 7 {
		t.Errorf("PaperTallies = %+v, %v; want PL 7 only (DE is back at zero)", tallies, err)
	}
	// Paper counts are in the count loaded at start-up, with the signatures.
	if _, err := svc.AddPaperRows(ctx, c, []campaign.PaperRow{{Name: "Ewa", Country: "PL"}}); err != nil {
		t.Fatal(err)
	}
	// The node writes what it counted, as it does every second and when
	// it stops; the next one starts from the counter documents.
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := campaign.NewService(svc.Store(), nopGreetings{}, nil, time.Now)
	if err := fresh.LoadCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Count(c.ID); got != 8 {
		t.Errorf("loaded count = %d, want 8 (7 counted, 1 typed in)", got)
	}
}

// TestAddPaperSheetRows types in rows of printed sheets by sheet and line
// number: each line can be typed in once.
func TestAddPaperSheetRows(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("sheets", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	row := func(name, sheet, line string) campaign.PaperRow {
		return campaign.PaperRow{Name: name, Country: "PL", Sheet: sheet, Line: line}
	}
	tests := []struct {
		name     string
		rows     []campaign.PaperRow
		added    int
		problems map[int]string // row → "field:problem …"
		total    int64          // the campaign's count after
	}{
		{"sheet 3 line 7", []campaign.PaperRow{row("Ewa", "3", "7")}, 1, nil, 1},
		{"sheet 3 line 7 again", []campaign.PaperRow{row("Olga", "3", "7")}, 0, map[int]string{0: "line:duplicate"}, 1},
		{"the printed number of the same line", []campaign.PaperRow{row("Olga", "3", "47")}, 0, map[int]string{0: "line:duplicate"}, 1},
		{"a duplicate refuses the whole list", []campaign.PaperRow{row("Jan", "3", "8"), row("Olga", " 3 ", "7")}, 0, map[int]string{1: "line:duplicate"}, 1},
		{"the same line twice in one list", []campaign.PaperRow{row("Jan", "3", "8"), row("Ola", "3", "48")}, 0, map[int]string{1: "line:duplicate"}, 1},
		{"line of another sheet", []campaign.PaperRow{row("Jan", "3", "21")}, 0, map[int]string{0: "line:number"}, 1},
		{"line without sheet", []campaign.PaperRow{row("Jan", "", "5")}, 0, map[int]string{0: "sheet:required"}, 1},
		{"sheet without line", []campaign.PaperRow{row("Jan", "4", "")}, 0, map[int]string{0: "line:required"}, 1},
		{"sheet not a number", []campaign.PaperRow{row("Jan", "three", "5")}, 0, map[int]string{0: "sheet:number"}, 1},
		{"sheet 3 other lines, and a row of no sheet", []campaign.PaperRow{row("Jan", "3", "48"), row("Ola", "3", "1"), row("Kasia", "", "")}, 3, nil, 4},
		{"sheet 4 line 7 is another line", []campaign.PaperRow{row("Olga", "4", "7")}, 1, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := svc.AddPaperRows(ctx, c, tt.rows)
			got := map[int]string{}
			var perr *campaign.PaperError
			if errors.As(err, &perr) {
				for i, fes := range perr.Rows {
					for _, fe := range fes {
						got[i] = strings.TrimSpace(got[i] + " " + fe.Field + ":" + string(fe.Problem))
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n != tt.added || len(got) != len(tt.problems) {
				t.Errorf("added %d, problems %v; want %d, %v", n, got, tt.added, tt.problems)
			}
			for i, want := range tt.problems {
				if got[i] != want {
					t.Errorf("row %d: problems %q, want %q", i, got[i], want)
				}
			}
			if total := svc.Count(c.ID); total != tt.total {
				t.Errorf("count = %d, want %d", total, tt.total)
			}
		})
	}
	sig, err := svc.Store().Signature(ctx, "p-"+c.ID+"-s3-l7")
	if err != nil || sig.Person.Name != "Ewa" || sig.Source != campaign.SourcePaper {
		t.Errorf("sheet 3 line 7 = %+v, %v; want Ewa's paper signature", sig, err)
	}
	if _, err := svc.Store().Signature(ctx, "p-"+c.ID+"-s3-l8"); err != nil {
		t.Errorf("sheet 3 line 48 (its 8th line): %v", err)
	}
}

func TestAddPaperRowHiddenName(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("hidden", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err := svc.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		hide bool
		want campaign.NameDisplay
	}{
		{"1", false, campaign.NameFull},
		{"2", true, campaign.NameCountry},
	}
	for _, tt := range tests {
		if _, err := svc.AddPaperRows(ctx, c, []campaign.PaperRow{{Name: "Ewa", Country: "BY", Sheet: "1", Line: tt.line, HideName: tt.hide}}); err != nil {
			t.Fatal(err)
		}
		sig, err := svc.Store().Signature(ctx, "p-"+c.ID+"-s1-l"+tt.line)
		if err != nil || sig.Person.Display != tt.want {
			t.Errorf("hide %v: display %q, %v; want %q", tt.hide, sig.Person.Display, err, tt.want)
		}
	}
}
