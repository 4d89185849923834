package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// Issue 13's tests of script injection: a hostile value in every field of
// a post, a recipient and a delivery event that some page shows reaches
// the public pages, the feeds, the console and the API as text only.

// surface is a page to check: its path, whether the console draws it, and
// the markers of the fields it must show.
type surface struct {
	path    string
	console bool
	markers []string
}

// check gets each surface (as org for the console's) and asserts it inert.
func checkSurfaces(t *testing.T, s *site, org *user, surfaces []surface) {
	t.Helper()
	for _, sf := range surfaces {
		t.Run(strings.ReplaceAll(sf.path, "/", "_"), func(t *testing.T) {
			var res response
			if sf.console {
				res = org.get(t, sf.path)
			} else {
				res = s.get(t, sf.path)
			}
			if res.Status != 200 {
				t.Fatalf("%s: status %d", sf.path, res.Status)
			}
			assertInert(t, sf.path, res.Body, sf.markers...)
		})
	}
}

// A post whose every field an organizer types holds hostile text: its
// title, excerpt, body (raw HTML, hostile links and pictures), place,
// tags, who consented, and a translation's title, excerpt and body. It is
// written, previewed and published through the console.
func TestPostFieldsAreInertEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	org := s.loginAs(t, account.RoleOrganizer)
	form := url.Values{
		"post_title": {"F-TITLE " + hostile}, "post_slug": {"hostile"}, "post_lang": {"en"}, "post_recipient_id": {"r-ales"},
		"post_kind": {"from"}, "post_written_on": {"2012-12-02"}, "post_written_at": {"F-PLACE " + hostile},
		"post_received_on": {"2013-01-10"}, "post_received_by": {"family"}, "post_show_received_by": {"yes"},
		"post_consent": {"yes"}, "post_consent_by": {"F-CONSENT " + hostile},
		"post_excerpt": {"F-EXCERPT " + hostile}, "post_body": {hostileMarkdown("F-BODY")},
		"post_tags":        {`ftag, <script>alert(1)</script>, "><img src=x onerror=alert(1)>, ]]>, javascript:alert(1)`},
		"post_campaign_id": {"c-ales"},
		"tr_be_title":      {"F-TR-TITLE " + hostile}, "tr_be_excerpt": {"F-TR-EXCERPT " + hostile},
		"tr_be_body": {hostileMarkdown("F-TR-BODY")},
	}
	preview := url.Values{"action": {"preview"}}
	for k, v := range form {
		preview[k] = v
	}
	res := org.post(t, "/admin/posts/new", preview)
	if res.Status != 200 {
		t.Fatalf("preview: status %d\n%s", res.Status, res.Body)
	}
	assertInert(t, "the new post's preview", res.Body, "F-TITLE", "F-PLACE", "F-BODY", "F-CONSENT", "F-TR-BODY", "F-EXCERPT")
	res = org.post(t, "/admin/posts/new", form)
	if res.Status != 303 {
		t.Fatalf("create: status %d\n%s", res.Status, res.Body)
	}
	id := strings.TrimPrefix(strings.Split(res.Header.Get("Location"), "?")[0], "/admin/posts/")
	if res := org.post(t, "/admin/posts/"+id+"/publish", url.Values{"version": {"1"}}); res.Status != 303 {
		t.Fatalf("publish: status %d\n%s", res.Status, res.Body)
	}
	stored, err := s.Core.Posts.Post(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Title != "F-TITLE "+hostile || stored.Translations[0].Body != hostileMarkdown("F-TR-BODY") {
		t.Fatalf("the post was not stored as typed: %q", stored.Title)
	}
	tag := "/letters/tag/ftag"
	// A preview of the stored post, and the form refused (a bad date)
	// echo what was typed.
	preview.Set("version", "2")
	if res := org.post(t, "/admin/posts/"+id, preview); res.Status != 200 {
		t.Errorf("preview of the stored post: status %d", res.Status)
	} else {
		assertInert(t, "the stored post's preview", res.Body, "F-TITLE", "F-BODY", "F-CONSENT")
	}
	refused := url.Values{"post_written_on": {"2 Dec " + hostile}, "version": {"2"}}
	for k, v := range form {
		if _, ok := refused[k]; !ok {
			refused[k] = v
		}
	}
	if res := org.post(t, "/admin/posts/"+id, refused); res.Status != 422 {
		t.Errorf("a bad date: status %d, want 422", res.Status)
	} else {
		assertInert(t, "the refused form", res.Body, "F-TITLE", "F-BODY", "F-CONSENT", "F-TR-EXCERPT", "2 Dec")
	}
	checkSurfaces(t, s, org, []surface{
		{"/letters?lang=en", false, []string{"F-TITLE", "F-EXCERPT", "F-PLACE"}},
		{"/letters?lang=be", false, []string{"F-TR-TITLE", "F-TR-EXCERPT", "F-PLACE"}},
		{"/letters/hostile?lang=en", false, []string{"F-TITLE", "F-BODY", "F-PLACE", "ftag", "F-EXCERPT"}},
		{"/letters/hostile?lang=be", false, []string{"F-TR-TITLE", "F-TR-BODY", "F-PLACE", "F-TR-EXCERPT"}},
		{tag + "?lang=en", false, []string{"F-TITLE", "F-EXCERPT"}},
		{"/r/ales-bialiatski?lang=en", false, []string{"F-TITLE", "F-EXCERPT"}},
		{"/admin/posts", true, []string{"F-TITLE"}},
		{"/admin/posts/" + id, true, []string{"F-TITLE", "F-EXCERPT", "F-BODY", "F-PLACE", "F-CONSENT", "F-TR-TITLE", "F-TR-EXCERPT", "F-TR-BODY", "ftag"}},
	})
	for _, path := range []string{"/letters/feed.atom", tag + "/feed.atom", "/r/ales-bialiatski/feed.atom"} {
		f := assertFeedInert(t, s, path, "F-TITLE", "F-EXCERPT", "F-BODY", "ftag")
		if len(f.Entries) != 1 {
			t.Errorf("%s: %d entries, want 1", path, len(f.Entries))
		}
	}
	if urls := s.sitemapURLs(t); len(urls) == 0 {
		t.Error("the sitemap is empty")
	}
	// The page's Open Graph tags carry the title and excerpt as text.
	tags := headTags(t, s.get(t, "/letters/hostile?lang=en").Body)
	if tags["og:title"] != "F-TITLE "+hostile || !strings.HasPrefix(tags["og:description"], "F-EXCERPT") {
		t.Errorf("og:title %q, og:description %q", tags["og:title"], tags["og:description"])
	}
}

