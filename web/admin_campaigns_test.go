package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
)

// newCampaignForm is a valid new campaign as an organizer fills it in;
// edit changes it.
func newCampaignForm(edit func(url.Values)) url.Values {
	v := url.Values{
		"slug": {"maria-birthday"}, "title": {"Birthday letters for Maria"}, "summary": {"Maria turns 42 in prison."},
		"letter": {"Dear Maria,\r\n\r\nHappy birthday."}, "organizer_name": {"Test NGO"}, "recipient_id": {""},
		"goal": {"500"}, "time_zone": {"Europe/Vilnius"}, "time_zone_other": {""}, "opens_date": {""}, "opens_time": {""},
		"close_mode": {"before"}, "before_date": {"2027-07-12"}, "closes_date": {""}, "closes_time": {""},
		"greetings_enabled": {"yes"}, "greetings_max": {"300"}, "greetings_public": {"yes"},
		"arrival_date": {""}, "transit_days": {"14"}, "action": {"save"},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

// campaignValues is the edit form of a stored campaign as the page fills
// it in; edit changes it.
func campaignValues(c *campaign.Campaign, edit func(url.Values)) url.Values {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		panic(err)
	}
	v := url.Values{
		"slug": {c.Slug}, "title": {c.Title}, "summary": {c.Summary}, "letter": {c.Letter}, "organizer_name": {c.OrganizerName},
		"recipient_id": {c.RecipientID}, "goal": {strconv.Itoa(c.Goal)}, "time_zone": {c.TimeZone},
		"close_mode": {"before"}, "before_date": {c.ClosesAt.In(loc).Format(time.DateOnly)},
		"greetings_max": {strconv.Itoa(c.Greetings.MaxLength)}, "transit_days": {"14"}, "action": {"save"},
		"version": {strconv.FormatInt(c.UpdatedAt.UnixMilli(), 10)},
	}
	if !c.OpensAt.IsZero() {
		v.Set("opens_date", c.OpensAt.In(loc).Format(time.DateOnly))
		v.Set("opens_time", c.OpensAt.In(loc).Format("15:04"))
	}
	if c.Greetings.Enabled {
		v.Set("greetings_enabled", "yes")
	}
	if c.Greetings.ShowPublic {
		v.Set("greetings_public", "yes")
	}
	if edit != nil {
		edit(v)
	}
	return v
}

// fieldError returns the error shown next to a form field, if any.
func fieldError(body, field string) string {
	re := regexp.MustCompile(`<p class="error" id="e-` + regexp.QuoteMeta(field) + `"[^>]*>(?:<span class="visually-hidden">[^<]*</span>)?\s*([^<]*)</p>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

var bareID = regexp.MustCompile(`[^/a-z_]admin\.[a-z_]+\.[a-z_]`)

// checkPage fails on a page that shows a message ID instead of words.
func checkPage(t *testing.T, res response) {
	t.Helper()
	if m := bareID.FindString(res.Body); m != "" {
		t.Errorf("page shows a message ID: %q", m)
	}
}

// allAuditEntries reads the whole audit log through the log (its details
// are sealed), newest first.
func (s *site) allAuditEntries(t *testing.T) []audit.Entry {
	t.Helper()
	log := s.Core.Audit
	var out []audit.Entry
	var from audit.Cursor
	for {
		page, next, err := log.Page(context.Background(), from, 100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next.IsZero() {
			return out
		}
		from = next
	}
}

// auditEntries returns the audit log's entries with that action, oldest
// first.
func (s *site) auditEntries(t *testing.T, action audit.Action) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for _, e := range s.allAuditEntries(t) {
		if e.Action == action {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// signatureIDs returns the IDs of a campaign's stored signatures, sorted.
func (s *site) signatureIDs(t *testing.T, campaignID string) []string {
	t.Helper()
	var ids []string
	for _, d := range storedSignatures(t, s) {
		if d.CampaignID != campaignID {
			continue
		}
		ids = append(ids, d.ID+"|"+d.Person.Name+"|"+d.SignedAt.String())
	}
	slices.Sort(ids)
	return ids
}

// signN signs the campaign n times with different addresses.
func (s *site) signN(t *testing.T, slug string, n int) {
	t.Helper()
	s.token(t, slug) // the page loads, and a person takes their time
	c, err := s.Service.Public(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		res := s.post(t, "/c/"+slug+"/sign", signForm(s.freshToken(c.ID), func(v url.Values) {
			v.Set("email", "supporter"+strconv.Itoa(i)+"@example.org")
		}))
		if res.Status != 303 {
			t.Fatalf("sign %s: %d", slug, res.Status)
		}
	}
}

// campaignID is the ID in a redirect to a campaign's console page.
func campaignID(t *testing.T, res response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	m := regexp.MustCompile(`^/admin/campaigns/([0-9a-z-]+)\?done=`).FindStringSubmatch(loc)
	if res.Status != 303 || m == nil {
		t.Fatalf("status %d, Location %q; want 303 to a campaign page\n%s", res.Status, loc, res.Body)
	}
	return m[1]
}

func TestCampaignCreateValidation(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "taken", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	stored := func() int {
		all, err := s.Service.All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := stored()

	tests := []struct {
		name   string
		edit   func(url.Values)
		errors map[string]string // field → part of its message
		kept   string            // a typed value the form must show again
	}{
		{"nothing filled in", func(v url.Values) {
			v.Set("slug", "")
			v.Set("title", "")
			v.Set("before_date", "")
		}, map[string]string{"slug": "Enter the address", "title": "Enter a title", "closes": "Enter when the campaign closes"}, "Maria turns 42"},
		{"bad slug", func(v url.Values) { v.Set("slug", "Maria Birthday!") },
			map[string]string{"slug": "Use lower-case letters"}, `value="Maria Birthday!"`},
		{"double hyphen", func(v url.Values) { v.Set("slug", "maria--birthday") },
			map[string]string{"slug": "Use lower-case letters"}, `value="maria--birthday"`},
		{"slug taken", func(v url.Values) { v.Set("slug", "taken") },
			map[string]string{"slug": "Another campaign uses this address"}, `value="taken"`},
		{"title too long", func(v url.Values) { v.Set("title", strings.Repeat("a", 201)) },
			map[string]string{"title": "at most 200"}, strings.Repeat("a", 201)},
		{"no organizer", func(v url.Values) { v.Set("organizer_name", " ") },
			map[string]string{"organizer_name": "Enter the name the letter is signed with"}, "Birthday letters for Maria"},
		{"organizer too long", func(v url.Values) { v.Set("organizer_name", strings.Repeat("я", 201)) },
			map[string]string{"organizer_name": "at most 200"}, strings.Repeat("я", 201)},
		{"goal not a number", func(v url.Values) { v.Set("goal", "lots") },
			map[string]string{"goal": "whole number"}, `value="lots"`},
		{"negative goal", func(v url.Values) { v.Set("goal", "-5") },
			map[string]string{"goal": "whole number"}, `value="-5"`},
		{"unknown time zone", func(v url.Values) { v.Set("time_zone_other", "Mars/Olympus") },
			map[string]string{"time_zone": "not a time zone"}, `value="Mars/Olympus"`},
		{"time without a date", func(v url.Values) { v.Set("opens_time", "09:00") },
			map[string]string{"opens": "Enter the date as well"}, `value="09:00"`},
		{"opening date unreadable", func(v url.Values) { v.Set("opens_date", "1 June") },
			map[string]string{"opens": "Enter a date"}, `value="1 June"`},
		{"closes before it opens", func(v url.Values) { v.Set("opens_date", "2027-08-01") },
			map[string]string{"closes": "must close after it opens"}, `value="2027-08-01"`},
		{"closing date unreadable", func(v url.Values) { v.Set("before_date", "12.07.2027") },
			map[string]string{"closes": "Enter a date"}, `value="12.07.2027"`},
		{"exact closing without a date", func(v url.Values) {
			v.Set("close_mode", "exact")
			v.Set("closes_time", "18:00")
		}, map[string]string{"closes": "Enter when the campaign closes"}, `value="18:00"`},
		{"greeting limit zero", func(v url.Values) { v.Set("greetings_max", "0") },
			map[string]string{"greetings_max": "from 1 to 5,000"}, `value="0"`},
		{"greeting limit too high", func(v url.Values) { v.Set("greetings_max", "99999") },
			map[string]string{"greetings_max": "from 1 to 5,000"}, `value="99999"`},
		{"unknown recipient", func(v url.Values) { v.Set("recipient_id", "nobody") },
			map[string]string{"recipient_id": "Choose a recipient"}, "Birthday letters for Maria"},
		{"many problems at once", func(v url.Values) {
			v.Set("slug", "-x-")
			v.Set("goal", "1.5")
			v.Set("time_zone_other", "Nowhere")
			v.Set("greetings_max", "x")
		}, map[string]string{"slug": "lower-case", "goal": "whole number", "time_zone": "not a time zone", "greetings_max": "from 1"}, `value="Nowhere"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := org.post(t, "/admin/campaigns/new", newCampaignForm(tt.edit))
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			checkPage(t, res)
			for field, want := range tt.errors {
				if got := fieldError(res.Body, field); !strings.Contains(got, want) {
					t.Errorf("error next to %s = %q, want it to say %q", field, got, want)
				}
				if !strings.Contains(res.Body, `aria-describedby="h-`+field+` e-`+field+`"`) && !strings.Contains(res.Body, `aria-describedby="e-`+field+`"`) {
					t.Errorf("no field is described by the error of %s", field)
				}
			}
			if got := strings.Count(res.Body, `<p class="error"`); got != len(tt.errors) {
				t.Errorf("%d errors shown, want %d", got, len(tt.errors))
			}
			if !strings.Contains(res.Body, `class="error-summary"`) || !strings.Contains(res.Body, `<title>Error: `) {
				t.Error("no error summary or error title")
			}
			if !strings.Contains(res.Body, html.EscapeString(tt.kept)) && !strings.Contains(res.Body, tt.kept) {
				t.Errorf("the typed value %q was not kept", tt.kept)
			}
			if n := stored(); n != before {
				t.Errorf("%d campaigns stored after refused input, want %d", n, before)
			}
		})
	}
}

