package web_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// sign signs the campaign through its public form; edit changes the
// form.
func (s *site) sign(t *testing.T, slug string, edit func(url.Values)) {
	t.Helper()
	res := s.post(t, "/c/"+slug+"/sign", signForm(s.token(t, slug), edit))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign %s: status %d\n%s", slug, res.Status, res.Body)
	}
}

// addSignatures stores n signatures of the campaign, one a minute from
// start, named "Supporter <i>".
func addSignatures(t *testing.T, s *site, c *campaign.Campaign, n int, start time.Time) {
	t.Helper()
	sigs := make([]campaign.Signature, n)
	for i := range sigs {
		sigs[i] = campaign.Signature{ID: fmt.Sprintf("sig-%05d", i), SignedAt: start.Add(time.Duration(i) * time.Minute),
			Source: campaign.SourceWeb, Person: campaign.Person{Name: fmt.Sprintf("Supporter %d", i), City: "Vilnius", Country: "LT"}}
	}
	if _, err := s.Service.AddSignatures(context.Background(), c.ID, sigs); err != nil {
		t.Fatal(err)
	}
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"[^>]*>([^<]*)`)

// link returns the target of the link whose text begins with text.
func link(body, text string) string {
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		if strings.HasPrefix(html.UnescapeString(m[2]), text) {
			return html.UnescapeString(m[1])
		}
	}
	return ""
}

