package web_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// saveRecipient edits the stored recipient id with edit, through the
// service, as the console does.
func (s *site) saveRecipient(t testing.TB, id string, edit func(*campaign.Recipient)) *campaign.Recipient {
	t.Helper()
	ctx := context.Background()
	r, err := s.Service.Recipient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	if _, err := s.Service.SaveRecipient(ctx, r); err != nil {
		t.Fatalf("save recipient %s: %v", id, err)
	}
	return r
}

// sitemapURLs reads the sitemap strictly and returns its addresses' paths.
func (s *site) sitemapURLs(t *testing.T) []string {
	t.Helper()
	res := s.get(t, "/sitemap.xml")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("/sitemap.xml: status %d, type %q", res.Status, res.Header.Get("Content-Type"))
	}
	var m struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	d := xml.NewDecoder(strings.NewReader(res.Body))
	d.Strict = true
	if err := d.Decode(&m); err != nil {
		t.Fatalf("sitemap is not well-formed: %v\n%s", err, res.Body)
	}
	var out []string
	for _, u := range m.URLs {
		if u.LastMod != "" {
			if _, err := time.Parse(time.DateOnly, u.LastMod); err != nil {
				t.Errorf("sitemap: lastmod %q of %s is not a day", u.LastMod, u.Loc)
			}
		}
		path := strings.TrimPrefix(u.Loc, s.URL)
		if slices.Contains(out, path) {
			t.Errorf("sitemap names %s twice", path)
		}
		out = append(out, path)
	}
	return out
}

// Drafts, scheduled and unlisted posts, unlisted campaigns and unlisted
// recipients with the posts about them appear in no list, feed, sitemap or
// API list; each is reachable by its link, marked noindex.
func TestUnlistedNeverListed(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "hidden-camp", func(c *campaign.Campaign) { c.Title, c.Unlisted = "Hidden campaign", true })
	s.addCampaign(t, "quiet", func(c *campaign.Campaign) { c.Title = "Quiet campaign" })
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	s.saveRecipient(t, "r-quiet", func(r *campaign.Recipient) { r.Name, r.Slug, r.Unlisted = "Quiet Person", "quiet-person", true })
	now := s.Clock.Now()
	s.addPost(t, "Published letter", now, nil)
	s.addPost(t, "Draft letter", time.Time{}, nil)
	s.addPost(t, "Later letter", now.Add(time.Hour), nil)
	unlisted := s.addPost(t, "Unlisted letter", now, nil)
	if _, err := s.Core.Posts.SetUnlisted(ctx, unlisted.ID, unlisted.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	s.addPost(t, "Quiet letter", now, func(in *posts.Input) { in.RecipientID, in.CampaignID = "r-quiet", "c-quiet" })

	hidden := []string{"draft-letter", "draft letter", "later-letter", "later letter", "unlisted-letter", "unlisted letter",
		"quiet", "hidden-camp", "hidden campaign"}
	places := []struct {
		path, want string // want: what the place must show, so that the test can fail
	}{
		{"/", "/c/ales"},
		{"/letters", "Published letter"},
		{"/letters/tag/new-year", "Published letter"},
		{"/letters/feed.atom", "Published letter"},
		{"/letters/tag/new-year/feed.atom", "Published letter"},
		{"/r/ales-bialiatski", "Published letter"},
		{"/r/ales-bialiatski/feed.atom", "Published letter"},
		{"/sitemap.xml", "/r/ales-bialiatski"},
		{"/api/v1/campaigns", `"ales"`},
	}
	for _, p := range places {
		res := s.get(t, p.path)
		if res.Status != 200 || !strings.Contains(res.Body, p.want) {
			t.Errorf("%s: status %d, lacks %q", p.path, res.Status, p.want)
			continue
		}
		body := strings.ToLower(res.Body)
		for _, h := range hidden {
			if strings.Contains(body, h) {
				t.Errorf("%s names %q", p.path, h)
			}
		}
	}
	urls := s.sitemapURLs(t)
	for _, want := range []string{"/", "/letters", "/c/ales", "/r/ales-bialiatski", "/letters/published-letter", "/letters/tag/new-year"} {
		if !slices.Contains(urls, want) {
			t.Errorf("sitemap lacks %s: %q", want, urls)
		}
	}

	reach := []struct {
		path    string
		status  int
		noindex bool
	}{
		{"/c/ales", 200, false},
		{"/c/hidden-camp", 200, true},
		{"/c/quiet", 200, true},
		{"/r/ales-bialiatski", 200, false},
		{"/r/quiet-person", 200, true},
		{"/letters/published-letter", 200, false},
		{"/letters/unlisted-letter", 200, true},
		{"/letters/quiet-letter", 200, true},
		{"/letters/draft-letter", 404, false},
		{"/letters/later-letter", 404, false},
		{"/r/quiet-person/feed.atom", 404, false},
		{"/api/v1/campaigns/hidden-camp", 200, false},
		{"/r/nobody", 404, false},
	}
	for _, tt := range reach {
		res := s.get(t, tt.path)
		if res.Status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.Status, tt.status)
			continue
		}
		if noindex := strings.Contains(res.Body, `<meta name="robots" content="noindex">`); res.Status == 200 && noindex != tt.noindex {
			t.Errorf("%s: noindex %v, want %v", tt.path, noindex, tt.noindex)
		}
	}
	// The unlisted recipient's page lists no unlisted campaign, and no
	// feed; the unlisted campaign's own recipient page leaves it out too.
	if body := s.get(t, "/r/quiet-person").Body; strings.Contains(body, "application/atom+xml") || !strings.Contains(body, "Quiet campaign") {
		t.Error("the unlisted recipient's page offers a feed, or lacks their campaign")
	}
	if res := s.get(t, "/r/ales-bialiatski-2"); res.Status != 200 || strings.Contains(res.Body, "Hidden campaign") {
		t.Errorf("the recipient of the unlisted campaign: status %d, or their page lists it", res.Status)
	}
}

