package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// allText extracts the text of every envelope in order.
func allText(t *testing.T, r rendered) string {
	t.Helper()
	var b strings.Builder
	for _, l := range r.envelopes() {
		b.WriteString(pdfText(t, l))
	}
	return b.String()
}

func TestRenderPrintsEveryNameOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		rows      int
		paper     Paper
		layout    Layout
		sheets    int
		envelopes int
	}{
		{"A4 list", 400, A4, LayoutList, 3, 4},
		{"Letter postcards", 300, Letter, LayoutPostcards, 4, 3},
		{"one envelope", 20, A4, LayoutList, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := testBundle(tc.rows, 9)
			b.Paper, b.Layout, b.MaxSheets = tc.paper, tc.layout, tc.sheets
			r := renderBundle(t, b)
			if got := len(r.man.Envelopes); got != tc.envelopes {
				t.Errorf("got %d envelopes, want %d", got, tc.envelopes)
			}
			text := allText(t, r)
			pos := 0
			for i := range tc.rows {
				name := testSigner(i).Name
				if n := strings.Count(text, name); n != 1 {
					t.Fatalf("name %q appears %d times, want once", name, n)
				}
				at := strings.Index(text[pos:], name)
				if at < 0 {
					t.Fatalf("name %q is out of order", name)
				}
				pos += at + len(name)
			}
			for i := range 9 {
				g := testGreeting(i)
				if n := strings.Count(text, g.Name); n != 1 {
					t.Errorf("greeting author %q appears %d times, want once", g.Name, n)
				}
			}
			for _, want := range []string{"Алесь", "Наталля", "Γιώργος", "Ελένη", "ნინო", "გიორგი", "Արամ", "Łukasz",
				"Σας στέλνουμε δύναμη", "გისურვებთ ძალას", "Ուժ և համբերություն"} {
				if !strings.Contains(squeeze(text), squeeze(want)) {
					t.Errorf("text lacks %q", want)
				}
			}
			if strings.Contains(text, "@") {
				t.Errorf("text contains an @")
			}
		})
	}
}

// TestNoEmailField guards the rule that no email address reaches a PDF: the
// types a caller fills have nowhere to put one.
func TestNoEmailField(t *testing.T) {
	t.Parallel()
	for _, v := range []any{Bundle{}, Signer{}, Greeting{}, Address{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			if strings.Contains(strings.ToLower(f.Name), "mail") {
				t.Errorf("%s has field %s", typ.Name(), f.Name)
			}
		}
	}
}