// listedNames returns the names in the list's rows, in order.
func listedNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<th scope="row">([^<]*)</th>`).FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestSignaturePagesOfUnknownThings checks the answers for campaigns and
// signatures that do not exist, and for a broken list position.
func TestSignaturePagesOfUnknownThings(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	addSignatures(t, s, c, 1, c.OpensAt)
	base := "/admin/campaigns/" + c.ID
	org := s.loginAs(t, account.RoleOrganizer)
	for _, path := range []string{"/admin/campaigns/nope/signatures", "/admin/campaigns/nope/stats", "/admin/campaigns/nope/paper",
		base + "/signatures/nobody/erase"} {
		if res := org.get(t, path); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.Status)
		}
	}
	if res := org.get(t, base+"/signatures?after=garbage"); res.Status != http.StatusBadRequest {
		t.Errorf("a broken list position: %d, want 400", res.Status)
	}
}

func TestSignatureListPagesByKey(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	addSignatures(t, s, c, 120, c.OpensAt)
	org := s.loginAs(t, account.RoleOrganizer)

	want := func(from, to int) []string { // newest first
		var out []string
		for i := to; i >= from; i-- {
			out = append(out, fmt.Sprintf("Supporter %d", i))
		}
		return out
	}
	page := org.get(t, "/admin/campaigns/"+c.ID+"/signatures")
	if page.Status != 200 {
		t.Fatalf("list: %d\n%s", page.Status, page.Body)
	}
	if !strings.Contains(page.Body, "120 signatures in total") {
		t.Error("the list does not give the total")
	}
	pages := [][]string{want(70, 119), want(20, 69), want(0, 19)}
	var hrefs []string
	for i, w := range pages {
		if got := listedNames(page.Body); strings.Join(got, ",") != strings.Join(w, ",") {
			t.Fatalf("page %d lists %v\nwant %v", i+1, got, w)
		}
		newer := link(page.Body, "← Newer")
		if (i == 0) != (newer == "") {
			t.Errorf("page %d: link to newer signatures %q", i+1, newer)
		}
		older := link(page.Body, "Older")
		if (i == len(pages)-1) != (older == "") {
			t.Errorf("page %d: link to older signatures %q", i+1, older)
		}
		if strings.Contains(older, "skip") || strings.Contains(older, "offset") || (older != "" && !strings.Contains(older, "after=")) {
			t.Errorf("the next page is not asked for by key: %s", older)
		}
		hrefs = append(hrefs, newer)
		if older != "" {
			page = org.get(t, older)
		}
	}
	// Back from the last page.
	page = org.get(t, hrefs[2])
	if got := listedNames(page.Body); strings.Join(got, ",") != strings.Join(pages[1], ",") {
		t.Errorf("back from the last page lists %v", got)
	}
}

func TestSignatureListFilters(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	minsk := c.Location()
	at := func(day, hour int) time.Time { return time.Date(2027, 5, day, hour, 0, 0, 0, minsk) }
	sigs := []campaign.Signature{
		{ID: "a", SignedAt: at(10, 23), Source: campaign.SourceWeb, HasGreeting: true, Person: campaign.Person{Name: "Anna Nowak", City: "Białystok", Country: "PL"}},
		{ID: "b", SignedAt: at(11, 0), Source: campaign.SourcePaper, Person: campaign.Person{Name: "Jonas Berg", City: "Malmö", Country: "SE"}},
		{ID: "c", SignedAt: at(12, 9), Source: campaign.SourceWeb, Person: campaign.Person{Name: "Ołena Kowalenko", City: "Lwów", Country: "UA"}},
	}
	if _, err := s.Service.AddSignatures(context.Background(), c.ID, sigs); err != nil {
		t.Fatal(err)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	tests := []struct {
		query string
		want  string // names, newest first
	}{
		{"", "Ołena Kowalenko,Jonas Berg,Anna Nowak"},
		{"q=NOWAK", "Anna Nowak"},
		{"q=malm", "Jonas Berg"},
		{"q=%C5%82ena", "Ołena Kowalenko"}, // "łena"
		{"q=.", ""},
		{"country=se", "Jonas Berg"},
		{"source=paper", "Jonas Berg"},
		{"source=web", "Ołena Kowalenko,Anna Nowak"},
		{"greeting=yes", "Anna Nowak"},
		{"greeting=no", "Ołena Kowalenko,Jonas Berg"},
		// Days in the campaign's zone: 23:00 on the 10th in Minsk is 20:00 UTC.
		{"from=2027-05-11", "Ołena Kowalenko,Jonas Berg"},
		{"to=2027-05-10", "Anna Nowak"},
		{"from=2027-05-11&to=2027-05-11", "Jonas Berg"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := org.get(t, "/admin/campaigns/"+c.ID+"/signatures?"+tt.query)
			if res.Status != 200 {
				t.Fatalf("status %d", res.Status)
			}
			if got := strings.Join(listedNames(res.Body), ","); got != tt.want {
				t.Errorf("listed %q, want %q", got, tt.want)
			}
			if tt.want == "" && !strings.Contains(res.Body, "No signature matches these filters.") {
				t.Error("an empty result does not say so")
			}
		})
	}

	bad := []struct{ query, field, message string }{
		{"country=XX", "country", "Choose a country from the list."},
		{"from=12.05.2027", "from", "Enter a date like 2027-07-12."},
		{"from=2027-05-12&to=2027-05-11", "to", "This date is before the first one."},
		{"source=fax", "source", "Choose one of the options."},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			res := org.get(t, "/admin/campaigns/"+c.ID+"/signatures?q=Anna&"+tt.query)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
			errTag := regexp.MustCompile(`<p class="error" id="e-` + tt.field + `">[^\n]*` + regexp.QuoteMeta(tt.message))
			if !errTag.MatchString(res.Body) {
				t.Errorf("no message %q next to %s", tt.message, tt.field)
			}
			if !strings.Contains(res.Body, `aria-describedby="e-`+tt.field+`"`) || !strings.Contains(res.Body, `value="Anna"`) {
				t.Error("the field is not marked invalid, or the search is not kept")
			}
			if len(listedNames(res.Body)) != 0 {
				t.Error("a list is shown for filters that are not valid")
			}
		})
	}
}

func TestEraseSignature(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", "Erika Mustermann")
		v.Set("email", "erika@example.org")
		v.Set("greeting", "Stay strong!")
		v.Set("updates", "yes")
	})
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", "Jan Kowalski")
		v.Set("email", "jan@example.org")
		v.Set("country", "DE")
	})
	var erikaID string
	for _, sig := range storedSignatures(t, s) {
		if sig.Person.Name == "Erika Mustermann" {
			erikaID = sig.ID
		}
	}
	if _, err := s.Greetings.Greeting(context.Background(), erikaID); err != nil {
		t.Fatalf("the greeting was not stored: %v", err)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	list := org.get(t, "/admin/campaigns/"+c.ID+"/signatures?country=PL")
	erase := link(list.Body, "Erase…")
	if erase == "" {
		t.Fatalf("no erase link in the list:\n%s", list.Body)
	}
	confirm := org.get(t, erase)
	for _, want := range []string{"Erase this signature?", "Erika Mustermann", "Yes, it is erased too", `method="post"`} {
		if !strings.Contains(confirm.Body, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindAllStringSubmatch(confirm.Body, -1)
	back := regexp.MustCompile(`name="back" value="([^"]*)"`).FindStringSubmatch(confirm.Body)
	if len(action) < 2 || back == nil {
		t.Fatalf("no erase form on the confirmation")
	}
	target := html.UnescapeString(action[len(action)-1][1])

	// Without the session's token nothing happens.
	if res := s.post(t, target, url.Values{"token": {"forged"}}, "Cookie", "solidarity_session="+org.cookie); res.Status != http.StatusForbidden {
		t.Errorf("erase with a forged token: %d, want 403", res.Status)
	}
	if got := s.Service.Count(c.ID); got != 2 {
		t.Fatalf("count %d after a refused erasure, want 2", got)
	}

	res := org.post(t, target, url.Values{"back": {html.UnescapeString(back[1])}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("erase: %d\n%s", res.Status, res.Body)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/admin/campaigns/"+c.ID+"/signatures?") || !strings.Contains(loc, "country=PL") || !strings.Contains(loc, "done=signature_erased") {
		t.Errorf("after erasure: redirect to %q", loc)
	}
	after := org.get(t, loc)
	if !strings.Contains(after.Body, "The signature is erased") {
		t.Error("no confirmation after erasure")
	}
	if got := strings.Join(listedNames(org.get(t, "/admin/campaigns/"+c.ID+"/signatures").Body), ","); got != "Jan Kowalski" {
		t.Errorf("list after erasure: %q", got)
	}
	if got := s.Service.Count(c.ID); got != 1 {
		t.Errorf("count after erasure = %d, want 1", got)
	}
	if got := apiCount(t, s, "ales"); got != 1 {
		t.Errorf("public count after erasure = %d, want 1", got)
	}
	if _, err := s.Greetings.Greeting(context.Background(), erikaID); !errors.Is(err, letters.ErrNotFound) {
		t.Errorf("the greeting after erasure: %v, want ErrNotFound", err)
	}
	var erased []audit.Entry
	for _, e := range s.allAuditEntries(t) {
		if e.Action == audit.Erased {
			erased = append(erased, e)
		}
		for _, secret := range []string{"Erika", "Mustermann", "erika@", erikaID} {
			if strings.Contains(e.Target+" "+e.Detail, secret) {
				t.Errorf("the audit log names the supporter: %+v", e)
			}
		}
	}
	if len(erased) != 1 || erased[0].Target != "ales" || erased[0].Actor != "organizer@example.org" {
		t.Errorf("audit entries of the erasure: %+v", erased)
	}
	// A second erasure of the same signature finds nothing.
	if res := org.post(t, target, url.Values{}); res.Status != http.StatusNotFound {
		t.Errorf("second erasure: %d, want 404", res.Status)
	}
	if got := s.Service.Count(c.ID); got != 1 {
		t.Errorf("count after a second erasure = %d, want 1", got)
	}
}