// The page says who the recipient is, since when detained, the sentence,
// their situation, how to write to them, their campaigns (open first,
// closed with the timeline's last line) and the posts about them; old
// slugs redirect.
func TestRecipientPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "ales-2026", func(c *campaign.Campaign) {
		c.Title, c.RecipientID = "New Year postcards 2026", "r-ales"
		c.OpensAt, c.ClosesAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	})
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) {
		r.DetainedSince, r.Sentence, r.Languages = "2021-07-14", "10 years in a high-security colony", []string{"be", "ru"}
		r.Address = []string{"Colony No. 9", "Gorki"}
	})
	s.addPost(t, "Older letter", s.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2012-01-05" })
	s.addPost(t, "Newer letter", s.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2013-03-01" })

	body := s.get(t, "/r/ales-bialiatski").Body
	for _, want := range []string{"<h1>Ales Bialiatski</h1>", "Detained since", `datetime="2021-07-14"`, "10 years in a high-security colony",
		"Colony No. 9", "Belarusian", "Letters must be in Belarusian or Russian.", `href="/c/ales"`, `href="/c/ales-2026"`,
		`<link rel="alternate" type="application/atom+xml" href="/r/ales-bialiatski/feed.atom"`, `property="og:title" content="Ales Bialiatski"`} {
		if !strings.Contains(body, want) {
			t.Errorf("recipient page lacks %q", want)
		}
	}
	if i, j := strings.Index(body, `href="/c/ales"`), strings.Index(body, `href="/c/ales-2026"`); i > j {
		t.Error("the closed campaign comes before the open one")
	}
	if i, j := strings.Index(body, "Newer letter"), strings.Index(body, "Older letter"); i < 0 || j < 0 || i > j {
		t.Error("posts are not newest first")
	}
	// Ten posts a page.
	for i := range 10 {
		s.addPost(t, fmt.Sprintf("Filler %d", i), s.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2014-01-01" })
	}
	if body := s.get(t, "/r/ales-bialiatski").Body; strings.Contains(body, "Older letter") || !strings.Contains(body, `href="/r/ales-bialiatski?page=2" rel="next"`) {
		t.Error("the first page shows an eleventh post, or no link to the next")
	}
	if body := s.get(t, "/r/ales-bialiatski?page=2").Body; !strings.Contains(body, "Older letter") || strings.Contains(body, "Filler") {
		t.Error("the second page does not hold the oldest posts only")
	}
	if res := s.get(t, "/r/ales-bialiatski?page=3"); res.Status != 404 {
		t.Errorf("page past the end: status %d", res.Status)
	}
	// Linked from the campaign page, each post about them and the console.
	if !strings.Contains(s.get(t, "/c/ales").Body, `<a href="/r/ales-bialiatski">`) {
		t.Error("the campaign page does not link the recipient's page")
	}
	if !strings.Contains(s.get(t, "/letters/newer-letter").Body, `<a href="/r/ales-bialiatski">Ales Bialiatski</a>`) {
		t.Error("the post does not link the recipient's page")
	}
	org := s.loginAs(t, account.RoleOrganizer)
	if !strings.Contains(org.get(t, "/admin/recipients/r-ales").Body, `href="/r/ales-bialiatski"`) {
		t.Error("the console's recipient page does not link the public page")
	}

	// Released: said plainly, and no address.
	if _, err := s.Service.AddRecipientChange(ctx, "r-ales", campaign.StatusChange{Situation: campaign.SituationReleased, Day: "2027-05-20"}, "test"); err != nil {
		t.Fatal(err)
	}
	body = s.get(t, "/r/ales-bialiatski").Body
	if !strings.Contains(body, "Ales Bialiatski was released on") || strings.Contains(body, "Colony No. 9") {
		t.Error("the released recipient's page does not say so, or still gives the address")
	}

	// A new slug from the console; the old one redirects, feed too.
	res := org.post(t, "/admin/recipients/r-ales", url.Values{"name": {"Ales Bialiatski"}, "country": {"BY"}, "slug": {"ales"},
		"detained_since": {"2021-07-14"}, "sentence": {"10 years"}, "unlisted": {"yes"}})
	if res.Status != 303 {
		t.Fatalf("console save: status %d", res.Status)
	}
	if r, _ := s.Service.Recipient(ctx, "r-ales"); r.Slug != "ales" || !r.Unlisted || !slices.Contains(r.OldSlugs, "ales-bialiatski") {
		t.Errorf("stored recipient: slug %q, unlisted %v, old %q", r.Slug, r.Unlisted, r.OldSlugs)
	}
	if !strings.Contains(org.get(t, "/admin/recipients").Body, `Ales Bialiatski</a> <span class="status">Unlisted</span>`) {
		t.Error("the console's list does not mark the unlisted recipient")
	}
	for path, want := range map[string]string{"/r/ales-bialiatski": "/r/ales", "/r/ales-bialiatski/feed.atom": "/r/ales/feed.atom"} {
		if res := s.get(t, path); res.Status != 301 || res.Header.Get("Location") != want {
			t.Errorf("%s: status %d to %q, want 301 to %s", path, res.Status, res.Header.Get("Location"), want)
		}
	}
	// A slug another recipient has is refused with the form again.
	s.addCampaign(t, "other", func(c *campaign.Campaign) {})
	if res := org.post(t, "/admin/recipients/r-other", url.Values{"name": {"X"}, "country": {"BY"}, "slug": {"ales-bialiatski"}}); res.Status != 422 {
		t.Errorf("taken slug: status %d, want 422", res.Status)
	}
	// A recipient with nothing public has no page.
	if _, err := s.Service.SaveRecipient(ctx, &campaign.Recipient{Name: "Not yet", Country: "BY"}); err != nil {
		t.Fatal(err)
	}
	if res := s.get(t, "/r/not-yet"); res.Status != 404 {
		t.Errorf("recipient without anything public: status %d", res.Status)
	}
}

// Every displayed field of a recipient is escaped on their page, in the
// posts about them and in their feed.
func TestRecipientEscapesEveryField(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) {
		r.Slug = "evil"
		r.Name, r.Description, r.Sentence, r.LanguageRules = "N"+evil, "D"+evil, "S"+evil, "L"+evil
		r.Address = []string{"A" + evil}
	})
	s.addPost(t, "Letter", s.Clock.Now(), nil)
	for _, path := range []string{"/r/evil", "/letters", "/letters/letter", "/c/ales", "/r/evil/feed.atom"} {
		res := s.get(t, path)
		if res.Status != 200 {
			t.Errorf("%s: status %d", path, res.Status)
			continue
		}
		if strings.Contains(res.Body, "<script>alert") || strings.Contains(res.Body, "<img src=x") {
			t.Errorf("%s shows a recipient field unescaped", path)
		}
	}
	body := s.get(t, "/r/evil").Body
	for _, field := range []string{"N", "D", "S", "L", "A"} {
		if !strings.Contains(body, field+"&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the page lacks field %s, escaped", field)
		}
	}
	if f := s.feed(t, "/r/evil/feed.atom"); len(f.Entries) != 1 {
		t.Errorf("feed entries: %d", len(f.Entries))
	}
}

// The recipient's feed is well-formed Atom whose entries keep the ids
// they have in the site's feed, across requests; robots.txt names the
// sitemap.
func TestRecipientFeedIDs(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.addPost(t, "First", s.Clock.Now(), nil)
	s.addPost(t, "Second", s.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2013-01-01" })
	ids := func(f atom) []string {
		var out []string
		for _, e := range f.Entries {
			out = append(out, e.ID)
		}
		return out
	}
	a, b, all := s.feed(t, "/r/ales-bialiatski/feed.atom"), s.feed(t, "/r/ales-bialiatski/feed.atom"), s.feed(t, "/letters/feed.atom")
	if len(a.Entries) != 2 || !slices.Equal(ids(a), ids(b)) || !slices.Equal(ids(a), ids(all)) || a.Updated != b.Updated {
		t.Errorf("feed ids %q then %q, site feed %q", ids(a), ids(b), ids(all))
	}
	if a.ID != s.URL+"/r/ales-bialiatski" {
		t.Errorf("feed id %q", a.ID)
	}
	if body := s.get(t, "/robots.txt").Body; !strings.Contains(body, "Sitemap: "+s.URL+"/sitemap.xml\n") {
		t.Errorf("robots.txt does not name the sitemap:\n%s", body)
	}
}