func TestEmailAddressesTypedIntoTextAreRemoved(t *testing.T) {
	t.Parallel()
	b := testBundle(3, 0)
	b.Signatures = seqOf([]Signer{
		{Name: "anna.k@example.org", Country: "Poland"},
		{Name: "Jonas (jonas+x@mail.example.lt)", City: "Vilnius", Country: "Lithuania"},
		{Name: "Ivan Petrov", City: "ivan@example.ru", Country: "Russia"},
	})
	b.Greetings = seqOf([]Greeting{{Text: "Write to me: me@example.com, please!", Name: "Eve", Country: "Estonia"}})
	b.Title = "Letters for Ales (questions: org@example.net)"
	b.Organizer = "Viasna <viasna@example.org>"
	r := renderBundle(t, b)
	text := allText(t, r)
	for _, name := range r.names {
		if strings.HasSuffix(name, ".pdf") {
			text += runTool(t, r.files[name], "pdfinfo", "IN")
		}
	}
	if strings.Contains(text, "@") || strings.Contains(text, "example") {
		t.Errorf("an email address was printed:\n%s", text)
	}
	for _, want := range []string{"Jonas", "Ivan Petrov", "Write to me:", "please!"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

// squeeze removes white space, which pdftotext puts wherever a line wraps.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func seqOf[T any](items []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

var pageSize = regexp.MustCompile(`(?m)^Page +(\d+) size: +([\d.]+) x ([\d.]+) pts`)

// pageSizes returns the size of every page as "w x h".
func pageSizes(t *testing.T, data []byte) []string {
	t.Helper()
	info := runTool(t, data, "pdfinfo", "IN")
	n := regexp.MustCompile(`(?m)^Pages: +(\d+)`).FindStringSubmatch(info)
	if n == nil {
		t.Fatalf("pdfinfo: no page count in\n%s", info)
	}
	out := runTool(t, data, "pdfinfo", "-f", "1", "-l", n[1], "IN")
	var sizes []string
	for _, m := range pageSize.FindAllStringSubmatch(out, -1) {
		sizes = append(sizes, m[2]+" x "+m[3])
	}
	if want, _ := strconv.Atoi(n[1]); len(sizes) != want {
		t.Fatalf("pdfinfo listed %d page sizes, want %d", len(sizes), want)
	}
	return sizes
}

func TestFilesPassQpdfAndHaveExactPageSizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		paper  Paper
		layout Layout
		size   string
	}{
		{A4, LayoutList, "595.28 x 841.89"},
		{A4, LayoutPostcards, "595.28 x 841.89"},
		{Letter, LayoutList, "612 x 792"},
		{Letter, LayoutPostcards, "612 x 792"},
	} {
		t.Run(string(tc.paper)+" "+string(tc.layout), func(t *testing.T) {
			t.Parallel()
			b := testBundle(130, 14)
			b.Paper, b.Layout, b.MaxSheets = tc.paper, tc.layout, 2
			b.Greetings = seqOf(append(edgeGreetings(), testGreetings(8)...))
			r := renderBundle(t, b)
			for _, name := range r.names {
				if !strings.HasSuffix(name, ".pdf") {
					continue
				}
				runTool(t, r.files[name], "qpdf", "--check", "IN")
				want := tc.size
				if name == EnvelopesFile {
					want = "623.62 x 311.81"
				}
				sizes := pageSizes(t, r.files[name])
				for i, got := range sizes {
					if got != want {
						t.Errorf("%s page %d: got %s pt, want %s", name, i+1, got, want)
					}
				}
				if name == EnvelopesFile && len(sizes) != len(r.man.Envelopes) {
					t.Errorf("%d envelope pages for %d envelopes", len(sizes), len(r.man.Envelopes))
				}
			}
		})
	}
}

// edgeGreetings are greetings that must not break the layout or the build.
func edgeGreetings() []Greeting {
	long := []rune(strings.Repeat("Свобода політвязням! ", 100))
	word := strings.Repeat("Donaudampfschifffahrtsgesellschaftskapitän", 8)
	return []Greeting{
		{Text: "We love you ❤️ 😀👍🏽 👨‍👩‍👧 stay strong 🇧🇾!", Name: "Emoji Fan", City: "Oslo", Country: "Norway"},
		{Text: word, Name: word, City: word, Country: "Germany"},
		{Text: string(long[:2000]), Original: string(long[:1500]), Name: "Long Text", Country: "Ukraine"},
		{Text: "שלום, אנחנו איתך! 2026 (חופש)", Name: "דוד כהן", City: "תל אביב", Country: "Israel"},
		{Text: "نحن معك، كن قويا", Name: "محمد علي", City: "القاهرة", Country: "Egypt"},
		{Text: "我们支持你", Original: "We support you", Name: "王小明", City: "台北", Country: "Taiwan"},
		{Text: "Tab\there, control\x01char, bidi\u202eoverride\u202c, soft\u00adhyphen, broken \xff byte.", Name: "Weird\x00Chars", Country: "Nowhere"},
		{Text: "", Name: "", Country: "Latvia"},
	}
}

var bbox = regexp.MustCompile(`<(page) width="([\d.]+)" height="([\d.]+)"|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">`)

