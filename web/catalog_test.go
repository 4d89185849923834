package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/letters"
	"github.com/solidarity-letters/solidarity/mail"
	"github.com/solidarity-letters/solidarity/updates"
	"github.com/solidarity-letters/solidarity/web"
)

// family is a set of message IDs the code builds at run time: a prefix the
// code joins with a value ("admin.audit.action." + the action).
type family struct {
	prefix string
	// values are every value the code may join the prefix with, taken
	// from the code (constants of a type, a list it exports): each
	// prefix+value+suffix must be in the catalog.
	values []string
	// suffixes follow the value ("error_page.404.title"); none means "".
	suffixes []string
	// open families also take values from input or from fields whose
	// list the code does not keep, and fall back when a message is
	// missing: any ID under the prefix whose parts are words of the
	// code's string literals counts as used.
	open bool
}

// families lists every prefix the code builds message IDs from. A new
// composition in a template or in Go ("x.y." + v, printf "x.y.%s") fails
// the test until it is listed here with its values.
func families(code *sources, c *i18n.Catalog) []family {
	// The console names the languages of a prison's rules and those a
	// bundle prints in, which are the catalog's.
	languages := slices.Clone(web.PrisonLanguages)
	for _, t := range c.Languages() {
		if !slices.Contains(languages, t.String()) {
			languages = append(languages, t.String())
		}
	}
	var catalogLanguages []string
	for _, t := range c.Languages() {
		catalogLanguages = append(catalogLanguages, t.String())
	}
	consoleStatuses := append(code.consts("campaign", "Status"), "archived")
	return []family{
		{prefix: "admin.audit.action.", values: code.consts("audit", "Action")},
		{prefix: "admin.role.", values: strs(account.Roles())},
		{prefix: "admin.status.", values: consoleStatuses},
		{prefix: "admin.preview.banner.", values: consoleStatuses},
		{prefix: "admin.bundle.status.", values: code.consts("bundle", "Status")},
		// The delivery log and the campaign page's timeline word each kind
		// of event, each way of sending, and each situation of a recipient;
		// a bundle warns of the situations in which a letter cannot reach
		// them.
		{prefix: "delivery.kind.", values: strs(delivery.Kinds)},
		{prefix: "delivery.tl.", values: strs(delivery.Kinds)},
		{prefix: "delivery.method.", values: strs(delivery.Methods)},
		{prefix: "delivery.status.", values: strs(campaign.Situations)},
		{prefix: "delivery.rs.situation.", values: strs(campaign.Situations)},
		{prefix: "delivery.warn.", values: []string{string(campaign.SituationReleased), string(campaign.SituationIncommunicado), string(campaign.SituationDeceased)}},
		{prefix: "admin.language.", values: languages},
		// A campaign page says which language it is written in, in a
		// sentence per language of the catalog.
		{prefix: "campaign.written_in.", values: catalogLanguages},
		{prefix: "signatures.stats.greeting.", values: code.consts("letters", "Status")},
		{prefix: "translations.status.", values: code.consts("letters", "TranslationStatus")},
		{prefix: "moderation.flag.", values: code.consts("letters", "Flag")},
		{prefix: "moderation.flag_help.", values: code.consts("letters", "Flag")},
		{prefix: "moderation.reason.", values: strs(letters.Reasons)},
		{prefix: "form.display.", values: strs(campaign.NameDisplays())},
		{prefix: "month.", values: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}},
		{prefix: "org.dashboard.", values: []string{"none", "demo"}},
		// The confirmation after a redirect to ?done=...; a done without
		// a message shows nothing, which would hide a confirmation.
		{prefix: "admin.done.", values: code.done, open: true},
		// Error pages fall back to 400 and 500.
		{prefix: "error_page.", values: []string{"400", "403", "404", "405", "410", "413", "500", "503"}, suffixes: []string{".title", ".message"}, open: true},
		// A field's problem falls back to the problem's general message.
		{prefix: "error.", values: []string{"required", "too_long", "invalid_characters", "invisible", "email", "country"}, open: true},
		{prefix: "admin.error.", open: true},
		{prefix: "signatures.error.", open: true},
		{prefix: "partners.error.", values: code.partnerProblems, open: true},
		// Languages a greeting was detected in: named when the catalog
		// has the name, else shown as the code.
		{prefix: "moderation.lang.", open: true},
		// The kinds of message the application queues, on the console's
		// mail page; a kind the catalog does not name shows as its code.
		{prefix: "admin.mail.kind.", values: strs([]mail.Kind{app.KindConfirm, updates.Kind}), open: true},
	}
}

func strs[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}