// csvRows downloads the export and parses it.
func csvRows(t *testing.T, u *user, path string) (response, [][]string) {
	t.Helper()
	res := u.get(t, path)
	if res.Status != 200 {
		t.Fatalf("export: %d\n%s", res.Status, res.Body)
	}
	body, ok := strings.CutPrefix(res.Body, "\ufeff")
	if !ok {
		t.Fatalf("the export does not begin with a byte order mark: %q", res.Body[:min(len(res.Body), 20)])
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return res, rows
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, box := confirmingCampaign(t, s, "ales")
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", `=HYPERLINK("http://evil.example","click")`)
		v.Set("city", "@Kraków")
		v.Set("email", "updates@example.org")
		v.Set("updates", "yes")
	})
	box.confirmLast(t, s)
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", "+Jan -Kowalski")
		v.Set("email", "quiet@example.org")
		v.Del("greeting")
	})
	box.confirmLast(t, s)
	org := s.loginAs(t, account.RoleOrganizer)
	res, rows := csvRows(t, org, "/admin/campaigns/"+c.ID+"/signatures.csv")
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="ales-signatures-2027-06-01.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a header and 2: %q", len(rows), rows)
	}
	if got := strings.Join(rows[0], ","); got != "signed_at_utc,name,city,country,source,has_greeting,wants_updates,email_for_updates" {
		t.Errorf("header %q", got)
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[r[1]] = r
	}
	first := byName[`'=HYPERLINK("http://evil.example","click")`]
	if first == nil {
		t.Fatalf("the formula is not neutralised: %q", rows)
	}
	if want := []string{"2027-06-01T12:00:30Z", `'=HYPERLINK("http://evil.example","click")`, "'@Kraków", "PL", "web", "true", "true", "updates@example.org"}; strings.Join(first, "|") != strings.Join(want, "|") {
		t.Errorf("row %q\nwant %q", first, want)
	}
	second := byName["'+Jan -Kowalski"]
	if second == nil || second[5] != "false" || second[6] != "false" || second[7] != "" {
		t.Errorf("row of the supporter without updates: %q", second)
	}
	if strings.Contains(res.Body, "quiet@example.org") {
		t.Error("the email of a supporter without updates is in the export")
	}
	entries := s.allAuditEntries(t)
	if len(entries) == 0 || entries[0].Action != audit.Exported || entries[0].Target != "ales" || entries[0].Actor != "organizer@example.org" {
		t.Errorf("latest audit entry %+v, want the export", entries[0])
	}
}

