package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Issue 13: drafts, posts and campaigns scheduled for later, archived and
// unlisted ones, and unlisted recipients never show where visitors look
// for them: the letters' lists, tag pages, recipient pages, feeds, the
// sitemap, the API's lists, the home page, a campaign's timeline and the
// Open Graph tags of every page. (The site has no search.)
func TestHiddenItemsNeverLeak(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	now := s.Clock.Now()
	camp := func(slug, title, recipient string, edit func(*campaign.Campaign)) {
		s.addCampaign(t, slug, func(c *campaign.Campaign) {
			c.Title = title
			if edit != nil {
				edit(c)
			}
		})
		s.saveRecipient(t, "r-"+slug, func(r *campaign.Recipient) { r.Name, r.Slug = recipient, campaign.Slugify(recipient) })
	}
	camp("ales", "Open campaign", "Ales Bialiatski", nil)
	camp("closed-camp", "Closed campaign", "Maria Kalesnikava", func(c *campaign.Campaign) {
		c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC)
	})
	camp("draft-camp", "Drafty campaign", "Drafty Recipient", func(c *campaign.Campaign) { c.OpensAt = time.Time{} })
	camp("soon-camp", "Soon campaign", "Soon Recipient", func(c *campaign.Campaign) {
		c.OpensAt = now.Add(240 * time.Hour)
	})
	camp("old-camp", "Archived campaign", "Archived Recipient", func(c *campaign.Campaign) {
		c.ClosesAt, c.ArchivedAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC), time.Date(2027, 5, 25, 0, 0, 0, 0, time.UTC)
	})
	camp("hidden-camp", "Hidden campaign", "Hidden-camp Recipient", func(c *campaign.Campaign) { c.Unlisted = true })
	camp("quiet-camp", "Quiet campaign", "Quiet Person", nil)
	s.saveRecipient(t, "r-quiet-camp", func(r *campaign.Recipient) { r.Unlisted = true })

	post := func(title, recipient, tags string, publish time.Time) posts.Post {
		return s.addPost(t, title, publish, func(in *posts.Input) {
			in.RecipientID, in.Tags, in.CampaignID = recipient, tags, ""
		})
	}
	published := post("Published letter", "r-ales", "new-year", now)
	// Listed posts that answer a campaign no list names.
	for i, c := range []string{"draft-camp", "soon-camp", "old-camp", "hidden-camp", "quiet-camp"} {
		s.addPost(t, fmt.Sprintf("Answer %d", i), now, func(in *posts.Input) { in.Tags, in.CampaignID = "", "c-"+c })
	}
	draft := post("Draft letter", "r-ales", "new-year, draftytag", time.Time{})
	later := post("Later letter", "r-ales", "new-year, latertag", now.Add(time.Hour))
	unlisted := post("Unlisted letter", "r-ales", "new-year, unlistedtag", now)
	if _, err := s.Core.Posts.SetUnlisted(ctx, unlisted.ID, unlisted.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	quiet := post("Quiet letter", "r-quiet-camp", "new-year, quiettag", now)
	post("Drafty recipient's letter", "r-draft-camp", "new-year", time.Time{})

	// The closed campaign's timeline records a reply in each of them.
	org := s.loginAs(t, account.RoleOrganizer)
	for _, p := range []posts.Post{published, draft, later, unlisted, quiet} {
		res := org.post(t, "/admin/campaigns/c-closed-camp/delivery", url.Values{"kind": {"reply"}, "day": {"2027-05-30"},
			"post": {p.Slug}, "public": {"yes"}})
		if res.Status != 303 {
			t.Fatalf("record a reply in %s: status %d", p.Slug, res.Status)
		}
	}

	hidden := []string{
		"drafty", "soon campaign", "soon-camp", "soon recipient", "soon-recipient", "archived campaign", "archived recipient",
		"archived-recipient", "old-camp", "hidden campaign", "hidden-camp", "quiet",
		"draft-letter", "draft letter", "later-letter", "later letter", "unlisted-letter", "unlisted letter",
		"latertag", "unlistedtag",
	}
	places := []struct {
		path, want string // want: what the place must show, so that the check can fail
	}{
		{"/", "/c/ales"},
		{"/?lang=be", "/c/ales"},
		{"/letters", "Published letter"},
		{"/letters?lang=be", "Published letter"},
		{"/letters/tag/new-year", "Published letter"},
		{"/letters/feed.atom", "Published letter"},
		{"/letters/tag/new-year/feed.atom", "Published letter"},
		{"/letters/published-letter", "Published letter"},
		{"/letters/answer-0", "Ales Bialiatski"},
		{"/letters/answer-1", "Ales Bialiatski"},
		{"/letters/answer-2", "Ales Bialiatski"},
		{"/letters/answer-3", "Ales Bialiatski"},
		{"/letters/answer-4", "Ales Bialiatski"},
		{"/r/ales-bialiatski", "Published letter"},
		{"/r/ales-bialiatski/feed.atom", "Published letter"},
		{"/r/maria-kalesnikava", "Closed campaign"},
		{"/c/ales", "Open campaign"},
		{"/c/closed-camp", `href="/letters/published-letter"`}, // its timeline, and the open campaigns it offers
		{"/c/closed-camp?lang=be", `href="/letters/published-letter"`},
		{"/recipients", "Ales Bialiatski"},
		{"/recipients?sort=name&lang=be", "Maria Kalesnikava"},
		{"/recipients?q=recipient", "0 recipients"}, // the hidden ones' names
		{"/sitemap.xml", "/r/ales-bialiatski"},
		{"/robots.txt", "Sitemap:"},
		{"/api/v1/campaigns", `"ales"`},
		{"/api/v1/campaigns?lang=be", `"ales"`},
		{"/api/v1/campaigns/closed-camp", `"post":"published-letter"`},
	}
	for _, p := range places {
		t.Run(strings.ReplaceAll(p.path, "/", "_"), func(t *testing.T) {
			res := s.get(t, p.path)
			if res.Status != 200 || !strings.Contains(res.Body, p.want) {
				t.Fatalf("status %d, lacks %q", res.Status, p.want)
			}
			body := strings.ToLower(res.Body)
			for _, h := range hidden {
				if i := strings.Index(body, h); i >= 0 {
					t.Errorf("names %q: …%s…", h, res.Body[max(0, i-80):min(len(body), i+60)])
				}
			}
			if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				for name, v := range headTags(t, res.Body) {
					for _, h := range hidden {
						if strings.Contains(strings.ToLower(v), h) {
							t.Errorf("%s names %q", name, h)
						}
					}
				}
			}
		})
	}
	// What was never public has no page; what is unlisted has one, for
	// whoever has its link, that search engines leave out.
	reach := []struct {
		path    string
		status  int
		noindex bool
	}{
		{"/c/draft-camp", 404, false},
		{"/c/soon-camp", 404, false},
		{"/c/old-camp", 404, false},
		{"/c/hidden-camp", 200, true},
		{"/c/quiet-camp", 200, true},
		{"/api/v1/campaigns/draft-camp", 404, false},
		{"/api/v1/campaigns/soon-camp", 404, false},
		{"/r/drafty-recipient", 404, false},
		{"/r/soon-recipient", 404, false},
		{"/r/archived-recipient", 404, false},
		{"/r/quiet-person", 200, true},
		{"/r/quiet-person/feed.atom", 404, false},
		{"/letters/draft-letter", 404, false},
		{"/letters/later-letter", 404, false},
		{"/letters/unlisted-letter", 200, true},
		{"/letters/quiet-letter", 200, true},
		{"/letters/tag/draftytag", 404, false},
		{"/letters/tag/latertag", 404, false},
		{"/letters/tag/unlistedtag", 404, false},
		{"/letters/tag/quiettag", 404, false},
		{"/letters/tag/latertag/feed.atom", 404, false},
		{"/letters/tag/quiettag/feed.atom", 404, false},
		{"/search?q=quiet", 404, false}, // there is no search
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
}