func TestCampaignCreate(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	r := s.addCampaign(t, "other", nil).RecipientID
	org := s.loginAs(t, account.RoleOrganizer)
	ctx := context.Background()

	form := org.get(t, "/admin/campaigns/new")
	if form.Status != 200 || !strings.Contains(form.Body, `<option value="Europe/Minsk" selected>`) {
		t.Errorf("new campaign form: %d, want the newest campaign's zone preselected", form.Status)
	}
	checkPage(t, form)
	// Pressing Enter in a field submits with the form's first submit
	// button: it must save, not run the deadline helper.
	campaignForm := form.Body[strings.Index(form.Body, `class="campaign-form"`):]
	if first := regexp.MustCompile(`<button type="submit"[^>]*>`).FindString(campaignForm); !strings.Contains(first, `value="save"`) {
		t.Errorf("the campaign form's first submit button is %s, want the save button", first)
	}

	res := org.post(t, "/admin/campaigns/new", newCampaignForm(func(v url.Values) { v.Set("recipient_id", r) }))
	id := campaignID(t, res)
	c, err := s.Service.Campaign(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	closes, _ := campaign.Deadline("2027-07-12", "Europe/Vilnius")
	if c.Slug != "maria-birthday" || c.Title != "Birthday letters for Maria" || c.Letter != "Dear Maria,\n\nHappy birthday." ||
		c.OrganizerName != "Test NGO" || c.RecipientID != r || c.Goal != 500 || c.TimeZone != "Europe/Vilnius" ||
		!c.OpensAt.IsZero() || !c.ClosesAt.Equal(closes) ||
		c.Greetings != (campaign.Greetings{Enabled: true, MaxLength: 300, ShowPublic: true}) {
		t.Errorf("stored campaign = %+v", c)
	}
	page := org.get(t, res.Header.Get("Location"))
	if page.Status != 200 || !strings.Contains(page.Body, "The campaign is created") || !strings.Contains(page.Body, "status-draft") {
		t.Errorf("edit page after creating: %d\n%s", page.Status, page.Body)
	}
	checkPage(t, page)
	if got := s.get(t, "/c/maria-birthday"); got.Status != 404 {
		t.Errorf("a new draft is public: %d", got.Status)
	}
	if e := s.auditEntries(t, audit.CampaignCreated); len(e) != 1 || e[0].Target != "maria-birthday" || e[0].Actor != "organizer@example.org" {
		t.Errorf("audit = %+v", e)
	}

	// Opening and an exact closing time, in the campaign's zone.
	res = org.post(t, "/admin/campaigns/new", newCampaignForm(func(v url.Values) {
		v.Set("slug", "exact")
		v.Set("time_zone", "UTC")
		v.Set("time_zone_other", "America/Havana")
		v.Set("opens_date", "2027-06-10")
		v.Set("opens_time", "09:00")
		v.Set("close_mode", "exact")
		v.Set("closes_date", "2027-07-01")
		v.Set("closes_time", "18:30:00") // as some browsers send it
		v.Set("goal", "")
		v.Del("greetings_enabled")
		v.Del("greetings_public")
	}))
	c, err = s.Service.Campaign(ctx, campaignID(t, res))
	if err != nil {
		t.Fatal(err)
	}
	if c.TimeZone != "America/Havana" || !c.OpensAt.Equal(time.Date(2027, 6, 10, 13, 0, 0, 0, time.UTC)) ||
		!c.ClosesAt.Equal(time.Date(2027, 7, 1, 22, 30, 0, 0, time.UTC)) || c.Goal != 0 || c.Greetings.Enabled {
		t.Errorf("stored campaign = %+v", c)
	}
	// The form shows it back as it was typed.
	page = org.get(t, "/admin/campaigns/"+c.ID)
	for _, want := range []string{`name="opens_time" type="time" value="09:00"`, `name="closes_date" type="date" value="2027-07-01"`,
		`name="closes_time" type="time" value="18:30"`, `<option value="America/Havana" selected>`, `value="exact" checked`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
}

func TestCampaignSlugChangeRedirects(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	other := s.addCampaign(t, "other", nil)
	s.signN(t, "ales", 2)
	org := s.loginAs(t, account.RoleOrganizer)

	res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) { v.Set("slug", "ales-july") }))
	if res.Status != 303 || res.Header.Get("Location") != "/admin/campaigns/"+c.ID+"?done=campaign_saved" {
		t.Fatalf("save: %d %s\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	for _, tt := range []struct {
		method, path string
		status       int
		location     string
	}{
		{"GET", "/c/ales", 301, "/c/ales-july"},
		{"GET", "/c/ales?lang=ru", 301, "/c/ales-july?lang=ru"},
		{"GET", "/c/ales/thanks", 301, "/c/ales-july/thanks"},
		{"GET", "/api/v1/campaigns/ales", 301, "/api/v1/campaigns/ales-july"},
		{"POST", "/c/ales/sign", 308, "/c/ales-july/sign"},
		{"GET", "/c/ales-july", 200, ""},
		{"GET", "/api/v1/campaigns/ales-july", 200, ""},
		{"GET", "/c/nothing", 404, ""},
	} {
		var got response
		if tt.method == "POST" {
			got = s.post(t, tt.path, signForm("x", nil))
		} else {
			got = s.get(t, tt.path)
		}
		if got.Status != tt.status || got.Header.Get("Location") != tt.location {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, got.Status, got.Header.Get("Location"), tt.status, tt.location)
		}
	}
	if page := s.get(t, "/c/ales-july"); !strings.Contains(page.Body, "<strong>2</strong>") {
		t.Error("the renamed campaign lost its signatures")
	}
	if api := s.get(t, "/api/v1/campaigns/ales-july"); !strings.Contains(api.Body, `"signatures":2`) {
		t.Errorf("API after renaming: %s", api.Body)
	}
	e := s.auditEntries(t, audit.CampaignChanged)
	if len(e) != 1 || e[0].Target != "ales-july" || !strings.Contains(e[0].Detail, "slug was ales") {
		t.Errorf("audit = %+v", e)
	}
	page := org.get(t, "/admin/campaigns/"+c.ID)
	if !strings.Contains(page.Body, "<code>/c/ales</code>") {
		t.Error("the edit page does not list the old address")
	}

	// Old slugs stay taken.
	res = org.post(t, "/admin/campaigns/"+other.ID, campaignValues(other, func(v url.Values) { v.Set("slug", "ales") }))
	if res.Status != 422 || !strings.Contains(fieldError(res.Body, "slug"), "used it before") {
		t.Errorf("taking another campaign's old slug: %d %q", res.Status, fieldError(res.Body, "slug"))
	}
	if _, err := s.Service.Public(context.Background(), "other"); err != nil {
		t.Errorf("a refused edit changed the campaign: %v", err)
	}
}