// Control characters (a terminal's escape, a NUL, a bell, a text
// direction override) in any field a post has are refused with the form
// again, saying which field.
func TestPostControlCharactersAreRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	valid := func() url.Values {
		return url.Values{"post_title": {"A letter"}, "post_lang": {"en"}, "post_recipient_id": {"r-ales"}, "post_kind": {"news"},
			"post_body": {"Dear friends"}, "post_written_at": {"Babruysk"}, "post_excerpt": {"An excerpt"},
			"post_consent": {"yes"}, "post_consent_by": {"his wife"}}
	}
	if res := org.post(t, "/admin/posts/new", valid()); res.Status != 303 {
		t.Fatalf("the valid form: status %d", res.Status)
	}
	for _, field := range []string{"post_title", "post_written_at", "post_consent_by", "post_excerpt", "post_body", "tr_be_title", "tr_be_body"} {
		for name, ctl := range map[string]string{"escape": "\x1b[31m", "nul": "\x00", "bell": "\a", "override": "\u202e"} {
			t.Run(field+"/"+name, func(t *testing.T) {
				form := valid()
				form.Set("post_slug", "x-"+strings.ReplaceAll(field, "_", "-")+"-"+name)
				if strings.HasPrefix(field, "tr_be") {
					form.Set("tr_be_title", "Ліст")
					form.Set("tr_be_body", "Дарагія")
				}
				form.Set(field, "F-CTL "+form.Get(field)+ctl+hostile)
				res := org.post(t, "/admin/posts/new", form)
				if res.Status != 422 {
					t.Fatalf("status %d, want 422", res.Status)
				}
				errID := `id="e-` + field + `"`
				if strings.HasPrefix(field, "tr_be") {
					errID = `id="e-post_tr_be"`
				}
				if !strings.Contains(res.Body, errID) {
					t.Errorf("the form does not say which field is wrong (%s)", errID)
				}
				assertInert(t, "the refused form", res.Body, "F-CTL")
			})
		}
	}
}