// checkInside fails if a word of data lies outside its page, or, for
// full-width content, beyond the right margin.
func checkInside(t *testing.T, name string, data []byte, rightMargin float64) {
	t.Helper()
	out := runTool(t, data, "pdftotext", "-bbox", "IN", "-")
	var w, h float64
	page, words := 0, 0
	for _, m := range bbox.FindAllStringSubmatch(out, -1) {
		words++
		if m[1] == "page" {
			w, _ = strconv.ParseFloat(m[2], 64)
			h, _ = strconv.ParseFloat(m[3], 64)
			page++
			continue
		}
		var box [4]float64
		for i := range box {
			box[i], _ = strconv.ParseFloat(m[4+i], 64)
		}
		if box[0] < 0 || box[1] < 0 || box[2] > w-rightMargin+0.5 || box[3] > h {
			t.Errorf("%s page %d: a word at %v lies outside %g × %g pt less %g", name, page, box, w, h, rightMargin)
		}
	}
	if page == 0 || words <= page {
		t.Fatalf("%s: pdftotext -bbox found %d pages and %d words", name, page, words-page)
	}
}

func TestHardTextDoesNotBreakTheLayout(t *testing.T) {
	t.Parallel()
	for _, layout := range []Layout{LayoutList, LayoutPostcards} {
		t.Run(string(layout), func(t *testing.T) {
			t.Parallel()
			b := testBundle(5, 0)
			b.Layout = layout
			b.Greetings = seqOf(edgeGreetings())
			r := renderBundle(t, b)
			margin := 0.0
			if layout == LayoutList {
				margin = 16 / ptToMM // the page's right margin: nothing may run into it
			}
			for _, name := range r.names {
				if strings.HasPrefix(name, "letter-") {
					checkInside(t, name, r.files[name], margin)
				}
			}
			text := allText(t, r)
			squeezed := squeeze(text)
			want := map[string]string{
				"long words are broken, not cut":                     strings.Repeat("Donaudampfschifffahrtsgesellschaftskapitän", 8),
				"2,000 characters all print":                         strings.Repeat("Свободаполітвязням!", 95),
				"emoji become boxes":                                 "Weloveyou❤□staystrong□!",
				"controls are dropped":                               "Tabhere,controlchar,bidioverride,softhyphen",
				"a script that needs shaping is replaced by a note":  "Thetextofthismessagecannotbeprinted",
				"an unprintable name becomes a supporter from":       "asupporterfromEgypt",
				"an unprintable text falls back to the original":     "Wesupportyou",
				"an unprintable name of a greeting is replaced, too": "asupporterfromTaiwan",
				"an empty greeting still names its author's country": "asupporterfromLatvia",
			}
			for what, s := range want {
				if !strings.Contains(squeezed, s) {
					t.Errorf("%s: text lacks %q", what, s)
				}
			}
			for _, r := range text {
				if unicode.Is(unicode.Arabic, r) || unicode.Is(unicode.Han, r) {
					t.Errorf("text contains %q, which cannot print correctly", r)
					break
				}
			}
			for _, r := range "שלוםדודכהןתלאביב" {
				if !strings.ContainsRune(text, r) {
					t.Errorf("Hebrew letter %q is missing", r)
				}
			}
		})
	}
}

