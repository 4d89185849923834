package pdf

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testDate = time.Date(2026, time.July, 12, 10, 0, 0, 0, time.UTC)

// People to sign test bundles, in the scripts a bundle must print.
var (
	firstNames = []string{"Anna", "Jonas", "Алесь", "Наталля", "Γιώργος", "Ελένη", "ნინო", "გიორგი",
		"Արամ", "Łukasz", "Zoë", "Søren", "Иван", "Олена", "Māris", "Jürgen"}
	lastNames = []string{"Kowalska", "Petrauskas", "Бяляцкі", "Пінчук", "Παπαδόπουλος", "Οικονόμου",
		"ბერიძე", "კაპანაძე", "Սարգսյան", "Żak", "Dubois", "Nørgaard", "Петров", "Шевченко", "Ozoliņš", "Müller"}
	places = [][2]string{{"Vilnius", "Lithuania"}, {"Warszawa", "Poland"}, {"Мінск", "Belarus"},
		{"Αθήνα", "Greece"}, {"თბილისი", "Georgia"}, {"Երևան", "Armenia"}, {"Berlin", "Germany"},
		{"", "France"}, {"Київ", "Ukraine"}, {"Rīga", "Latvia"}}
)

// testSigner returns the i-th (from 0) signer of a test bundle. Every name
// is unique and none is part of another, so a test can find each exactly
// once.
func testSigner(i int) Signer {
	p := places[i%len(places)]
	return Signer{
		Name:    fmt.Sprintf("%s %s %06d", firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)], i+1),
		City:    p[0],
		Country: p[1],
	}
}

func signers(n int) iter.Seq2[Signer, error] {
	return func(yield func(Signer, error) bool) {
		for i := range n {
			if !yield(testSigner(i), nil) {
				return
			}
		}
	}
}

var greetingTexts = []string{
	"Dear Ales, we think of you every day. You are not alone.",
	"Мы помним о вас и ждём вас дома. Держитесь!",
	"Σας στέλνουμε δύναμη και αγάπη από την Αθήνα.",
	"გისურვებთ ძალას და მალე გათავისუფლებას.",
	"Solidarity from Berlin! Stay strong.\n\nWe wrote to the embassy again last week, and we will keep writing until you are free.",
	"Ձեզ հետ ենք։ Ուժ և համբերություն։",
}

func testGreeting(i int) Greeting {
	s := testSigner(i)
	name := fmt.Sprintf("%s G%05d", firstNames[(i+3)%len(firstNames)], i+1)
	return Greeting{Text: greetingTexts[i%len(greetingTexts)], Name: name, City: s.City, Country: s.Country}
}

func greetingSeq(gs []Greeting) iter.Seq2[Greeting, error] {
	return func(yield func(Greeting, error) bool) {
		for _, g := range gs {
			if !yield(g, nil) {
				return
			}
		}
	}
}

func testGreetings(n int) []Greeting {
	gs := make([]Greeting, n)
	for i := range gs {
		gs[i] = testGreeting(i)
	}
	return gs
}

func testBundle(rows, greetings int) Bundle {
	return Bundle{
		Title: "Send a message to Ales Bialiatski",
		Letter: "Dear Ales,\n\nPeople from many countries signed this letter to tell you that they " +
			"know about you, think of you and are waiting for you to be free.\n\nWith them come " +
			"their names and their messages, one on each card.",
		Organizer:      "Viasna Solidarity Group",
		Date:           testDate,
		Recipient:      Address{Name: "Ales Bialiatski", Lines: []string{"Correctional Colony No. 9", "ul. Sovetskaya 22", "213410 Gorki"}, Country: "Belarus"},
		Sender:         []string{"Solidarity Letters", "PO Box 12", "10117 Berlin", "Germany"},
		SignatureCount: rows, CountryCount: len(places),
		Texts:         englishTexts(),
		Lang:          "en",
		Signatures:    signers(rows),
		SignatureRows: rows,
		Greetings:     greetingSeq(testGreetings(greetings)),
	}
}

// englishTexts are the fixed texts in English, worded as the catalog words
// them; pdf knows no catalog, so its tests build their own.
func englishTexts() Texts {
	number := func(n int) string {
		s := strconv.Itoa(n)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	}
	plural := func(n int, one, other string) string {
		if n == 1 {
			return number(n) + " " + one
		}
		return number(n) + " " + other
	}
	return Texts{
		Signatures: "Signatures", Greetings: "Messages of support",
		NumberColumn: "No.", NameColumn: "Name", CityColumn: "City", CountryColumn: "Country",
		Original:    "Original:",
		Unprintable: "The text of this message cannot be printed: its script is not supported.",
		Footer: func(envelope, envelopes, page, pages int) string {
			return fmt.Sprintf("Letter %d of %d · page %d of %d", envelope, envelopes, page, pages)
		},
		Envelope: func(envelope, envelopes int) string { return fmt.Sprintf("Letter %d of %d", envelope, envelopes) },
		Title:    func(envelope, envelopes int) string { return fmt.Sprintf("letter %d of %d", envelope, envelopes) },
		Signed: func(people, countries int) string {
			if countries == 0 {
				return "Signed by " + plural(people, "person", "people") + "."
			}
			return "Signed by " + plural(people, "person", "people") + " from " + plural(countries, "country", "countries") + "."
		},
		Totals: func(envelopes, pages int) string {
			return fmt.Sprintf("Letters: %s. Pages: %s. Every page shows its letter and page number.", number(envelopes), number(pages))
		},
		Supporter: func(country string) string { return "a supporter from " + country },
		Date:      func(t time.Time) string { return fmt.Sprintf("%d %s %d", t.Day(), t.Month(), t.Year()) },
		Number:    number,
	}
}

// rendered is an unpacked bundle.
type rendered struct {
	man   Manifest
	zip   []byte
	files map[string][]byte
	names []string // in archive order
}

func renderBundle(t testing.TB, b Bundle) rendered {
	t.Helper()
	var buf bytes.Buffer
	man, err := Render(context.Background(), b, &buf)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	out := rendered{man: man, zip: buf.Bytes(), files: map[string][]byte{}}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("open archive: %v", err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		out.files[f.Name] = data
		out.names = append(out.names, f.Name)
	}
	if dir := os.Getenv("PDF_SAMPLE_DIR"); dir != "" {
		sub := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range out.files {
			if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// envelopes returns the envelopes' PDFs in order.
func (r rendered) envelopes() [][]byte {
	var out [][]byte
	for _, l := range r.man.Envelopes {
		out = append(out, r.files[l.File])
	}
	return out
}

// needTool skips the test if a command-line tool is missing, unless the CI
// environment variable is set: CI installs poppler-utils and qpdf, and a
// test that silently skips there could not fail.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing (install poppler-utils and qpdf)", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// runTool runs a tool on a PDF given on standard input or in a temporary
// file and returns its standard output.
func runTool(t testing.TB, data []byte, name string, args ...string) string {
	t.Helper()
	needTool(t, name)
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "IN" {
			args[i] = f
		}
	}
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// pdfText extracts the text of a PDF with pdftotext.
func pdfText(t testing.TB, data []byte) string {
	t.Helper()
	return runTool(t, data, "pdftotext", "-enc", "UTF-8", "IN", "-")
}
