package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/solidarity-letters/solidarity/archive"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// readZip returns the files of a ZIP by name.
func readZip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(data)
	}
	return files
}

// keys lists every key of a JSON document, with its path, lists' elements
// under "[]".
func keys(v any, path string, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out[path+"."+k] = true
			keys(e, path+"."+k, out)
		}
	case []any:
		for _, e := range v {
			keys(e, path+"[]", out)
		}
	}
}

// The archive's texts to read are in the language asked for: README.txt,
// the delivery log in words, the situations and the tables' column heads;
// manifest.json has the same keys in every language and the codes (IDs,
// SHA-256 sums, RFC 3339 dates) stay as they are.
func TestArchiveIsWrittenInTheChosenLanguage(t *testing.T) {
	f := newFixture(t, 6)
	ctx := context.Background()
	e := &delivery.Event{Kind: delivery.KindPosted, Day: "2027-07-28", Method: delivery.MethodRegistered, Envelopes: 2,
		Tracking: "RR123456789BY", Public: true}
	if _, err := f.delivery.Add(ctx, f.c, e, "organizer@example.org"); err != nil {
		t.Fatal(err)
	}
	be, ok := f.msgs.Supported("be")
	if !ok {
		t.Fatal("the catalog has no Belarusian")
	}
	type written struct {
		files map[string]string
		m     *archive.Manifest
	}
	write := func(tag language.Tag) written {
		var buf bytes.Buffer
		m, err := f.svc.Write(ctx, "r-ales", f.msgs.Localizer(tag), &buf)
		if err != nil {
			t.Fatal(err)
		}
		return written{readZip(t, buf.Bytes()), m}
	}
	en, by := write(language.English), write(be)

	for _, tc := range []struct {
		lang  string
		w     written
		file  string
		want  []string
		avoid []string
	}{
		{"en", en, archive.ReadmeName, []string{"Archive for Ales Bialiatski", "manifest.json", "RFC 3339", "SHA-256"}, nil},
		{"be", by, archive.ReadmeName, []string{"Архіў — Ales Bialiatski", "manifest.json", "RFC 3339", "кантрольную суму SHA-256", "не публікуйце"},
			[]string{"Archive for", "Keep it safe"}},
		{"en", en, "campaigns/ales/delivery-log.txt", []string{"Delivery log: Letters to Ales", "28 July 2027  Posted; envelopes: 2; by registered mail; tracking number RR123456789BY"}, nil},
		{"be", by, "campaigns/ales/delivery-log.txt", []string{"Журнал дастаўкі: Letters to Ales", "Адпраўлена; канвертаў: 2; заказной поштай; трэк-нумар RR123456789BY"},
			[]string{"Posted", "Delivery log", "registered"}},
		{"en", en, "recipient/status-history.txt", []string{"Address before any transfer:", "No change recorded."}, nil},
		{"be", by, "recipient/status-history.txt", []string{"Адрас да любога пераводу:", "Ніякіх змен не запісана."}, []string{"Address", "No change"}},
	} {
		got := tc.w.files[tc.file]
		for _, want := range tc.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s %s lacks %q:\n%s", tc.lang, tc.file, want, got)
			}
		}
		for _, avoid := range tc.avoid {
			if strings.Contains(got, avoid) {
				t.Errorf("%s %s holds the English %q:\n%s", tc.lang, tc.file, avoid, got)
			}
		}
	}

	heads := func(w written, name string) []string {
		recs, err := csv.NewReader(strings.NewReader(w.files[name])).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %d rows, %v", name, len(recs), err)
		}
		return recs[0]
	}
	for _, tc := range []struct {
		name   string
		en, be []string
	}{
		{"campaigns/ales/greetings.csv", []string{"Date", "Name", "Town", "Country", "Language", "Greeting", "Translated into", "Translation"},
			[]string{"Дата", "Імя", "Горад", "Краіна", "Мова", "Прывітанне", "Мова перакладу", "Пераклад"}},
		{"recipient/status-history.csv", []string{"Day", "Situation", "Address"}, []string{"Дзень", "Становішча", "Адрас"}},
	} {
		if got := heads(en, tc.name); !slices.Equal(got, tc.en) {
			t.Errorf("en %s heads %q, want %q", tc.name, got, tc.en)
		}
		if got := heads(by, tc.name); !slices.Equal(got, tc.be) {
			t.Errorf("be %s heads %q, want %q", tc.name, got, tc.be)
		}
	}
	// The delivery log's table: heads and words translated, codes not.
	recs, err := csv.NewReader(strings.NewReader(by.files["campaigns/ales/delivery-log.csv"])).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("be delivery-log.csv: %d rows, %v", len(recs), err)
	}
	if recs[0][0] != "Дзень" || recs[0][1] != "Што адбылося" || recs[1][0] != "2027-07-28" || recs[1][1] != "Адпраўлена" || recs[1][2] != "так" {
		t.Errorf("be delivery-log.csv %q", recs)
	}
	if at := recs[1][len(recs[1])-1]; !strings.HasSuffix(at, "Z") || !strings.Contains(at, "T") {
		t.Errorf("recorded at %q, want an RFC 3339 time in UTC", at)
	}

	// manifest.json: the same keys, the language named, the codes the
	// same, the descriptions translated.
	kind := func(w written) (map[string]bool, map[string]any) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(w.files[archive.ManifestName]), &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		keys(doc, "", out)
		return out, doc
	}
	ek, edoc := kind(en)
	bk, bdoc := kind(by)
	if !maps.Equal(ek, bk) {
		t.Errorf("manifest keys differ:\nen %v\nbe %v", slices.Sorted(maps.Keys(ek)), slices.Sorted(maps.Keys(bk)))
	}
	if edoc["language"] != "en" || bdoc["language"] != "be" {
		t.Errorf("manifest languages %v, %v", edoc["language"], bdoc["language"])
	}
	if len(en.m.Files) != len(by.m.Files) {
		t.Fatalf("%d files in English, %d in Belarusian", len(en.m.Files), len(by.m.Files))
	}
	for i := range en.m.Files {
		a, b := en.m.Files[i], by.m.Files[i]
		if a.Name != b.Name || (a.What == b.What && !strings.HasPrefix(a.Name, "letters/")) {
			t.Errorf("file %d: %s %q, %s %q: want the same name and a translated description", i, a.Name, a.What, b.Name, b.What)
		}
	}
	if en.m.Rules.Greetings == by.m.Rules.Greetings || !strings.Contains(by.m.Rules.Greetings, archive.RuleGreetingsApproved) {
		t.Errorf("Belarusian greetings rule %q", by.m.Rules.Greetings)
	}
	if by.m.Campaigns[0].GreetingsRule != archive.RuleGreetingsApproved && by.m.Campaigns[0].GreetingsRule != archive.RuleGreetingsPosted {
		t.Errorf("greetings rule code %q", by.m.Campaigns[0].GreetingsRule)
	}
}

// The archive proposes the recipient's first language the site has, else
// the console's.
func TestArchiveLanguageProposed(t *testing.T) {
	f := newFixture(t, 0)
	for _, tc := range []struct {
		languages []string
		want      string
	}{
		{[]string{"be", "ru"}, "be"},
		{[]string{"ka", "ru"}, "ru"},
		{[]string{"ka"}, "de"},
		{nil, "de"},
	} {
		r := &campaign.Recipient{Languages: tc.languages}
		if got := archive.Language(f.msgs, r, language.German); got.String() != tc.want {
			t.Errorf("languages %v: %s, want %s", tc.languages, got, tc.want)
		}
	}
}