func TestLongFieldsFit(t *testing.T) {
	t.Parallel()
	long := "Maria-Magdalena Alexandrina Wilhelmina von Hohenzollern-Sigmaringen Kowalska"
	longCyrillic := "Александра-Анастасия Константиновна Верхнеднепровская-Преображенская"
	longCity := "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"
	b := testBundle(3, 0)
	b.Title = strings.Repeat("A campaign title far longer than any header line has room for ", 3)
	b.Letter = strings.TrimSpace(strings.Repeat("A cover letter long enough to need three pages, in words the recipient will read slowly. ", 120))
	b.Recipient.Lines = append(b.Recipient.Lines, strings.Repeat("Building 4, block 7, ", 6))
	b.Signatures = seqOf([]Signer{
		{Name: long, City: longCity, Country: "United Kingdom of Great Britain and Northern Ireland"},
		{Name: longCyrillic, City: "Мінск", Country: "Беларусь"},
		{Name: "Ann", Country: "Peru"},
	})
	r := renderBundle(t, b)
	letter := r.files[r.man.Envelopes[0].File]
	checkInside(t, "letter", letter, 16/ptToMM)
	checkInside(t, "envelopes", r.files[EnvelopesFile], 0)
	text := pdfText(t, letter)
	// Long values wrap within their cells, where pdftotext may take their
	// lines apart: look for each word.
	for _, v := range []string{long, longCyrillic, "United Kingdom of Great Britain and Northern Ireland", "Letter 1 of 1 · page 4 of 4"} {
		for _, word := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '-' }) {
			if !strings.Contains(text, word) {
				t.Errorf("text lacks %q of %q", word, v)
			}
		}
	}
	// A word wider than its cell is broken in two.
	words := map[string]bool{}
	for _, w := range strings.Fields(text) {
		words[w] = true
	}
	broken := words[longCity]
	for i := 1; i < len(longCity); i++ {
		broken = broken || words[longCity[:i]] && words[longCity[i:]]
	}
	if !broken {
		t.Errorf("text lacks %q, whole or broken in two", longCity)
	}
	if got := strings.Count(text, "slowly."); got != 120 {
		t.Errorf("the cover letter's sentence appears %d times, want 120", got)
	}
	if !strings.Contains(text, "…") {
		t.Errorf("the long title was not shortened in the header")
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, layout := range []Layout{LayoutList, LayoutPostcards} {
		t.Run(string(layout), func(t *testing.T) {
			t.Parallel()
			render := func() rendered {
				b := testBundle(700, 40)
				b.Layout = layout
				b.Greetings = seqOf(append(edgeGreetings(), testGreetings(40)...))
				return renderBundle(t, b)
			}
			a, b := render(), render()
			if !bytes.Equal(a.zip, b.zip) {
				for _, name := range a.names {
					if !bytes.Equal(a.files[name], b.files[name]) {
						t.Errorf("%s differs between two renders", name)
					}
				}
				t.Fatalf("archives differ")
			}
			if a.man.SHA256 != b.man.SHA256 {
				t.Errorf("SHA-256 %s and %s differ", a.man.SHA256, b.man.SHA256)
			}
			sum := sha256.Sum256(a.zip)
			if got := hex.EncodeToString(sum[:]); got != a.man.SHA256 || a.man.Size != int64(len(a.zip)) {
				t.Errorf("manifest says %s (%d bytes), archive is %s (%d bytes)", a.man.SHA256, a.man.Size, got, len(a.zip))
			}
		})
	}
}

