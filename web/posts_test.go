package web_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// addPost stores a post about the recipient of the campaign "ales" (which
// the site must have), changed by edit, and publishes it at publish when
// that is not zero.
func (s *site) addPost(t testing.TB, title string, publish time.Time, edit func(*posts.Input)) posts.Post {
	t.Helper()
	ctx := context.Background()
	in := posts.Input{Title: title, Lang: "en", RecipientID: "r-ales", Kind: "from", WrittenOn: "2012-12-02",
		WrittenAt: "Babruysk", ReceivedOn: "2013-01-10", ReceivedBy: "family", Consent: true, ConsentBy: "Natallia, his wife",
		Excerpt: "Excerpt of " + title + ".", Body: "Dear friends,\n\n*Thank you* for the postcards.", Tags: "new year", CampaignID: "c-ales"}
	if edit != nil {
		edit(&in)
	}
	p, err := s.Core.Posts.Create(ctx, in)
	if err != nil {
		t.Fatalf("create post %q: %v", title, err)
	}
	if !publish.IsZero() {
		if p, err = s.Core.Posts.Publish(ctx, p.ID, p.Version, publish, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// atom is what the tests read of a feed.
type atom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Link      struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content string `xml:"content"`
	} `xml:"entry"`
}

func (s *site) feed(t *testing.T, path string) atom {
	t.Helper()
	res := s.get(t, path)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("%s: status %d, type %q", path, res.Status, res.Header.Get("Content-Type"))
	}
	var f atom
	d := xml.NewDecoder(strings.NewReader(res.Body))
	d.Strict = true
	if err := d.Decode(&f); err != nil {
		t.Fatalf("%s is not well-formed Atom: %v\n%s", path, err, res.Body)
	}
	for _, v := range append([]string{f.Updated}, f.entryDates()...) {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			t.Errorf("%s: date %q is not RFC 3339", path, v)
		}
	}
	return f
}

func (f atom) entryDates() []string {
	var out []string
	for _, e := range f.Entries {
		out = append(out, e.Updated, e.Published)
	}
	return out
}

func (f atom) titles() string {
	var out []string
	for _, e := range f.Entries {
		out = append(out, e.Title)
	}
	return strings.Join(out, "|")
}