// A recipient whose every field holds hostile text, saved through the
// console, with a transfer to a hostile address and a hostile note: the
// recipient's page, the campaign page, the posts about them, the feed, the
// console's pages about them and the forms that name them show it all as
// text.
func TestRecipientFieldsAreInertEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	res := org.post(t, "/admin/recipients/r-ales", url.Values{
		"name": {"F-NAME " + hostile}, "country": {"BY"}, "slug": {"hostile"},
		"description": {"F-STORY " + hostile + "\n\nF-STORY2 " + hostile}, "sentence": {"F-SENTENCE " + hostile},
		"detained_since": {"2021-07-14"}, "address": {"F-PRISON " + hostile + "\nF-STREET " + hostile},
		"language_rules": {"F-RULES " + hostile}, "languages": {"be"}, "censor_words": {"F-CENSOR " + hostile},
	})
	if res.Status != 303 {
		t.Fatalf("save recipient: status %d\n%s", res.Status, res.Body)
	}
	s.addPost(t, "About them", s.Clock.Now(), nil)
	// Before the transfer: the address is public.
	checkSurfaces(t, s, org, []surface{
		{"/r/hostile?lang=en", false, []string{"F-NAME", "F-STORY", "F-SENTENCE", "F-PRISON", "F-STREET", "F-RULES"}},
	})
	if res := org.post(t, "/admin/recipients/r-ales/status", url.Values{"situation": {"transferred"}, "day": {"2027-05-20"},
		"address": {"F-NEWADDR " + hostile}, "note": {"F-NOTE " + hostile}}); res.Status != 303 {
		t.Fatalf("record a transfer: status %d\n%s", res.Status, res.Body)
	}
	checkSurfaces(t, s, org, []surface{
		{"/r/hostile?lang=en", false, []string{"F-NAME", "F-STORY", "F-SENTENCE", "F-NEWADDR", "F-RULES"}},
		{"/r/hostile?lang=be", false, []string{"F-NAME", "F-STORY", "F-NEWADDR"}},
		{"/c/ales?lang=en", false, []string{"F-NAME", "F-STORY"}},
		{"/c/ales?lang=be", false, []string{"F-NAME"}},
		{"/letters?lang=en", false, []string{"F-NAME"}},
		{"/letters/about-them?lang=en", false, []string{"F-NAME"}},
		{"/", false, nil},
		{"/embed/ales", false, nil},
		{"/admin/recipients", true, []string{"F-NAME"}},
		{"/admin/recipients/r-ales", true, []string{"F-NAME", "F-STORY", "F-SENTENCE", "F-PRISON", "F-NEWADDR", "F-NOTE", "F-RULES", "F-CENSOR"}},
		{"/admin/posts/new", true, []string{"F-NAME"}},
		{"/admin/campaigns/" + c.ID, true, []string{"F-NAME"}},
		{"/admin/campaigns", true, nil},
	})
	// The page's description comes from the story: text in an attribute.
	if d := headTags(t, s.get(t, "/r/hostile?lang=en").Body)["og:description"]; !strings.HasPrefix(d, "F-STORY "+hostile) {
		t.Errorf("og:description %q", d)
	}
	f := assertFeedInert(t, s, "/r/hostile/feed.atom", "F-NAME")
	if len(f.Entries) != 1 {
		t.Errorf("the feed has %d entries, want 1", len(f.Entries))
	}
	// A form refused keeps what was typed, as text.
	res = org.post(t, "/admin/recipients/r-ales", url.Values{"name": {"F-NAME " + hostile}, "country": {"XX"},
		"description": {"F-STORY " + hostile}, "sentence": {"F-SENTENCE " + hostile}, "address": {"F-PRISON " + hostile}})
	if res.Status != 422 {
		t.Fatalf("an unknown country: status %d, want 422", res.Status)
	}
	assertInert(t, "the refused recipient form", res.Body, "F-NAME", "F-STORY", "F-SENTENCE", "F-PRISON")
	// Hostile text in a status change's address, refused for a bad day.
	res = org.post(t, "/admin/recipients/r-ales/status", url.Values{"situation": {"transferred"}, "day": {"F-DAY " + hostile},
		"address": {"F-NEWADDR2 " + hostile}, "note": {"F-NOTE2 " + hostile}})
	if res.Status != 422 {
		t.Fatalf("a bad day: status %d, want 422", res.Status)
	}
	assertInert(t, "the refused status form", res.Body, "F-NEWADDR2", "F-NOTE2")

	// Control characters in a status change's address and note.
	res = org.post(t, "/admin/recipients/r-ales/status", url.Values{"situation": {"transferred"}, "day": {"2027-05-20"},
		"address": {"F-CNEWADDR" + controls}, "note": {"F-CNOTE" + controls}})
	if res.Status != 422 || strings.Count(res.Body, "control or text-direction characters") < 2 {
		t.Fatalf("a status change with control characters: status %d, or not every field says why", res.Status)
	}
	assertInert(t, "the status form refused for control characters", res.Body, "F-CNEWADDR", "F-CNOTE")

	// Control characters in the recipient's fields, which the form takes
	// as typed: the pages hold no NUL, the feed stays well-formed.
	res = org.post(t, "/admin/recipients/r-ales", url.Values{
		"name": {"F-CNAME" + controls}, "country": {"BY"}, "slug": {"hostile"}, "description": {"F-CSTORY" + controls},
		"sentence": {"F-CSENTENCE" + controls}, "address": {"F-CPRISON" + controls}, "language_rules": {"F-CRULES" + controls},
	})
	// Refused, as a post's are: the form again, as text, saying why.
	if res.Status != 422 || strings.Count(res.Body, "control or text-direction characters") < 5 {
		t.Fatalf("save recipient with control characters: status %d, or not every field says why", res.Status)
	}
	assertInert(t, "the recipient form refused for control characters", res.Body, "F-CNAME")
}