func TestCampaignEditKeepsSignatures(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "keep", nil)
	s.signN(t, "keep", 3)
	org := s.loginAs(t, account.RoleOrganizer)
	before := s.signatureIDs(t, c.ID)
	if len(before) != 3 {
		t.Fatalf("%d signatures stored, want 3", len(before))
	}

	res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) {
		v.Set("title", "A new title")
		v.Set("letter", "Dear Ales,\n\nA new letter.")
		v.Set("goal", "10")
		v.Set("time_zone", "Europe/Warsaw")
		v.Set("before_date", "2027-08-01")
		v.Del("greetings_enabled")
	}))
	if res.Status != 303 {
		t.Fatalf("save: %d\n%s", res.Status, res.Body)
	}
	// A refused edit stores nothing at all.
	saved, err := s.Service.Campaign(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(saved, func(v url.Values) { v.Set("title", "") })); res.Status != 422 {
		t.Fatalf("refused edit: %d", res.Status)
	}
	got, err := s.Service.Campaign(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The form's times are in the campaign's zone: the same 03:00 is now
	// Warsaw's.
	closes, _ := campaign.Deadline("2027-08-01", "Europe/Warsaw")
	opens := time.Date(2027, 5, 1, 1, 0, 0, 0, time.UTC)
	if got.Title != "A new title" || got.Goal != 10 || !got.ClosesAt.Equal(closes) || got.Greetings.Enabled || !got.OpensAt.Equal(opens) {
		t.Errorf("stored after edit: %+v", got)
	}
	for _, step := range []string{"/close", "/archive", "/unarchive"} {
		if res := org.post(t, "/admin/campaigns/"+c.ID+step, nil); res.Status != 303 {
			t.Fatalf("%s: %d", step, res.Status)
		}
	}
	if after := s.signatureIDs(t, c.ID); !slices.Equal(after, before) {
		t.Errorf("signatures changed:\n before %v\n after  %v", before, after)
	}
	if n := s.Service.Count(c.ID); n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
	list := org.get(t, "/admin/campaigns")
	if !strings.Contains(list.Body, "A new title") || !regexp.MustCompile(`<td class="num">3<br>`).MatchString(list.Body) {
		t.Errorf("campaign list does not show 3 signatures:\n%s", list.Body)
	}
	checkPage(t, list)
	if page := s.get(t, "/c/keep"); page.Status != 200 || !strings.Contains(page.Body, "<strong>3</strong>") || !strings.Contains(page.Body, "A new letter.") {
		t.Errorf("public page after edits: %d", page.Status)
	}
}