// Drafts, posts scheduled for later and unlisted posts appear in no list,
// tag page or feed; unlisted ones are read by their link, marked noindex.
func TestPostsVisibility(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	now := s.Clock.Now()
	s.addPost(t, "Published letter", now, nil)
	s.addPost(t, "Draft letter", time.Time{}, nil)
	s.addPost(t, "Later letter", now.Add(time.Hour), func(in *posts.Input) { in.WrittenOn = "2013-02-01" })
	unlisted := s.addPost(t, "Unlisted letter", now, nil)
	if _, err := s.Core.Posts.SetUnlisted(context.Background(), unlisted.ID, unlisted.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/letters", "/letters/tag/new-year"} {
		body := s.get(t, path).Body
		if !strings.Contains(body, "Published letter") {
			t.Errorf("%s lacks the published post", path)
		}
		for _, hidden := range []string{"Draft letter", "Later letter", "Unlisted letter"} {
			if strings.Contains(body, hidden) {
				t.Errorf("%s shows %q", path, hidden)
			}
		}
	}
	for _, path := range []string{"/letters/feed.atom", "/letters/tag/new-year/feed.atom"} {
		if got := s.feed(t, path).titles(); got != "Published letter" {
			t.Errorf("%s entries %q, want the published post only", path, got)
		}
	}
	tests := []struct {
		slug    string
		status  int
		noindex bool
	}{
		{"published-letter", 200, false},
		{"draft-letter", 404, false},
		{"later-letter", 404, false},
		{"unlisted-letter", 200, true},
	}
	for _, tt := range tests {
		res := s.get(t, "/letters/"+tt.slug)
		if res.Status != tt.status {
			t.Errorf("/letters/%s: status %d, want %d", tt.slug, res.Status, tt.status)
			continue
		}
		noindex := strings.Contains(res.Body, `<meta name="robots" content="noindex">`) && res.Header.Get("X-Robots-Tag") == "noindex"
		if res.Status == 200 && noindex != tt.noindex {
			t.Errorf("/letters/%s: noindex %v, want %v", tt.slug, noindex, tt.noindex)
		}
	}
	// The scheduled post comes out when its time comes, newest first by
	// the day it was written.
	s.Clock.Set(now.Add(2 * time.Hour))
	if got := s.feed(t, "/letters/feed.atom").titles(); got != "Later letter|Published letter" {
		t.Errorf("feed after the scheduled time: %q", got)
	}
	if res := s.get(t, "/letters/later-letter"); res.Status != 200 {
		t.Errorf("scheduled post after its time: status %d", res.Status)
	}
	// Tags in any script have their page and feed.
	s.addPost(t, "Ліст", now, func(in *posts.Input) { in.Tags = "Новы год" })
	for _, path := range []string{"/letters/tag/" + url.PathEscape("новы-год"), "/letters/tag/" + url.PathEscape("новы-год") + "/feed.atom"} {
		if res := s.get(t, path); res.Status != 200 || !strings.Contains(res.Body, "Ліст") {
			t.Errorf("%s: status %d", path, res.Status)
		}
	}
	if body := s.get(t, "/letters/list").Body; !strings.Contains(body, `href="/letters/tag/%d0%bd%d0%be%d0%b2%d1%8b-%d0%b3%d0%be%d0%b4"`) {
		i := strings.Index(body, "tag/")
		t.Errorf("the post does not link its Cyrillic tag's page: %s", body[max(i-20, 0):min(i+120, len(body))])
	}
	// A tag nobody uses has no page.
	if res := s.get(t, "/letters/tag/nothing"); res.Status != 404 {
		t.Errorf("unused tag: status %d", res.Status)
	}
	// The home page leads to the letters.
	if body := s.get(t, "/").Body; !strings.Contains(body, `<a href="/letters">`) {
		t.Error("the home page does not link to /letters")
	}
}

// The list shows excerpts with "Read more", ten a page, newest first.
func TestPostsListPages(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	for i := range 12 {
		s.addPost(t, fmt.Sprintf("Letter %02d", i), s.Clock.Now(), func(in *posts.Input) {
			in.WrittenOn = fmt.Sprintf("2012-01-%02d", i+1)
		})
	}
	first := s.get(t, "/letters?lang=en").Body
	if !strings.Contains(first, "Letter 11") || strings.Contains(first, "Letter 01") {
		t.Error("page 1 does not hold the newest ten")
	}
	if strings.Index(first, "Letter 11") > strings.Index(first, "Letter 10") {
		t.Error("page 1 is not newest first")
	}
	if !strings.Contains(first, "Read more") || !strings.Contains(first, "Excerpt of Letter 11.") {
		t.Error("page 1 lacks excerpts and Read more")
	}
	if !strings.Contains(first, `href="/letters?page=2" rel="next"`) {
		t.Error("page 1 does not link page 2")
	}
	second := s.get(t, "/letters?page=2&lang=en").Body
	if !strings.Contains(second, "Letter 01") || !strings.Contains(second, "Letter 00") || strings.Contains(second, "Letter 02") {
		t.Error("page 2 does not hold the oldest two")
	}
	if res := s.get(t, "/letters?page=3"); res.Status != 404 {
		t.Errorf("page 3: status %d", res.Status)
	}
}

