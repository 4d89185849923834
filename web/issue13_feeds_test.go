package web_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Issue 13's tests of the Atom feeds: well-formed, entry ids that stay
// across restarts and edits, updated dates that move with an edit of
// their post and with nothing else, and per-tag and per-recipient feeds
// that hold exactly their posts.

// feedDates reads the feeds at paths and returns, by path, each entry's
// updated date by its id, and the feed's own under "".
func feedDates(t *testing.T, s *site, paths []string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, path := range paths {
		f := s.feed(t, path) // strict: a feed that is not well-formed Atom fails
		dates := map[string]string{"": f.Updated}
		for _, e := range f.Entries {
			if _, dup := dates[e.ID]; dup {
				t.Errorf("%s: entry id %s twice", path, e.ID)
			}
			dates[e.ID] = e.Updated
		}
		out[path] = dates
	}
	return out
}

// sameDates fails t where got differs from want.
func sameDates(t *testing.T, when string, got, want map[string]map[string]string) {
	t.Helper()
	for path, w := range want {
		if g := got[path]; !maps.Equal(g, w) {
			t.Errorf("%s: %s has ids and dates %v, want %v", when, path, g, w)
		}
	}
}

func TestFeedIDsAndDatesAcrossRestartsAndEdits(t *testing.T) {
	t.Parallel()
	db := dbs.Database(t)
	s := newSite(t, db)
	s.addCampaign(t, "ales", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	first := s.addPost(t, "First", s.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2012-12-02" })
	s.Clock.Add(time.Hour)
	second := s.addPost(t, "Second", s.Clock.Now(), func(in *posts.Input) {
		in.WrittenOn = "2013-01-01"
		in.Translations = []posts.Translation{{Lang: "be", Title: "Другі", Body: "Дарагія сябры"}}
	})
	paths := []string{"/letters/feed.atom", "/letters/tag/new-year/feed.atom", "/r/ales-bialiatski/feed.atom"}
	before := feedDates(t, s, paths)
	idOf := func(p posts.Post) string {
		return "tag:127.0.0.1," + p.CreatedAt.UTC().Format(time.DateOnly) + ":posts/" + p.ID
	}
	for _, path := range paths {
		d := before[path]
		if len(d) != 3 || d[idOf(first)] == "" || d[idOf(second)] == "" {
			t.Fatalf("%s: entries %v, want both posts", path, d)
		}
		if d[""] != d[idOf(second)] {
			t.Errorf("%s: feed updated %s, want its newest entry's %s", path, d[""], d[idOf(second)])
		}
	}

	// Time passes: nothing moves.
	s.Clock.Add(48 * time.Hour)
	sameDates(t, "two days later", feedDates(t, s, paths), before)

	// A fresh start on the same database, days later: the same ids and
	// dates, though the server's port is another.
	again := newSite(t, db)
	again.Clock.Set(s.Clock.Now())
	sameDates(t, "after a restart", feedDates(t, again, paths), before)

	// Another post published: the first two keep their dates.
	again.Clock.Add(time.Hour)
	third := again.addPost(t, "Third", again.Clock.Now(), func(in *posts.Input) { in.WrittenOn = "2014-01-01" })
	after := feedDates(t, again, paths)
	for _, path := range paths {
		for _, p := range []posts.Post{first, second} {
			if got, want := after[path][idOf(p)], before[path][idOf(p)]; got != want {
				t.Errorf("%s: %s updated %s after another post was published, want %s", path, p.Title, got, want)
			}
		}
		if after[path][idOf(third)] == "" || after[path][""] != after[path][idOf(third)] {
			t.Errorf("%s: the new post %v, feed updated %s", path, after[path][idOf(third)], after[path][""])
		}
	}

	// The second post edited (title, slug, body, translation): its id
	// stays, its updated date moves to the edit; the others' stay.
	again.Clock.Add(time.Hour)
	in := posts.InputOf(&second)
	in.Title, in.Slug, in.Body = "Second, renamed", "second-renamed", "Dear friends, again."
	in.Translations[0].Body = "Дарагія сябры, зноў"
	edited, err := again.Core.Posts.Update(context.Background(), second.ID, second.Version, in)
	if err != nil {
		t.Fatal(err)
	}
	want := edited.UpdatedAt.UTC().Format(time.RFC3339)
	afterEdit := feedDates(t, again, paths)
	for _, path := range paths {
		if got := afterEdit[path][idOf(second)]; got != want || got <= before[path][idOf(second)] {
			t.Errorf("%s: the edited post's updated %q, want %s (was %s)", path, got, want, before[path][idOf(second)])
		}
		for _, p := range []posts.Post{first, third} {
			if got, was := afterEdit[path][idOf(p)], after[path][idOf(p)]; got != was {
				t.Errorf("%s: %s updated %s after another post's edit, was %s", path, p.Title, got, was)
			}
		}
		if afterEdit[path][""] != want {
			t.Errorf("%s: feed updated %s, want the edit's %s", path, afterEdit[path][""], want)
		}
	}
	// And so after the next restart.
	third2 := newSite(t, db)
	third2.Clock.Set(again.Clock.Now().Add(time.Hour))
	sameDates(t, "after the edit and a restart", feedDates(t, third2, paths), afterEdit)
}

// Each tag's feed and page, and each recipient's, hold exactly the listed
// posts that carry the tag or are about the recipient, newest first; the
// site's feed holds every listed post.
func TestTagAndRecipientFeedsHoldExactlyTheirPosts(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "maria", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	s.saveRecipient(t, "r-maria", func(r *campaign.Recipient) { r.Name, r.Slug = "Maria Kalesnikava", "maria-kalesnikava" })
	now := s.Clock.Now()
	add := func(title, recipient, tags, written string, publish time.Time) posts.Post {
		return s.addPost(t, title, publish, func(in *posts.Input) {
			in.RecipientID, in.Tags, in.WrittenOn, in.CampaignID = recipient, tags, written, ""
		})
	}
	add("P1", "r-ales", "alpha, beta", "2013-01-05", now)
	add("P2", "r-ales", "beta", "2013-01-04", now)
	add("P3", "r-maria", "alpha", "2013-01-03", now)
	add("P4", "r-maria", "gamma", "2013-01-02", now)
	add("P5", "r-ales", "", "2013-01-01", now)
	// Posts no list shows, with the same tags and recipients.
	add("Hdraft", "r-ales", "alpha, beta, gamma", "2014-01-01", time.Time{})
	add("Hlater", "r-maria", "alpha, gamma", "2014-01-01", now.Add(time.Hour))
	hidden := add("Hunlisted", "r-maria", "alpha, beta", "2014-01-01", now)
	if _, err := s.Core.Posts.SetUnlisted(context.Background(), hidden.ID, hidden.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		page string
		want []string
	}{
		{"/letters", []string{"P1", "P2", "P3", "P4", "P5"}},
		{"/letters/tag/alpha", []string{"P1", "P3"}},
		{"/letters/tag/beta", []string{"P1", "P2"}},
		{"/letters/tag/gamma", []string{"P4"}},
		{"/r/ales-bialiatski", []string{"P1", "P2", "P5"}},
		{"/r/maria-kalesnikava", []string{"P3", "P4"}},
	}
	titleRE := func(body string) []string {
		var out []string
		for _, title := range []string{"P1", "P2", "P3", "P4", "P5", "Hdraft", "Hlater", "Hunlisted"} {
			if i := strings.Index(body, ">"+title+"<"); i >= 0 {
				out = append(out, title)
			}
		}
		slices.SortFunc(out, func(a, b string) int { return strings.Index(body, ">"+a+"<") - strings.Index(body, ">"+b+"<") })
		return out
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			if got := s.feed(t, tt.page+"/feed.atom").titles(); got != strings.Join(tt.want, "|") {
				t.Errorf("feed entries %q, want %q", got, strings.Join(tt.want, "|"))
			}
			res := s.get(t, tt.page)
			if got := titleRE(res.Body); res.Status != 200 || !slices.Equal(got, tt.want) {
				t.Errorf("page: status %d, posts %q, want %q", res.Status, got, tt.want)
			}
		})
	}
	// A tag only hidden posts carry has no page and no feed.
	add("Hdraft2", "r-ales", "delta", "2014-01-01", time.Time{})
	for _, path := range []string{"/letters/tag/delta", "/letters/tag/delta/feed.atom"} {
		if res := s.get(t, path); res.Status != 404 {
			t.Errorf("%s: status %d, want 404", path, res.Status)
		}
	}
}