func TestEnvelopesAndManifest(t *testing.T) {
	t.Parallel()
	b := testBundle(1000, 30)
	b.MaxSheets = 4
	var progress []Progress
	b.Progress = func(p Progress) { progress = append(progress, p) }
	r := renderBundle(t, b)
	man := r.man

	want := []string{}
	for _, e := range man.Envelopes {
		want = append(want, e.File)
	}
	want = append(want, EnvelopesFile, ManifestFile)
	if !reflect.DeepEqual(r.names, want) {
		t.Errorf("archive holds %v, want %v", r.names, want)
	}
	pages, next, greetings := 0, 1, 0
	for i, l := range man.Envelopes {
		if l.Number != i+1 || l.Pages < 1 || l.Pages > 4 {
			t.Errorf("envelope %d: %+v", i+1, l)
		}
		if l.FirstSignature != 0 {
			if l.FirstSignature != next {
				t.Errorf("envelope %d starts at signature %d, want %d", l.Number, l.FirstSignature, next)
			}
			next = l.LastSignature + 1
		}
		pages += l.Pages
		greetings += l.Greetings
		text := pdfText(t, r.files[l.File])
		for p := 1; p <= l.Pages; p++ {
			footer := fmt.Sprintf("Letter %d of %d · page %d of %d", l.Number, len(man.Envelopes), p, l.Pages)
			if !strings.Contains(text, footer) {
				t.Errorf("%s lacks footer %q", l.File, footer)
			}
		}
		if got := strings.Count(text, "Send a message to Ales Bialiatski"); got != l.Pages {
			t.Errorf("%s: title in %d headers, want %d", l.File, got, l.Pages)
		}
	}
	if next != 1001 || pages != man.Pages || greetings != 30 || man.Greetings != 30 || man.Signatures != 1000 {
		t.Errorf("envelopes hold signatures up to %d, %d pages, %d greetings; manifest %+v", next-1, pages, greetings, man)
	}
	if len(progress) != len(man.Envelopes) || progress[len(progress)-1] != (Progress{Envelopes: len(man.Envelopes), Pages: pages, TotalEnvelopes: len(man.Envelopes), TotalPages: pages}) {
		t.Errorf("progress %+v", progress)
	}
	cover := pdfText(t, r.files[man.Envelopes[0].File])
	for _, s := range []string{"Signed by 1,000 people from 10 countries.", fmt.Sprintf("Letters: %d. Pages: %s.", len(man.Envelopes), englishTexts().Number(pages)),
		"12 July 2026", "Ales Bialiatski", "Correctional Colony No. 9", "Viasna Solidarity Group", "Dear Ales,"} {
		if !strings.Contains(cover, s) {
			t.Errorf("cover lacks %q", s)
		}
	}
	env := pdfText(t, r.files[EnvelopesFile])
	for i := range man.Envelopes {
		if s := fmt.Sprintf("Letter %d of %d", i+1, len(man.Envelopes)); !strings.Contains(env, s) {
			t.Errorf("envelopes lack %q", s)
		}
	}
	if strings.Count(env, "BELARUS") != len(man.Envelopes) || strings.Count(env, "PO Box 12") != len(man.Envelopes) {
		t.Errorf("each envelope needs both addresses:\n%s", env)
	}
	if strings.Contains(env, "Bialiatski\n\n") && strings.Contains(env, "Send a message") {
		t.Errorf("envelopes show the campaign title")
	}

	rows, err := csv.NewReader(bytes.NewReader(r.files[ManifestFile])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(man.Envelopes)+2 {
		t.Fatalf("manifest.csv has %d rows, want %d", len(rows), len(man.Envelopes)+2)
	}
	for _, row := range rows[1:] {
		sum := sha256.Sum256(r.files[row[0]])
		if row[6] != hex.EncodeToString(sum[:]) {
			t.Errorf("manifest.csv: %s has SHA-256 %s, file has %x", row[0], row[6], sum)
		}
	}
	if got, want := rows[1][:6], []string{man.Envelopes[0].File, "1", strconv.Itoa(man.Envelopes[0].Pages), "1",
		strconv.Itoa(man.Envelopes[0].LastSignature), "0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first manifest row %v, want %v", got, want)
	}
}

func TestNoLetterStartsMidCard(t *testing.T) {
	t.Parallel()
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A greeting far too long for one postcard, even in small type. ", 90)
	gs := testGreetings(30)
	for i := 2; i < len(gs); i += 3 {
		gs[i].Text = long
	}
	for _, layout := range []Layout{LayoutList, LayoutPostcards} {
		for sheets := 1; sheets <= 5; sheets++ {
			b := testBundle(10, 0)
			b.Layout, b.MaxSheets = layout, sheets
			b.Greetings = seqOf(gs)
			b, err := b.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			p, err := layout2(t, &b, m)
			if err != nil {
				t.Fatal(err)
			}
			split, continued := false, false
			for _, c := range p.cards {
				split = split || c.parts > 1
			}
			for _, pg := range p.pages {
				continued = continued || pg.continues
			}
			if !split || (layout == LayoutList && !continued) {
				t.Fatalf("%s: no greeting needed two cards on two pages; the test proves nothing", layout)
			}
			for _, l := range p.envelopes {
				// With one sheet an envelope cannot hold a greeting that
				// fills two; with two or more it always can.
				if p.pages[l[0]].continues && sheets >= 2 {
					t.Errorf("%s, %d sheets: envelope %v starts mid-card", layout, sheets, l)
				}
				if l[1]-l[0] > sheets {
					t.Errorf("%s, %d sheets: envelope %v is too long", layout, sheets, l)
				}
			}
		}
	}
}

func layout2(t *testing.T, b *Bundle, m *metrics) (*plan, error) {
	t.Helper()
	return layout(context.Background(), b, m, &b.Texts)
}