// A reply's post withdrawn (unpublished, unlisted) after the campaign
// page and the API showed its link is named by neither on the next
// request; one published later is linked at once.
func TestReplyLinkFollowsItsPost(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	s.addCampaign(t, "ales", func(c *campaign.Campaign) { c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC) })
	p := s.addPost(t, "The reply", s.Clock.Now(), nil)
	org := s.loginAs(t, account.RoleOrganizer)
	if res := org.post(t, "/admin/campaigns/c-ales/delivery", url.Values{"kind": {"reply"}, "day": {"2027-05-30"},
		"post": {p.Slug}, "public": {"yes"}}); res.Status != 303 {
		t.Fatalf("record the reply: status %d", res.Status)
	}
	link := `href="/letters/` + p.Slug + `"`
	api := `"post":"` + p.Slug + `"`
	check := func(when string, linked bool) {
		t.Helper()
		for _, path := range []string{"/c/ales", "/api/v1/campaigns/ales", "/api/v1/campaigns"} {
			body := s.get(t, path).Body
			if got := strings.Contains(body, link) || strings.Contains(body, api); got != linked {
				t.Errorf("%s: %s names the post: %v, want %v", when, path, got, linked)
			}
		}
	}
	check("published", true)
	p, err := s.Core.Posts.SetUnlisted(ctx, p.ID, p.Version, true, "test")
	if err != nil {
		t.Fatal(err)
	}
	check("unlisted", false)
	if p, err = s.Core.Posts.SetUnlisted(ctx, p.ID, p.Version, false, "test"); err != nil {
		t.Fatal(err)
	}
	check("listed again", true)
	if p, err = s.Core.Posts.Unpublish(ctx, p.ID, p.Version, "test"); err != nil {
		t.Fatal(err)
	}
	check("unpublished", false)
	if _, err = s.Core.Posts.Publish(ctx, p.ID, p.Version, s.Clock.Now().Add(time.Hour), "test"); err != nil {
		t.Fatal(err)
	}
	check("scheduled", false)
	s.Clock.Add(2 * time.Hour)
	check("once its time came", true)
}

// A post that is itself reachable by its link only may name the unlisted
// campaign it answers.
func TestUnlistedPostNamesItsUnlistedCampaign(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "quiet", func(c *campaign.Campaign) { c.Title, c.Unlisted = "Quiet campaign", true })
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "Answer", s.Clock.Now(), func(in *posts.Input) { in.CampaignID = "c-quiet" })
	link := `<a href="/c/quiet">Quiet campaign</a>`
	if body := s.get(t, "/letters/"+p.Slug).Body; strings.Contains(body, link) {
		t.Error("a listed post names the unlisted campaign")
	}
	if _, err := s.Core.Posts.SetUnlisted(context.Background(), p.ID, p.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	if body := s.get(t, "/letters/"+p.Slug).Body; !strings.Contains(body, link) {
		t.Error("the unlisted post does not name the unlisted campaign it answers")
	}
}