// TestExportCSVStreams exports 20,000 signatures: the response is sent in
// chunks as it is written, with no length known in advance.
func TestExportCSVStreams(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("stores 20,000 signatures")
	}
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	const n = 20_000
	addSignatures(t, s, c, n, c.OpensAt)
	org := s.loginAs(t, account.RoleOrganizer)
	req, err := http.NewRequest(http.MethodGet, s.URL+"/admin/campaigns/"+c.ID+"/signatures.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "solidarity_session="+org.cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ContentLength != -1 || len(res.TransferEncoding) == 0 || res.TransferEncoding[0] != "chunked" {
		t.Errorf("Content-Length %d, Transfer-Encoding %v: the export is not streamed", res.ContentLength, res.TransferEncoding)
	}
	r := csv.NewReader(res.Body)
	rows := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
	}
	if rows != n+1 {
		t.Errorf("%d rows, want %d and the header", rows, n)
	}
}

func TestPaperSignatures(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.sign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID

	page := org.get(t, base+"/paper")
	for _, want := range []string{"Count per country", "Type in a paper list", `name="name_10"`, "Nothing counted yet."} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the paper page lacks %q", want)
		}
	}

	// Counts per country.
	res := org.post(t, base+"/paper/tally", url.Values{"country": {"DE"}, "count": {"25"}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != base+"/paper?done=paper_counted" {
		t.Fatalf("tally: %d %s\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	if got := s.Service.Count(c.ID); got != 26 {
		t.Errorf("count after 25 on paper = %d, want 26", got)
	}
	tallies := []struct {
		country, count, field, message string
	}{
		{"", "5", "t-country", "Choose a country."},
		{"DE", "lots", "t-count", "Enter a whole number from 1 to 1,000,000"},
		{"DE", "-26", "t-count", "would go below zero"},
		{"SE", "", "t-count", "Enter how many people signed."},
	}
	for _, tt := range tallies {
		res := org.post(t, base+"/paper/tally", url.Values{"country": {tt.country}, "count": {tt.count}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("tally %q %q: %d, want 422", tt.country, tt.count, res.Status)
			continue
		}
		if !regexp.MustCompile(`id="e-` + tt.field + `">[^\n]*` + regexp.QuoteMeta(tt.message)).MatchString(res.Body) {
			t.Errorf("tally %q %q: no message %q next to %s", tt.country, tt.count, tt.message, tt.field)
		}
		if !strings.Contains(res.Body, `value="`+tt.count+`"`) {
			t.Errorf("tally %q %q: the count typed is not kept", tt.country, tt.count)
		}
	}
	res = org.post(t, base+"/paper/tally", url.Values{"country": {"DE"}, "count": {"-5"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("a correction: %d", res.Status)
	}
	page = org.get(t, base+"/paper")
	if !regexp.MustCompile(`<th scope="row">Germany</th><td class="num">20</td>`).MatchString(page.Body) {
		t.Error("the paper page does not show Germany's count of 20")
	}

	// Typed-in rows.
	form := url.Values{"rows": {"10"}, "sheet_country": {"LT"},
		"name_1": {"Rūta Kazlauskienė"}, "city_1": {"Vilnius"},
		"name_2": {""}, "city_2": {"Kaunas"}, // a city without a name
		"name_4": {"Jonas"}, "country_4": {"XX"},
	}
	res = org.post(t, base+"/paper/rows", form)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("rows with problems: %d, want 422", res.Status)
	}
	for _, want := range []string{"Row 2: Enter the name, or empty the row.", "Row 4: Use a two-letter country code",
		`id="e-r2-name"`, `id="e-r4-country"`, `value="Rūta Kazlauskienė"`, `value="Kaunas"`, `<option value="LT" selected>`} {
		if !strings.Contains(html.UnescapeString(res.Body), want) {
			t.Errorf("the refused list lacks %q", want)
		}
	}
	if got := s.Service.Count(c.ID); got != 21 {
		t.Errorf("count after a refused list = %d, want 21", got)
	}
	res = org.post(t, base+"/paper/rows", url.Values{"rows": {"10"}, "sheet_country": {"LT"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Every row is empty") {
		t.Errorf("an empty list: %d", res.Status)
	}
	res = org.post(t, base+"/paper/rows", url.Values{"rows": {"10"}, "name_1": {"Jonas"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Choose the country of the list above") {
		t.Errorf("a row without any country: %d", res.Status)
	}
	res = org.post(t, base+"/paper/rows", url.Values{"rows": {"10"}, "sheet_country": {"LT"},
		"name_1": {"Rūta Kazlauskienė"}, "city_1": {"Vilnius"}, "name_3": {"Ingrid Hansen"}, "country_3": {"no"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("valid rows: %d\n%s", res.Status, res.Body)
	}
	if got := s.Service.Count(c.ID); got != 23 {
		t.Errorf("count after two typed in = %d, want 23", got)
	}
	list := org.get(t, base+"/signatures?source=paper")
	if got := strings.Join(listedNames(list.Body), ","); got != "Rūta Kazlauskienė,Ingrid Hansen" && got != "Ingrid Hansen,Rūta Kazlauskienė" {
		t.Errorf("paper signatures listed: %q", got)
	}
	if !strings.Contains(list.Body, `<abbr title="Norway">NO</abbr>`) {
		t.Error("the row's own country is not kept")
	}
	var details []string
	for _, e := range s.allAuditEntries(t) {
		if e.Action == audit.PaperAdded {
			details = append(details, e.Detail)
		}
	}
	if got := strings.Join(details, "; "); got != "2 typed in; count DE -5, now 20; count DE +25, now 25" {
		t.Errorf("audit of paper signatures: %q", got)
	}
}

func TestStatsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.Goal = 20 })
	ctx := context.Background()
	// Clock: 1 June 2027, 12:00 UTC (15:00 in Minsk).
	sigs := []campaign.Signature{
		{ID: "a", SignedAt: time.Date(2027, 5, 30, 22, 30, 0, 0, time.UTC), Source: campaign.SourceWeb, Person: campaign.Person{Name: "A", Country: "PL"}}, // 31 May in Minsk
		{ID: "b", SignedAt: time.Date(2027, 5, 31, 20, 59, 0, 0, time.UTC), Source: campaign.SourceWeb, Person: campaign.Person{Name: "B", Country: "PL"}}, // 31 May, 23:59
		{ID: "c", SignedAt: time.Date(2027, 5, 31, 21, 0, 0, 0, time.UTC), Source: campaign.SourceWeb, Person: campaign.Person{Name: "C", Country: "DE"}},  // 1 June, 00:00
		{ID: "d", SignedAt: time.Date(2027, 6, 1, 11, 0, 0, 0, time.UTC), Source: campaign.SourcePaper, Person: campaign.Person{Name: "D", Country: "DE"}},
	}
	if _, err := s.Service.AddSignatures(ctx, c.ID, sigs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.AddPaperTally(ctx, c, campaign.PaperTallyInput{Country: "UA", Count: "6"}); err != nil {
		t.Fatal(err)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	res := org.get(t, "/admin/campaigns/"+c.ID+"/stats")
	if res.Status != 200 {
		t.Fatalf("stats: %d\n%s", res.Status, res.Body)
	}
	body := html.UnescapeString(res.Body)
	for _, want := range []string{
		"<strong>10</strong>", "50 % of the goal of 20", // 4 signatures and 6 counted
		"<strong>3</strong>", "0.1 per hour on average", // b, c and d in the last 24 h: 3/24 = 0.125
		"3 on the web", "7 on paper", "1 typed in, 6 counted",
		`<th scope="row">31 May 2027</th><td class="num">2</td><td class="num">0</td><td class="num">2</td>`,
		`<th scope="row">1 June 2027</th><td class="num">1</td><td class="num">1</td><td class="num">2</td>`,
		`<th scope="row">Ukraine</th><td class="num">6 <span class="small">(6 paper)</span></td><td class="num">60 %</td>`,
		`<th scope="row">Poland</th><td class="num">2</td><td class="num">20 %</td>`,
		`role="img" aria-labelledby="chart-t chart-d"`, `<title id="chart-t">Signatures per day</title>`,
		"the most on 31 May 2027 (2)", "6 paper signatures counted per country have no date",
		`<th scope="row">Waiting for moderation</th><td class="num">0</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the statistics lack %q", want)
		}
	}
	// Every day from the opening (1 May in Minsk) to today has a row.
	if got := strings.Count(body, `<tr><th scope="row">`) - 3 /* countries */ - 3; /* greeting statuses */ got != 32 {
		t.Errorf("%d day rows, want 32 (1 May to 1 June)", got)
	}
}