// A post's page: the date and place, how it reached us, the body, tags,
// the campaign, Open Graph tags, and the reader's language when the post
// has a translation into it.
func TestPostPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "Paris, Paris… but I return home", s.Clock.Now(), func(in *posts.Input) {
		in.Translations = []posts.Translation{{Lang: "be", Title: "Парыж, Парыж… але я вяртаюся дадому", Excerpt: "Урыўкі.", Body: "Дарагія сябры!"}}
	})
	en := s.get(t, "/letters/"+p.Slug+"?lang=en").Body
	for _, want := range []string{
		`<time datetime="2012-12-02">2 December 2012, Babruysk</time>`,
		// How it reached us is the console's unless shown on purpose.
		"Reached us on 10 January 2013.",
		"<p><em>Thank you</em> for the postcards.</p>",
		`<a href="/letters/tag/new-year">new-year</a>`,
		`<a href="/c/ales">Send a message to Ales Bialiatski before 12 July</a>`,
		`Letter from prison · <a href="/r/ales-bialiatski">Ales Bialiatski</a>`,
	} {
		if !strings.Contains(en, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}
	if strings.Contains(en, "Natallia") {
		t.Error("the page shows who consented")
	}
	if strings.Contains(en, "through the family") {
		t.Error("the page says how the letter reached us, which the post does not show")
	}
	shown := s.addPost(t, "Through the lawyer", s.Clock.Now(), func(in *posts.Input) {
		in.ReceivedBy, in.ShowReceivedBy = "lawyer", true
	})
	if page := s.get(t, "/letters/"+shown.Slug+"?lang=en").Body; !strings.Contains(page, "Reached us on 10 January 2013, through the lawyer.") {
		t.Error("a post shown with how it reached us does not say it")
	}
	if e, ok := s.Core.Posts.Posts().Public(p.Slug, s.Clock.Now()); !ok || e.Post.ConsentBy != "" {
		t.Errorf("the public cache holds who consented: %q (found %t)", e.Post.ConsentBy, ok)
	}
	form := s.loginAs(t, "organizer").get(t, "/admin/posts/new").Body
	if !strings.Contains(form, `name="post_show_received_by" type="checkbox" value="yes" aria-describedby="h-post_show_received_by">`) {
		t.Error("the new post's form lacks the unticked \"show publicly\" box with its hint")
	}
	tags := headTags(t, en)
	for name, want := range map[string]string{
		"og:title": "Paris, Paris… but I return home", "og:type": "article", "og:url": s.URL + "/letters/" + p.Slug,
		"og:description": "Excerpt of Paris, Paris… but I return home.", "canonical": s.URL + "/letters/" + p.Slug + "?lang=en",
	} {
		if tags[name] != want {
			t.Errorf("%s = %q, want %q", name, tags[name], want)
		}
	}
	be := s.get(t, "/letters/"+p.Slug+"?lang=be").Body
	if !strings.Contains(be, `<h1 lang="be">Парыж, Парыж… але я вяртаюся дадому</h1>`) || !strings.Contains(be, "Дарагія сябры!") {
		t.Error("the Belarusian page does not show the translation")
	}
	if !strings.Contains(be, "2 снежня 2012 г., Babruysk") && !strings.Contains(be, "2 снежня 2012, Babruysk") {
		t.Errorf("the Belarusian page does not date the letter in Belarusian")
	}
	pl := s.get(t, "/letters/"+p.Slug+"?lang=pl").Body
	if !strings.Contains(pl, `<h1 lang="en">Paris`) || !strings.Contains(pl, `hreflang="be">Беларуская</a>`) || !strings.Contains(pl, "Język oryginału: angielski.") {
		t.Error("the Polish page does not show the original with a link to the translation")
	}
}

// A feed's content has no relative links or images: feed readers would
// resolve them against the feed, or not at all.
func TestPostFeedLinksAreAbsolute(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	scan := "/letters/scans/" + strings.Repeat("ab", 32) + ".jpg"
	p := s.addPost(t, "Links", s.Clock.Now(), func(in *posts.Input) {
		in.Body = "See [the campaign](/c/ales), [the note](#note), [Viasna](https://spring96.org/en) and\n\n![page 1](" + scan + ")"
	})
	f := s.feed(t, "/letters/feed.atom")
	if len(f.Entries) != 1 {
		t.Fatalf("%d entries", len(f.Entries))
	}
	content := f.Entries[0].Content
	for _, want := range []string{
		`href="` + s.URL + `/c/ales"`,
		`href="` + s.URL + `/letters/` + p.Slug + `#note"`,
		`href="https://spring96.org/en"`,
		`src="` + s.URL + scan + `"`,
	} {
		if !strings.Contains(content, want) {
			t.Errorf("content lacks %s\n%s", want, content)
		}
	}
	for _, rel := range regexp.MustCompile(`(?:href|src)="([^"]*)"`).FindAllStringSubmatch(content, -1) {
		if u, err := url.Parse(html.UnescapeString(rel[1])); err != nil || !u.IsAbs() {
			t.Errorf("relative address %q in the feed's content", rel[1])
		}
	}
}