func TestCampaignPreview(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	draft := s.addCampaign(t, "draft", func(c *campaign.Campaign) { c.OpensAt = time.Time{} })
	scheduled := s.addCampaign(t, "later", func(c *campaign.Campaign) { c.OpensAt = time.Date(2027, 6, 20, 0, 0, 0, 0, time.UTC) })
	org := s.loginAs(t, account.RoleOrganizer)
	for _, tt := range []struct {
		c      *campaign.Campaign
		banner string
	}{{draft, "This draft is not published"}, {scheduled, "not open yet"}} {
		if res := s.get(t, "/c/"+tt.c.Slug); res.Status != 404 {
			t.Errorf("public /c/%s = %d, want 404", tt.c.Slug, res.Status)
		}
		if res := s.get(t, "/api/v1/campaigns/"+tt.c.Slug); res.Status != 404 {
			t.Errorf("API %s = %d, want 404", tt.c.Slug, res.Status)
		}
		res := org.get(t, "/admin/campaigns/"+tt.c.ID+"/preview")
		if res.Status != 200 {
			t.Fatalf("preview of %s: %d", tt.c.Slug, res.Status)
		}
		checkPage(t, res)
		for _, want := range []string{tt.banner, `class="preview-banner"`, "<fieldset disabled", "You are not forgotten.",
			"Sign before 12 July 2027", "Add your name", `aria-current="page">Preview`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("preview of %s lacks %q", tt.c.Slug, want)
			}
		}
		if strings.Contains(res.Body, `method="post" action="/c/`) {
			t.Errorf("preview of %s has a working sign form", tt.c.Slug)
		}
	}
	if res := org.get(t, "/admin/campaigns/nope/preview"); res.Status != 404 {
		t.Errorf("preview of an unknown campaign: %d", res.Status)
	}
}