// The catalog and the code agree, in every language the catalog has: every
// message ID a template or Go code asks for, literally or built at run time,
// is there, and every ID there is asked for somewhere.
func TestCatalogMatchesTheCode(t *testing.T) {
	t.Parallel()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	english := c.IDs(i18n.Default())
	if len(english) < 500 {
		t.Fatalf("the English catalog has %d messages; is IDs still right?", len(english))
	}
	namespaces := map[string]bool{}
	for _, id := range english {
		namespaces[strings.SplitN(id, ".", 2)[0]] = true
	}
	code := scan(t, namespaces)
	if code.templates < 30 || len(code.asked) < 300 {
		t.Fatalf("read %d templates and %d message uses; are the folders still right?", code.templates, len(code.asked))
	}

	// What the catalog must hold, and where it is asked for.
	need := map[string]string{}
	for id, where := range code.asked {
		need[id] = where
	}
	fams := families(code, c)
	listed := map[string]bool{}
	for _, f := range fams {
		listed[f.prefix] = true
		if code.prefixes[f.prefix] == "" {
			t.Errorf("the test lists the prefix %q, which the code no longer builds IDs from", f.prefix)
		}
		suffixes := f.suffixes
		if len(suffixes) == 0 {
			suffixes = []string{""}
		}
		if !f.open && len(f.values) == 0 {
			t.Errorf("the family %q has no values; is their source still right?", f.prefix)
		}
		for _, v := range f.values {
			for _, s := range suffixes {
				need[f.prefix+v+s] = "built at run time from " + f.prefix
			}
		}
	}
	for p, where := range code.prefixes {
		if !listed[p] {
			t.Errorf("%s builds message IDs from %q: list the family and its values in this test", where, p)
		}
	}

	for _, lang := range c.Languages() {
		have := map[string]bool{}
		for _, id := range c.IDs(lang) {
			have[id] = true
		}
		for _, id := range sorted(need) {
			if !have[id] {
				t.Errorf("%s: message %q is missing (%s)", lang, id, need[id])
			}
		}
		for _, id := range c.IDs(lang) {
			if need[id] == "" && !code.used(id, fams) {
				t.Errorf("%s: message %q is never used: delete it, or list how the code builds it", lang, id)
			}
		}
	}
}