// Feeds are well-formed Atom, with entry ids that stay when a post's slug
// and title are edited, and updated dates that move with edits.
func TestPostFeedIDs(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, `Letter <with> "markup" & more`, s.Clock.Now(), func(in *posts.Input) {
		in.Body = "**bold**\n\n<script>alert(1)</script>\n\nend"
	})
	before := s.feed(t, "/letters/feed.atom")
	if len(before.Entries) != 1 {
		t.Fatalf("%d entries", len(before.Entries))
	}
	e := before.Entries[0]
	if !strings.HasPrefix(e.ID, "tag:127.0.0.1,2027-06-01:posts/"+p.ID) {
		t.Errorf("entry id %q", e.ID)
	}
	if e.Title != `Letter <with> "markup" & more` || e.Link.Href != s.URL+"/letters/"+p.Slug {
		t.Errorf("entry title %q, link %q", e.Title, e.Link.Href)
	}
	if strings.Contains(e.Content, "<script") || !strings.Contains(e.Content, "<strong>bold</strong>") {
		t.Errorf("entry content %q", e.Content)
	}
	if before.ID != s.URL+"/letters" {
		t.Errorf("feed id %q", before.ID)
	}
	s.Clock.Set(s.Clock.Now().Add(time.Hour))
	in := posts.InputOf(&p)
	in.Title, in.Slug = "Renamed", "renamed"
	if _, err := s.Core.Posts.Update(context.Background(), p.ID, p.Version, in); err != nil {
		t.Fatal(err)
	}
	after := s.feed(t, "/letters/feed.atom").Entries[0]
	if after.ID != e.ID {
		t.Errorf("entry id changed with the slug: %q, was %q", after.ID, e.ID)
	}
	if after.Updated <= e.Updated || after.Published != e.Published {
		t.Errorf("updated %s (was %s), published %s (was %s)", after.Updated, e.Updated, after.Published, e.Published)
	}
}