func TestCampaignSchedule(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "draft", func(c *campaign.Campaign) { c.OpensAt = time.Time{} })
	org := s.loginAs(t, account.RoleOrganizer)
	path := "/admin/campaigns/" + c.ID + "/schedule"

	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no date", url.Values{"opens_date": {""}, "opens_time": {"09:00"}}, "Enter the date"},
		{"not a date", url.Values{"opens_date": {"soon"}}, "Enter the date"},
		{"after the close", url.Values{"opens_date": {"2027-07-20"}, "opens_time": {"09:00"}}, "must open before it closes"},
	} {
		res := org.post(t, path, tt.form)
		if res.Status != 422 || !strings.Contains(res.Body, tt.want) || !strings.Contains(res.Body, `value="`+tt.form.Get("opens_date")+`"`) {
			t.Errorf("%s: %d, want 422 saying %q with the date kept", tt.name, res.Status, tt.want)
		}
	}
	res := org.post(t, path, url.Values{"opens_date": {"2027-06-05"}, "opens_time": {"10:00"}, "action": {"schedule"}})
	if res.Status != 303 {
		t.Fatalf("schedule: %d\n%s", res.Status, res.Body)
	}
	got, _ := s.Service.Campaign(context.Background(), c.ID)
	if want := time.Date(2027, 6, 5, 7, 0, 0, 0, time.UTC); !got.OpensAt.Equal(want) {
		t.Errorf("opens at %v, want %v (10:00 in Minsk)", got.OpensAt, want)
	}
	if res := s.get(t, "/c/draft"); res.Status != 404 {
		t.Errorf("scheduled campaign public before it opens: %d", res.Status)
	}
	page := org.get(t, "/admin/campaigns/"+c.ID)
	if !strings.Contains(page.Body, "status-scheduled") || !strings.Contains(page.Body, "Back to draft") {
		t.Error("edit page does not show the scheduled state")
	}
	s.Clock.Set(time.Date(2027, 6, 5, 7, 0, 1, 0, time.UTC))
	if res := s.get(t, "/c/draft"); res.Status != 200 {
		t.Errorf("campaign not public once it opened: %d", res.Status)
	}
	// Open campaigns cannot be scheduled again.
	org = s.loginAs(t, account.RoleOrganizer) // days later: a new session
	if res := org.post(t, path, url.Values{"action": {"draft"}}); res.Status != 409 {
		t.Errorf("scheduling an open campaign: %d, want 409", res.Status)
	}
	e := s.auditEntries(t, audit.CampaignChanged)
	if len(e) != 1 || e[0].Detail != "scheduled to open 2027-06-05 10:00 Europe/Minsk" {
		t.Errorf("audit = %+v", e)
	}
}