func sorted(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sources is what the templates and the Go code say about messages.
type sources struct {
	templates int
	// asked are the IDs used literally, with where: in a T or N call, or
	// as an ID-shaped string in a known namespace (a label in a table).
	asked map[string]string
	// prefixes are the prefixes IDs are built from, with where.
	prefixes map[string]string
	// words are the words of every string literal in the Go code.
	words map[string]bool
	// constants are the string constants of each package, by type, and
	// their values by name.
	constants map[string][]string
	named     map[string]string
	// done are the values the console redirects to ?done= with.
	done []string
	// partnerProblems are the field and problem pairs partner validation
	// reports, as "field.problem".
	partnerProblems []string
}

func (s *sources) consts(pkg, typ string) []string { return s.constants[pkg+"."+typ] }

var (
	idShape     = regexp.MustCompile(`^[a-z][a-z_0-9]*(\.[a-z_0-9]+)+$`)
	prefixShape = regexp.MustCompile(`^[a-z][a-z_0-9]*(\.[a-z_0-9]+)*\.$`)
	wordShape   = regexp.MustCompile(`[a-z0-9_]+`)
	doneShape   = regexp.MustCompile(`done=([a-z_]+[a-z])\b`)
	// In templates: {{.T.T "id" ...}}, {{$.T.N "id" n}}.
	templateCall = regexp.MustCompile(`\.(?:T|N)\s+"([^"]+)"`)
	// In templates: {{$.T.T (printf "admin.status.%s" .Status)}}.
	templatePrintf = regexp.MustCompile(`printf\s+"([a-z][a-z_0-9.]*\.)%[sd]`)
	quoted         = regexp.MustCompile(`"([^"{}]*)"`)
	// Static files a template names ("admin.css") are no message IDs.
	fileName = regexp.MustCompile(`\.(css|js|svg|png|ico|woff2)$`)
)

// scan reads every template under templates/ and every non-test Go file of
// the module.
func scan(t *testing.T, namespaces map[string]bool) *sources {
	t.Helper()
	s := &sources{asked: map[string]string{}, prefixes: map[string]string{}, words: map[string]bool{}, constants: map[string][]string{}, named: map[string]string{}}
	known := func(id string) bool { return namespaces[strings.SplitN(id, ".", 2)[0]] }
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		s.templates++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(b)
		for _, m := range templateCall.FindAllStringSubmatch(text, -1) {
			s.asked[m[1]] = path
		}
		for _, m := range templatePrintf.FindAllStringSubmatch(text, -1) {
			s.prefixes[m[1]] = path
		}
		for _, m := range quoted.FindAllStringSubmatch(text, -1) {
			if idShape.MatchString(m[1]) && known(m[1]) && !fileName.MatchString(m[1]) {
				s.asked[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		return s.scanGo(path, known)
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(s.done)
	s.done = slices.Compact(s.done)
	for i, fp := range s.partnerProblems {
		field, problem, _ := strings.Cut(fp, ".")
		v, ok := s.named["campaign."+problem]
		if !ok {
			t.Fatalf("partner validation reports %s, which is no constant of campaign", problem)
		}
		s.partnerProblems[i] = field + "." + v
	}
	return s
}

// scanGo reads one Go file.
func (s *sources) scanGo(path string, known func(string) bool) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return err
	}
	pkg := filepath.Base(filepath.Dir(path))
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(lit.Value)
		return v, err == nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			v, ok := str(n)
			if !ok {
				return true
			}
			at := fset.Position(n.Pos()).String()
			for _, w := range wordShape.FindAllString(v, -1) {
				s.words[w] = true
			}
			switch {
			case idShape.MatchString(v) && known(v):
				s.asked[v] = at
			case prefixShape.MatchString(v) && known(v):
				s.prefixes[v] = at
			}
			for _, m := range doneShape.FindAllStringSubmatch(v, -1) {
				s.done = append(s.done, m[1])
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || len(n.Args) == 0 {
				return true
			}
			v, ok := str(n.Args[0])
			if !ok {
				return true
			}
			at := fset.Position(n.Pos()).String()
			switch sel.Sel.Name {
			case "T", "N":
				s.asked[v] = at
			case "Sprintf":
				if i := strings.Index(v, "%"); i > 0 && prefixShape.MatchString(v[:i]) && known(v[:i]) {
					s.prefixes[v[:i]] = at
				}
			}
		case *ast.GenDecl:
			if n.Tok != token.CONST {
				return true
			}
			for _, spec := range n.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				for i, e := range vs.Values {
					if v, ok := str(e); ok && i < len(vs.Names) {
						s.constants[pkg+"."+typ.Name] = append(s.constants[pkg+"."+typ.Name], v)
						s.named[pkg+"."+vs.Names[i].Name] = v
					}
				}
			}
		case *ast.CompositeLit:
			// campaign.FieldError{Field: "ref", Problem: ProblemRef} in
			// the partner validation.
			if pkg != "campaign" || !strings.Contains(filepath.Base(path), "partner") {
				return true
			}
			var field, problem string
			for _, e := range n.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, _ := kv.Key.(*ast.Ident)
				switch {
				case key == nil:
				case key.Name == "Field":
					field, _ = str(kv.Value)
				case key.Name == "Problem":
					if id, ok := kv.Value.(*ast.Ident); ok {
						problem = id.Name
					}
				}
			}
			if field != "" && problem != "" {
				s.partnerProblems = append(s.partnerProblems, field+"."+problem)
			}
		}
		return true
	})
	return nil
}

// used reports whether an ID that nothing asks for literally is one an
// open family builds: each part after the prefix is a word of the code, or
// a word ending in "_" joined to one ("user_" + "disabled").
func (s *sources) used(id string, fams []family) bool {
	for _, f := range fams {
		if !f.open || !strings.HasPrefix(id, f.prefix) {
			continue
		}
		ok := true
		for _, part := range strings.Split(strings.TrimPrefix(id, f.prefix), ".") {
			ok = ok && s.isWord(part)
		}
		if ok {
			return true
		}
	}
	return false
}

func (s *sources) isWord(part string) bool {
	if s.words[part] {
		return true
	}
	for i := 1; i < len(part); i++ {
		if part[i-1] == '_' && s.words[part[:i]] && s.words[part[i:]] {
			return true
		}
	}
	return false
}

// The families' values come from the code: a sanity check that the scan
// still finds them.
func TestCatalogFamiliesHaveTheirValues(t *testing.T) {
	code := scan(t, map[string]bool{"admin": true})
	for _, tc := range []struct {
		name string
		got  []string
		want string
	}{
		{"audit actions", code.consts("audit", "Action"), "partner_stats_link_revoked"},
		{"campaign statuses", code.consts("campaign", "Status"), "scheduled"},
		{"bundle statuses", code.consts("bundle", "Status"), "discarded"},
		{"greeting flags", code.consts("letters", "Flag"), "unprintable"},
		{"done confirmations", code.done, "campaign_saved"},
		{"partner problems", code.partnerProblems, "ref.taken"},
	} {
		if !slices.Contains(tc.got, tc.want) {
			t.Errorf("%s: %v lacks %q", tc.name, tc.got, tc.want)
		}
	}
}
