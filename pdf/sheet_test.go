package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func englishSheet(first, count int) Sheet {
	return Sheet{
		Title:   "Free Ales Bialiatski",
		Summary: "Ales has been in prison since 2021. Sign the letter that tells him he is not forgotten.",
		URL:     "https://letters.example.org/c/free-ales",
		Lang:    "en",
		First:   first,
		Count:   count,
		Date:    testDate,
		Texts: SheetTexts{
			Heading:      "Sign the letter",
			NumberColumn: "No.", NameColumn: "Name", CityColumn: "City", CountryColumn: "Country",
			SignatureColumn: "Signature", PrintColumn: "Print my name",
			Online: "Or sign online:",
			Notice: "What is stored: name, city and country, encrypted. What is printed: the letter goes to the prison, whose staff read it.",
			Sheet:  func(n int) string { return fmt.Sprintf("Sheet %d", n) },
			Footer: func(n int, url string) string { return fmt.Sprintf("Sheet %d · %s", n, url) },
			Number: strconv.Itoa,
		},
	}
}

func renderSheet(t testing.TB, s Sheet) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderSheet(context.Background(), s, &buf); err != nil {
		t.Fatalf("RenderSheet: %v", err)
	}
	return buf.Bytes()
}

// pageTexts splits pdftotext's output into pages.
func pageTexts(t testing.TB, data []byte) []string {
	t.Helper()
	pages := strings.Split(runTool(t, data, "pdftotext", "-layout", "-enc", "UTF-8", "IN", "-"), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}

func TestRenderSheet(t *testing.T) {
	cyrillic := englishSheet(1, 1)
	cyrillic.Lang, cyrillic.Title, cyrillic.Summary = "be", "Волю Алесю Бяляцкаму", "Алесь у зняволенні з 2021 года. Падпішыце ліст."
	cyrillic.Texts.Notice = "Што захоўваецца: імя, горад і краіна, зашыфраваныя."
	tests := []struct {
		name        string
		sheet       Sheet
		wantPages   int
		wantInPage  [][]string // per page
		wantNumbers [][2]int   // per page: first and last line number
	}{
		{
			name: "one sheet", sheet: englishSheet(1, 1), wantPages: 1,
			wantInPage: [][]string{{"Sign the letter", "Free Ales Bialiatski", "Ales has been in prison since 2021.",
				"Sheet 1", "No.", "Signature", "Print my", "What is stored: name, city and country",
				"Or sign online:", "https://letters.example.org/c/free-ales"}},
			wantNumbers: [][2]int{{1, 20}},
		},
		{
			name: "numbering continues", sheet: englishSheet(3, 2), wantPages: 2,
			wantInPage:  [][]string{{"Sheet 3 · https://letters.example.org/c/free-ales"}, {"Sheet 4 · https://letters.example.org/c/free-ales"}},
			wantNumbers: [][2]int{{41, 60}, {61, 80}},
		},
		{
			name: "cyrillic", sheet: cyrillic, wantPages: 1,
			wantInPage:  [][]string{{"Волю Алесю Бяляцкаму", "Алесь у зняволенні з 2021 года.", "Што захоўваецца"}},
			wantNumbers: [][2]int{{1, 20}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages := pageTexts(t, renderSheet(t, tc.sheet))
			if len(pages) != tc.wantPages {
				t.Fatalf("%d pages, want %d", len(pages), tc.wantPages)
			}
			for i, page := range pages {
				flat := strings.Join(strings.Fields(page), " ")
				for _, want := range tc.wantInPage[i] {
					if !strings.Contains(flat, want) {
						t.Errorf("page %d lacks %q:\n%s", i+1, want, page)
					}
				}
				got := lineNumbers(page)
				lo, hi := tc.wantNumbers[i][0], tc.wantNumbers[i][1]
				if len(got) != SheetLines || got[0] != lo || got[len(got)-1] != hi {
					t.Errorf("page %d: line numbers %v, want %d to %d", i+1, got, lo, hi)
				}
			}
		})
	}
}

// lineNumbers returns the numbers that start lines of pdftotext's layout
// output and stand alone there: the sheet's line numbers.
func lineNumbers(page string) []int {
	var out []int
	for l := range strings.SplitSeq(page, "\n") {
		f := strings.Fields(l)
		if len(f) != 1 {
			continue
		}
		if n, err := strconv.Atoi(f[0]); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func TestRenderSheetRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Sheet)
	}{
		{"no sheets", func(s *Sheet) { s.Count = 0 }},
		{"too many sheets", func(s *Sheet) { s.Count = MaxSheetCount + 1 }},
		{"first sheet zero", func(s *Sheet) { s.First = 0 }},
		{"relative address", func(s *Sheet) { s.URL = "/c/free-ales" }},
		{"no notice", func(s *Sheet) { s.Texts.Notice = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := englishSheet(1, 1)
			tc.change(&s)
			if err := RenderSheet(context.Background(), s, io.Discard); !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestSheetQRCode decodes the printed QR code from a picture of the page,
// as a phone would.
func TestSheetQRCode(t *testing.T) {
	needTool(t, "pdftoppm")
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is missing on CI (.ci/run installs zbar-tools)")
		}
		t.Skip("zbarimg is not installed: apt-get install zbar-tools to decode the QR code")
	}
	for _, url := range []string{"https://letters.example.org/c/free-ales", "http://127.0.0.1:8080/c/%D0%B2%D0%BE%D0%BB%D1%8F-2027"} {
		t.Run(url, func(t *testing.T) {
			s := englishSheet(2, 1)
			s.URL = url
			dir := t.TempDir()
			in := filepath.Join(dir, "sheet.pdf")
			if err := os.WriteFile(in, renderSheet(t, s), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("pdftoppm", "-png", "-r", "150", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			out, err := exec.Command("zbarimg", "-q", "--raw", filepath.Join(dir, "page.png")).Output()
			if err != nil {
				t.Fatalf("zbarimg found no code: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != url {
				t.Errorf("QR code = %q, want %q", got, url)
			}
		})
	}
}

// BenchmarkRenderSheet renders 1 and 50 blank sheets.
//
//	go test -run '^$' -bench RenderSheet ./pdf/
func BenchmarkRenderSheet(b *testing.B) {
	for _, n := range []int{1, MaxSheetCount} {
		b.Run(fmt.Sprintf("sheets=%d", n), func(b *testing.B) {
			s := englishSheet(1, n)
			size := 0
			for b.Loop() {
				var buf bytes.Buffer
				if err := RenderSheet(context.Background(), s, &buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sheets/s")
		})
	}
}