func TestCampaignCloseEarly(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	tok := s.token(t, "ales")
	org := s.loginAs(t, account.RoleOrganizer)

	confirm := org.get(t, "/admin/campaigns/"+c.ID+"/close")
	if confirm.Status != 200 || !strings.Contains(confirm.Body, "Close this campaign now?") || !strings.Contains(confirm.Body, `action="/admin/campaigns/`+c.ID+`/close"`) {
		t.Fatalf("confirmation page: %d\n%s", confirm.Status, confirm.Body)
	}
	checkPage(t, confirm)
	now := s.Clock.Now()
	res := org.post(t, "/admin/campaigns/"+c.ID+"/close", nil)
	if res.Status != 303 || !strings.HasSuffix(res.Header.Get("Location"), "?done=campaign_closed") {
		t.Fatalf("close: %d %s", res.Status, res.Header.Get("Location"))
	}
	got, _ := s.Service.Campaign(context.Background(), c.ID)
	if !got.ClosesAt.Equal(now) || got.Status(now) != campaign.StatusClosed {
		t.Errorf("closes at %v, want %v", got.ClosesAt, now)
	}
	if page := s.get(t, "/c/ales"); page.Status != 200 || !strings.Contains(page.Body, "This campaign closed on") || strings.Contains(page.Body, `action="/c/ales/sign`) {
		t.Errorf("public page after closing: %d", page.Status)
	}
	if res := s.post(t, "/c/ales/sign", signForm(tok, nil)); res.Status != 410 {
		t.Errorf("signing after closing: %d, want 410", res.Status)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/close", nil); res.Status != 409 {
		t.Errorf("closing a closed campaign: %d, want 409", res.Status)
	}
	if res := org.get(t, "/admin/campaigns/"+c.ID+"/close"); res.Status != 303 {
		t.Errorf("confirmation for a closed campaign: %d, want a redirect to the campaign", res.Status)
	}
	if e := s.auditEntries(t, audit.CampaignChanged); len(e) != 1 || e[0].Detail != "closed early" || e[0].Target != "ales" {
		t.Errorf("audit = %+v", e)
	}
}

func TestCampaignArchive(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "arch", func(c *campaign.Campaign) { c.Title = "The archived one" })
	s.addCampaign(t, "stays", nil)
	org := s.loginAs(t, account.RoleOrganizer)

	if res := org.post(t, "/admin/campaigns/"+c.ID+"/archive", nil); res.Status != 303 {
		t.Fatalf("archive: %d", res.Status)
	}
	for path, want := range map[string]int{"/c/arch": 404, "/c/arch/thanks": 404, "/api/v1/campaigns/arch": 404, "/c/stays": 200} {
		if res := s.get(t, path); res.Status != want {
			t.Errorf("%s = %d, want %d", path, res.Status, want)
		}
	}
	if home := s.get(t, "/"); strings.Contains(home.Body, "The archived one") {
		t.Error("the front page lists an archived campaign")
	}
	if dash := org.get(t, "/admin"); strings.Contains(dash.Body, "The archived one") {
		t.Error("the overview lists an archived campaign")
	}
	list := org.get(t, "/admin/campaigns")
	if !strings.Contains(list.Body, "The archived one") || !strings.Contains(list.Body, "status-archived") {
		t.Error("the campaigns page does not list the archived campaign as archived")
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/unarchive", nil); res.Status != 303 {
		t.Fatalf("unarchive: %d", res.Status)
	}
	if res := s.get(t, "/c/arch"); res.Status != 200 {
		t.Errorf("/c/arch after unarchiving = %d", res.Status)
	}
	e := s.auditEntries(t, audit.CampaignChanged)
	if len(e) != 2 || e[0].Detail != "archived" || e[1].Detail != "unarchived" {
		t.Errorf("audit = %+v", e)
	}
}