// The texts a caller gives are printed where they belong, in whatever
// language they are.
func TestTextsArePrinted(t *testing.T) {
	t.Parallel()
	b := testBundle(21, 0)
	b.Lang, b.CountryCount = "be", 2
	b.Texts.Footer = func(envelope, envelopes, page, pages int) string {
		return fmt.Sprintf("Ліст %d з %d · старонка %d з %d", envelope, envelopes, page, pages)
	}
	b.Texts.Signed = func(people, countries int) string {
		return fmt.Sprintf("Подпісы: %d чалавек з %d краін.", people, countries)
	}
	b.Texts.Date = func(time.Time) string { return "12 ліпеня 2026 г." }
	b.Texts.CountryColumn = "Краіна"
	b.Texts.Envelope = func(envelope, envelopes int) string { return fmt.Sprintf("Ліст %d з %d", envelope, envelopes) }
	r := renderBundle(t, b)
	text := allText(t, r)
	for _, s := range []string{"Ліст 1 з 1 · старонка 2 з 2", "Подпісы: 21 чалавек з 2 краін.", "12 ліпеня 2026 г.", "Краіна"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q", s)
		}
	}
	if env := pdfText(t, r.files[EnvelopesFile]); !strings.Contains(env, "Ліст 1 з 1") {
		t.Errorf("envelope page lacks its mark:\n%s", env)
	}
}

func TestPrintedName(t *testing.T) {
	t.Parallel()
	tx := englishTexts()
	for _, tc := range []struct {
		full    string
		choice  NameChoice
		country string
		want    string
	}{
		{"Anna Maria Kowalska", NameFull, "Poland", "Anna Maria Kowalska"},
		{"  Anna   Kowalska ", NameFull, "Poland", "Anna Kowalska"},
		{"Anna Maria Kowalska", NameFirstInitial, "Poland", "Anna K."},
		{"Алесь Бяляцкі", NameFirstInitial, "Беларусь", "Алесь Б."},
		{"łukasz żak", NameFirstInitial, "Polska", "łukasz Ż."},
		{"ნინო ბერიძე", NameFirstInitial, "Georgia", "ნინო ბ."}, // Georgian has no capitals in use
		{"Արամ սարգսյան", NameFirstInitial, "Armenia", "Արամ Ս."},
		{"Madonna", NameFirstInitial, "Italy", "Madonna"},
		{"Anna Kowalska", NameCountry, "Lithuania", "a supporter from Lithuania"},
		{"Anna Kowalska", NameCountry, " Lithuania ", "a supporter from Lithuania"},
		{"", NameFull, "Latvia", "a supporter from Latvia"},
		{"Anna", "unknown", "Latvia", "a supporter from Latvia"},
	} {
		if got := tx.PrintedName(tc.full, tc.choice, tc.country); got != tc.want {
			t.Errorf("PrintedName(%q, %q, %q) = %q, want %q", tc.full, tc.choice, tc.country, got, tc.want)
		}
	}
}

// A name the retention job cut to what was printed prints the same again.
func TestFirstInitialPrintsTheSameAgain(t *testing.T) {
	t.Parallel()
	tx := englishTexts()
	for _, full := range []string{"Anna Maria Kowalska", "Алесь Бяляцкі", "łukasz żak", "ნინო ბერიძე", "Արամ սարգսյան", "Madonna", "e\u0301mile zola"} {
		kept := FirstInitial(full)
		printed := tx.PrintedName(full, NameFirstInitial, "Poland")
		if kept != printed {
			t.Errorf("FirstInitial(%q) = %q, but the letter prints %q", full, kept, printed)
		}
		if again := tx.PrintedName(kept, NameFirstInitial, "Poland"); again != printed {
			t.Errorf("%q cut to %q prints %q, want %q as before", full, kept, again, printed)
		}
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text   string
		ok     bool
		reason string // substring; empty means no reason
	}{
		{"", true, ""},
		{"Hello, Ales!", true, ""},
		{"Прывітанне з Мінска", true, ""},
		{"Γειά σου", true, ""},
		{"გამარჯობა", true, ""},
		{"Բարեւ", true, ""},
		{"שלום", true, ""},
		{"Stay strong ❤️", true, ""},
		{"Stay strong 😀", true, "print as □"},
		{"مرحبا", false, "Arabic script"},
		{"سلام دوست", false, "Arabic script"},
		{"नमस्ते", false, "Devanagari script"},
		{"你好", false, "no letters for 你 (U+4F60) 好 (U+597D)"},
		{"안녕하세요", false, "no letters"},
	} {
		ok, reason := Printable(tc.text)
		if ok != tc.ok || (tc.reason == "") != (reason == "") || !strings.Contains(reason, tc.reason) {
			t.Errorf("Printable(%q) = %v, %q; want %v, %q", tc.text, ok, reason, tc.ok, tc.reason)
		}
	}
}

func TestVisualOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Hello", "Hello"},
		{"שלום עולם", "םלוע םולש"},
		{"— דוד כהן", "— ןהכ דוד"},
		{"שלום 123 עולם!", "םלוע 123 םולש!"},
		{"hello שלום 12 עולם world", "hello םלוע 12 םולש world"},
		{"(שלום)", "(םולש)"},
		{"Tel Aviv (תל אביב)", "Tel Aviv (ביבא לת)"},
	} {
		if got := visual(tc.in); got != tc.want {
			t.Errorf("visual(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	// A right-to-left paragraph reads from the right, and so does each
	// line of it.
	lines := m.wrap("שלום 2026 עולם!", sans, 10, 200)
	if len(lines) != 1 || lines[0].text != "!םלוע 2026 םולש" || !lines[0].rtl {
		t.Errorf("wrap of a Hebrew paragraph: %+v", lines)
	}
}

func TestRenderRejects(t *testing.T) {
	t.Parallel()
	once := func() iter.Seq2[Greeting, error] {
		used := false
		return func(yield func(Greeting, error) bool) {
			if used {
				return
			}
			used = true
			for _, g := range testGreetings(3) {
				if !yield(g, nil) {
					return
				}
			}
		}
	}
	boom := errors.New("cursor died")
	failing := func(yield func(Signer, error) bool) {
		for i := range 100 {
			if i == 70 {
				yield(Signer{}, boom)
				return
			}
			if !yield(testSigner(i), nil) {
				return
			}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Bundle)
		want   error
	}{
		{"a language that is no tag", func(b *Bundle) { b.Lang = "en GB" }, ErrInvalid},
		{"no texts", func(b *Bundle) { b.Texts = Texts{} }, ErrInvalid},
		{"a missing text", func(b *Bundle) { b.Texts.Footer = nil }, ErrInvalid},
		{"unknown paper", func(b *Bundle) { b.Paper = "A3" }, ErrInvalid},
		{"unknown layout", func(b *Bundle) { b.Layout = "poster" }, ErrInvalid},
		{"too many sheets", func(b *Bundle) { b.MaxSheets = MaxMaxSheets + 1 }, ErrInvalid},
		{"no date", func(b *Bundle) { b.Date = time.Time{} }, ErrInvalid},
		{"rows without a sequence", func(b *Bundle) { b.Signatures = nil }, ErrInvalid},
		{"fewer rows than counted", func(b *Bundle) { b.SignatureRows = 101 }, ErrRowCount},
		{"more rows than counted", func(b *Bundle) { b.SignatureRows = 99 }, ErrRowCount},
		{"greetings that cannot be ranged twice", func(b *Bundle) { b.Greetings = once() }, ErrChanged},
		{"a failing cursor", func(b *Bundle) { b.Signatures = failing }, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := testBundle(100, 3)
			tc.change(&b)
			_, err := Render(context.Background(), b, &bytes.Buffer{})
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRenderStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := testBundle(3000, 0)
	b.MaxSheets = 1
	envelopes := 0
	b.Progress = func(Progress) {
		envelopes++
		if envelopes == 3 {
			cancel()
		}
	}
	_, err := Render(ctx, b, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