// controls are control characters: a NUL, a terminal's escape sequence, a
// bell, a form feed, a text direction override and a DEL.
const controls = "\x00\x1b[2J\a\f\u202e\x7f]]>"

// A delivery event whose every field an organizer types holds hostile
// text: the public note, the reason, the tracking number; a method or a
// post's address that is not one is refused and shown as typed. The
// campaign page, the recipient page, the console and the API show them as
// text.
func TestDeliveryFieldsAreInertEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	s.Clock.Set(time.Date(2027, 9, 10, 12, 0, 0, 0, time.UTC)) // closed
	org := s.loginAs(t, account.RoleOrganizer)
	for _, form := range []url.Values{
		{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"registered"}, "envelopes": {"2"}, "tracking": {"F-TRACK " + hostile},
			"public_note": {"F-POSTED " + hostile}, "internal_note": {"F-INTERNAL " + hostile}},
		{"kind": {"returned"}, "day": {"2027-08-06"}, "reason": {"F-REASON " + hostile}, "public_note": {"F-RETURNED " + hostile}},
		{"kind": {"blocked"}, "day": {"2027-08-07"}, "public_note": {"F-BLOCKED " + hostile}},
		{"kind": {"delivered"}, "day": {"2027-08-05"}, "public_note": {"F-DELIVERED " + hostile}},
	} {
		form.Set("public", "yes")
		recordEvent(t, org, c, form)
	}
	events, err := s.Core.Delivery.Events(t.Context(), c.ID)
	if err != nil || len(events) != 4 {
		t.Fatalf("events %d, %v", len(events), err)
	}
	var posted string
	for _, e := range events {
		if e.Tracking != "" {
			posted = e.ID
		}
	}
	// Control characters would reach the timeline raw: refused, with the
	// form shown again as typed, as text.
	res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", url.Values{"kind": {"confirmed"}, "day": {"2027-08-10"},
		"public_note": {"F-CONFIRMED" + controls}, "public": {"yes"}})
	if res.Status != 422 || !strings.Contains(res.Body, "control or text-direction characters") {
		t.Fatalf("an event with control characters: status %d, or no message says why", res.Status)
	}
	assertInert(t, "the event form refused for control characters", res.Body, "F-CONFIRMED")
	checkSurfaces(t, s, org, []surface{
		{"/c/ales?lang=en", false, []string{"F-POSTED", "F-REASON", "F-RETURNED", "F-BLOCKED", "F-DELIVERED"}},
		{"/c/ales?lang=be", false, []string{"F-POSTED", "F-REASON", "F-BLOCKED"}},
		{"/r/ales-bialiatski?lang=en", false, nil},
		{"/", false, nil},
		{"/admin/campaigns/" + c.ID + "/delivery", true, []string{"F-TRACK", "F-POSTED", "F-INTERNAL", "F-REASON", "F-BLOCKED"}},
		{"/admin/campaigns/" + c.ID + "/delivery/" + posted, true, []string{"F-TRACK", "F-POSTED", "F-INTERNAL"}},
	})
	// What is not a method, a post's address or a day is refused; the
	// form shows what was typed, as text.
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"method", url.Values{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"F-METHOD " + hostile}, "envelopes": {"1"}}, "method"},
		{"post", url.Values{"kind": {"reply"}, "day": {"2027-09-01"}, "post": {"F-POST " + hostile}}, "post"},
		{"day", url.Values{"kind": {"delivered"}, "day": {"F-DAY " + hostile}}, "day"},
		{"numbers", url.Values{"kind": {"reply"}, "day": {"2027-09-01"}, "numbers": {"F-NUMBERS " + hostile}}, "numbers"},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			tc.form.Set("public_note", "F-REFUSED "+hostile)
			tc.form.Set("public", "yes")
			res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", tc.form)
			if res.Status != 422 {
				t.Fatalf("status %d, want 422", res.Status)
			}
			if !strings.Contains(res.Body, `id="e-`+tc.field+`"`) {
				t.Errorf("the form does not say %s is wrong", tc.field)
			}
			markers := []string{"F-REFUSED"}
			if tc.name != "method" { // a method is chosen from a list, not echoed
				markers = append(markers, "F-"+strings.ToUpper(tc.name))
			}
			assertInert(t, "the refused form", res.Body, markers...)
		})
	}
	// The API gives the public texts as JSON strings, exactly as typed,
	// with no markup a browser sniffing the answer could run.
	for _, path := range []string{"/api/v1/campaigns/ales", "/api/v1/campaigns/ales?lang=be", "/api/v1/campaigns"} {
		res := s.get(t, path)
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: status %d, type %q, nosniff %q", path, res.Status, res.Header.Get("Content-Type"), res.Header.Get("X-Content-Type-Options"))
			continue
		}
		if strings.ContainsAny(res.Body, "<>") {
			t.Errorf("%s holds < or > unescaped", path)
		}
		for _, f := range []string{"F-TRACK", "F-INTERNAL"} {
			if strings.Contains(res.Body, f) {
				t.Errorf("%s shows the console's %s", path, f)
			}
		}
		var body struct {
			Delivery  []struct{ Note, Reason string }
			Campaigns []struct {
				Delivery []struct{ Note, Reason string }
			}
		}
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		events := body.Delivery
		for _, c := range body.Campaigns {
			events = append(events, c.Delivery...)
		}
		var notes []string
		for _, e := range events {
			notes = append(notes, e.Note, e.Reason)
		}
		all := strings.Join(notes, "|")
		for _, want := range []string{"F-POSTED " + hostile, "F-REASON " + hostile, "F-BLOCKED " + hostile} {
			if !strings.Contains(all, want) {
				t.Errorf("%s lacks %q as typed", path, want)
			}
		}
	}
}