func TestDeadlineHelper(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	for _, tt := range []struct {
		name    string
		path    string
		edit    func(url.Values)
		status  int
		before  string // the "sign before" date the form shows
		message string
	}{
		{"birthday, two weeks", "/admin/campaigns/new", func(v url.Values) {
			v.Set("time_zone", "Europe/Minsk")
			v.Set("arrival_date", "2027-08-25")
		}, 200, "2027-08-11", "sign before 11 August 2027, 14 days before 25 August 2027"},
		{"new year, three weeks", "/admin/campaigns/" + c.ID, func(v url.Values) {
			v.Set("arrival_date", "2028-01-01")
			v.Set("transit_days", "21")
			v.Set("close_mode", "exact")
		}, 200, "2027-12-11", "sign before 11 December 2027"},
		{"default days", "/admin/campaigns/new", func(v url.Values) {
			v.Set("arrival_date", "2027-09-15")
			v.Set("transit_days", "")
		}, 200, "2027-09-01", "14 days"},
		{"no arrival date", "/admin/campaigns/new", nil, 422, "2027-07-12", "Enter the date the letters should arrive."},
		{"unreadable arrival date", "/admin/campaigns/new", func(v url.Values) { v.Set("arrival_date", "Christmas") }, 422, "2027-07-12", "like 2027-08-25"},
		{"days not a number", "/admin/campaigns/new", func(v url.Values) {
			v.Set("arrival_date", "2027-09-15")
			v.Set("transit_days", "two weeks")
		}, 422, "2027-07-12", "number of days from 0 to 366"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := newCampaignForm(tt.edit)
			if strings.HasPrefix(tt.path, "/admin/campaigns/c-") {
				form = campaignValues(c, tt.edit)
			}
			form.Set("action", "propose")
			form.Set("slug", "") // the helper ignores other problems
			res := org.post(t, tt.path, form)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.Status, tt.status, res.Body)
			}
			checkPage(t, res)
			if !strings.Contains(res.Body, `name="before_date" type="date" value="`+tt.before+`"`) {
				t.Errorf("the form does not propose %s", tt.before)
			}
			if !strings.Contains(html.UnescapeString(res.Body), tt.message) {
				t.Errorf("the page does not say %q", tt.message)
			}
			if tt.status == 200 && !strings.Contains(res.Body, `id="f-close_before" name="close_mode" type="radio" value="before" checked`) {
				t.Error("the proposal does not switch to a \"sign before\" date")
			}
			if fieldError(res.Body, "slug") != "" {
				t.Error("proposing a date reports the form's other problems")
			}
		})
	}
	if all, _ := s.Service.All(context.Background()); len(all) != 1 {
		t.Errorf("proposing stored a campaign: %d campaigns", len(all))
	}
	if got, _ := s.Service.Campaign(context.Background(), c.ID); !got.ClosesAt.Equal(c.ClosesAt) {
		t.Error("proposing changed the stored campaign")
	}
}