// Every field an organizer types reaches pages and feeds as text, never
// as markup.
func TestPostsEscapeEveryField(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	s.addPost(t, "Title "+evil, s.Clock.Now(), func(in *posts.Input) {
		in.Slug = "evil"
		in.WrittenAt = "Place " + evil
		in.Excerpt = "Excerpt " + evil
		in.Body = "Body " + evil + "\n\n[x](javascript:alert(3)) <a href=\"javascript:alert(4)\">y</a>"
		in.Tags = "<b>x</b>, \"><i>"
	})
	u := s.loginAs(t, "organizer")
	for _, path := range []string{"/letters", "/letters/evil", "/letters/feed.atom", "/admin/posts"} {
		var body string
		if strings.HasPrefix(path, "/admin") {
			body = u.get(t, path).Body
		} else {
			body = s.get(t, path).Body
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "javascript:alert", "onerror=alert(2)>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
	}
	if !strings.Contains(s.get(t, "/letters/evil").Body, "Title &lt;script&gt;") {
		t.Error("the title is not shown as text")
	}
}

// The console writes, previews, publishes, schedules, unlists and
// unpublishes posts; bad input keeps what was typed and says what is wrong.
func TestAdminPosts(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	u := s.loginAs(t, "organizer")
	form := url.Values{"post_title": {"A letter from Babruysk"}, "post_lang": {"en"}, "post_recipient_id": {"r-ales"},
		"post_kind": {"from"}, "post_written_on": {"2 Dec 2012"}, "post_written_at": {"Babruysk"},
		"post_body": {"Dear *friends*"}, "tr_be_title": {"Ліст з Бабруйска"}}
	res := u.post(t, "/admin/posts/new", form)
	if res.Status != 422 {
		t.Fatalf("bad date: status %d", res.Status)
	}
	for _, want := range []string{"Enter the day like 2012-12-02", `value="2 Dec 2012"`, `value="A letter from Babruysk"`, "Dear *friends*", `value="Ліст з Бабруйска"`, "Please fill in this field."} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the form shown again lacks %q", want)
		}
	}
	form.Set("post_written_on", "2012-12-02")
	form.Set("tr_be_body", "Дарагія сябры")
	form.Set("action", "preview")
	res = u.post(t, "/admin/posts/new", form)
	if res.Status != 200 || !strings.Contains(res.Body, "Dear <em>friends</em>") || !strings.Contains(res.Body, "2 December 2012, Babruysk") {
		t.Fatalf("preview: status %d", res.Status)
	}
	form.Set("action", "save")
	res = u.post(t, "/admin/posts/new", form)
	if res.Status != 303 {
		t.Fatalf("create: status %d\n%s", res.Status, res.Body)
	}
	edit := res.Header.Get("Location")
	id := strings.TrimPrefix(strings.Split(edit, "?")[0], "/admin/posts/")
	if s.get(t, "/letters/a-letter-from-babruysk").Status != 404 {
		t.Error("a draft is public")
	}
	// A letter from prison needs consent before it is published.
	res = u.post(t, "/admin/posts/"+id+"/publish", url.Values{"version": {"1"}})
	if res.Status != 422 || !strings.Contains(res.Body, "published only with consent") {
		t.Fatalf("publish without consent: status %d", res.Status)
	}
	form.Set("post_consent", "yes")
	form.Set("post_consent_by", "his wife")
	form.Set("version", "1")
	if res = u.post(t, "/admin/posts/"+id, form); res.Status != 303 {
		t.Fatalf("save: status %d", res.Status)
	}
	// A stale version is refused.
	if res = u.post(t, "/admin/posts/"+id, form); res.Status != 409 || !strings.Contains(res.Body, "Someone changed this post") {
		t.Errorf("stale save: status %d", res.Status)
	}
	res = u.post(t, "/admin/posts/"+id+"/publish", url.Values{"version": {"2"}, "publish_date": {"2027-06-02"}, "publish_time": {"09:00"}, "publish_zone": {"Europe/Minsk"}})
	if res.Status != 303 || !strings.Contains(res.Header.Get("Location"), "done=post_scheduled") {
		t.Fatalf("schedule: status %d, %s", res.Status, res.Header.Get("Location"))
	}
	if s.get(t, "/letters/a-letter-from-babruysk").Status != 404 {
		t.Error("a scheduled post is public before its time")
	}
	s.Clock.Set(time.Date(2027, 6, 2, 6, 0, 0, 0, time.UTC)) // 09:00 in Minsk
	if s.get(t, "/letters/a-letter-from-babruysk").Status != 200 {
		t.Error("a scheduled post is not public at its time")
	}
	u = s.loginAs(t, "organizer") // the session ended overnight
	if res = u.post(t, "/admin/posts/"+id+"/unlist", url.Values{"version": {"3"}, "unlisted": {"yes"}}); res.Status != 303 || !strings.Contains(res.Header.Get("Location"), "done=post_unlisted") {
		t.Fatalf("unlist: status %d, %s", res.Status, res.Header.Get("Location"))
	}
	if body := s.get(t, "/letters").Body; strings.Contains(body, "A letter from Babruysk") {
		t.Errorf("an unlisted post is listed:\n%s", body)
	}
	if res = u.post(t, "/admin/posts/"+id+"/unpublish", url.Values{"version": {"4"}}); res.Status != 303 {
		t.Fatalf("unpublish: status %d", res.Status)
	}
	if s.get(t, "/letters/a-letter-from-babruysk").Status != 404 {
		t.Error("an unpublished post is public")
	}
	list := u.get(t, "/admin/posts").Body
	if !strings.Contains(list, "A letter from Babruysk") || !strings.Contains(list, "Draft") {
		t.Error("the console's list lacks the post and its state")
	}
	audit := s.loginAs(t, "admin").get(t, "/admin/audit").Body
	for _, want := range []string{"post scheduled", "post listed or unlisted", "post unpublished"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	// Moderators do not write posts.
	if res := s.loginAs(t, "moderator").get(t, "/admin/posts"); res.Status != 403 {
		t.Errorf("moderator: status %d", res.Status)
	}
}

var _ = bytes.MinRead
var _ = campaign.ErrNotFound