func TestRecipients(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	org := s.loginAs(t, account.RoleOrganizer)

	for _, tt := range []struct {
		name   string
		form   url.Values
		errors map[string]string
	}{
		{"empty", url.Values{"name": {""}, "country": {""}}, map[string]string{"name": "Enter the recipient's name", "country": "Choose the country"}},
		{"bad country and language", url.Values{"name": {"Maria Kalesnikava"}, "country": {"XX"}, "other_languages": {"Russian"}},
			map[string]string{"country": "Choose a country", "languages": "two-letter"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := org.post(t, "/admin/recipients/new", tt.form)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			checkPage(t, res)
			for field, want := range tt.errors {
				if got := fieldError(res.Body, field); !strings.Contains(got, want) {
					t.Errorf("error next to %s = %q, want %q", field, got, want)
				}
			}
			if v := tt.form.Get("other_languages"); v != "" && !strings.Contains(res.Body, `value="`+v+`"`) {
				t.Error("typed languages not kept")
			}
		})
	}

	form := url.Values{
		"name": {"Maria Kalesnikava"}, "description": {"Musician."}, "address": {"Maria Kalesnikava\r\n\r\n  Penal colony 4  \r\nHomiel"},
		"country": {"BY"}, "language_rules": {"Belarusian or Russian only."}, "languages": {"be", "ru"}, "other_languages": {"LV, be"},
		"censor_words": {"word one\r\nword two\r\n"},
	}
	res := org.post(t, "/admin/recipients/new", form)
	if res.Status != 303 || res.Header.Get("Location") != "/admin/recipients?done=recipient_saved" {
		t.Fatalf("create: %d %s\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	all, err := s.Service.Recipients(context.Background())
	if err != nil || len(all) != 1 {
		t.Fatalf("recipients = %v, %v", all, err)
	}
	r := all[0]
	if r.Name != "Maria Kalesnikava" || !slices.Equal(r.Address, []string{"Maria Kalesnikava", "Penal colony 4", "Homiel"}) ||
		r.Country != "BY" || !slices.Equal(r.Languages, []string{"be", "ru", "lv"}) ||
		!slices.Equal(r.CensorWords, []string{"word one", "word two"}) || r.LanguageRules != "Belarusian or Russian only." {
		t.Errorf("stored recipient = %+v", r)
	}
	list := org.get(t, "/admin/recipients")
	if !strings.Contains(list.Body, `href="/admin/recipients/`+r.ID+`">Maria Kalesnikava</a>`) || !strings.Contains(list.Body, "Belarus") {
		t.Errorf("recipient list:\n%s", list.Body)
	}
	checkPage(t, list)

	edit := org.get(t, "/admin/recipients/"+r.ID)
	for _, want := range []string{`value="be" checked`, `value="ru" checked`, `name="other_languages" type="text" value="lv"`, "Penal colony 4\nHomiel"} {
		if !strings.Contains(edit.Body, want) {
			t.Errorf("edit form lacks %q", want)
		}
	}
	checkPage(t, edit)
	form.Set("name", "Maryja Kalesnikava")
	form["languages"] = []string{"be"}
	form.Set("other_languages", "")
	if res := org.post(t, "/admin/recipients/"+r.ID, form); res.Status != 303 {
		t.Fatalf("edit: %d", res.Status)
	}
	got, _ := s.Service.Recipient(context.Background(), r.ID)
	if got.Name != "Maryja Kalesnikava" || !slices.Equal(got.Languages, []string{"be"}) || !got.CreatedAt.Equal(r.CreatedAt) {
		t.Errorf("edited recipient = %+v", got)
	}
	// Reusable: the campaign form offers it.
	if page := org.get(t, "/admin/campaigns/new"); !strings.Contains(page.Body, `<option value="`+r.ID+`">Maryja Kalesnikava</option>`) {
		t.Error("the campaign form does not offer the recipient")
	}
	if res := org.get(t, "/admin/recipients/nobody"); res.Status != 404 {
		t.Errorf("unknown recipient: %d", res.Status)
	}
	if e := s.auditEntries(t, audit.RecipientSaved); len(e) != 2 || e[0].Target != r.ID || !strings.HasPrefix(e[1].Detail, "edited") {
		t.Errorf("audit = %+v", e)
	}
}

// A form opened before someone else saved the campaign, or closed it
// early, must not undo that change.
func TestStaleCampaignFormIsRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	stale := campaignValues(c, func(v url.Values) { v.Set("title", "My edit") })
	if res := org.post(t, "/admin/campaigns/"+c.ID, campaignValues(c, func(v url.Values) { v.Set("title", "Their edit") })); res.Status != 303 {
		t.Fatalf("first save: %d", res.Status)
	}
	res := org.post(t, "/admin/campaigns/"+c.ID, stale)
	if res.Status != http.StatusConflict || !strings.Contains(res.Body, "Someone saved this campaign") || !strings.Contains(res.Body, `value="My edit"`) {
		t.Fatalf("stale save: %d, want 409 with the text kept\n%s", res.Status, res.Body)
	}
	got, err := s.Service.Campaign(context.Background(), c.ID)
	if err != nil || got.Title != "Their edit" {
		t.Fatalf("stored title %q, %v; want the newer save kept", got.Title, err)
	}
	// The refused form carries the current version: saving it again is a
	// deliberate overwrite.
	m := regexp.MustCompile(`name="version" value="(-?\d+)"`).FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatal("no version in the form")
	}
	stale.Set("version", m[1])
	if res := org.post(t, "/admin/campaigns/"+c.ID, stale); res.Status != 303 {
		t.Errorf("save after seeing the conflict: %d, want 303", res.Status)
	}
}
