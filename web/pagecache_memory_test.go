package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters/posts"
)

// The letters' and recipients' pages come from the page cache, yet each
// change shows on the next request: publishing, editing, a scheduled
// post's time coming, unlisting, a recipient's status (recorded, or of a
// day that comes), a campaign opening, a translation and the reader's
// language.
func TestMemoryPagesShowChangesAtOnce(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	ctx := context.Background()
	first := s.addPost(t, "First letter", s.Clock.Now(), nil)
	lists := []string{"/letters", "/letters/tag/new-year", "/r/ales-bialiatski"}
	pages := append([]string{"/letters/first-letter"}, lists...)
	// expect fetches each page twice (the second from the cache) and
	// checks it holds, or lacks, the text.
	expect := func(t *testing.T, paths []string, text string, want bool) {
		t.Helper()
		for _, path := range paths {
			for range 2 {
				res := s.get(t, path)
				if res.Status != 200 {
					t.Fatalf("%s: status %d", path, res.Status)
				}
				if got := strings.Contains(res.Body, text); got != want {
					t.Errorf("%s holds %q: %v, want %v", path, text, got, want)
					break
				}
			}
		}
	}
	expect(t, pages, "First letter", true)

	t.Run("publishing", func(t *testing.T) {
		expect(t, lists, "Second letter", false)
		s.addPost(t, "Second letter", s.Clock.Now(), nil)
		expect(t, lists, "Second letter", true)
	})
	t.Run("editing", func(t *testing.T) {
		in := posts.InputOf(&first)
		in.Title = "First letter, read again"
		var err error
		if first, err = s.Core.Posts.Update(ctx, first.ID, first.Version, in); err != nil {
			t.Fatal(err)
		}
		expect(t, pages, "First letter, read again", true)
	})
	t.Run("a scheduled post going live", func(t *testing.T) {
		s.addPost(t, "Later letter", s.Clock.Now().Add(time.Hour), nil)
		expect(t, lists, "Later letter", false)
		if res := s.get(t, "/letters/later-letter"); res.Status != 404 {
			t.Errorf("before its time: status %d", res.Status)
		}
		s.Clock.Set(s.Clock.Now().Add(2 * time.Hour))
		expect(t, append([]string{"/letters/later-letter"}, lists...), "Later letter", true)
	})
	t.Run("unlisting", func(t *testing.T) {
		expect(t, []string{"/letters/first-letter"}, "noindex", false)
		var err error
		if first, err = s.Core.Posts.SetUnlisted(ctx, first.ID, first.Version, true, "test"); err != nil {
			t.Fatal(err)
		}
		expect(t, lists, "First letter, read again", false)
		expect(t, []string{"/letters/first-letter"}, `<meta name="robots" content="noindex">`, true)
		if res := s.get(t, "/letters/first-letter"); res.Header.Get("X-Robots-Tag") != "noindex" {
			t.Errorf("the unlisted post from the cache lacks X-Robots-Tag: %q", res.Header.Get("X-Robots-Tag"))
		}
	})
	t.Run("a recipient's status", func(t *testing.T) {
		expect(t, []string{"/r/ales-bialiatski"}, "was moved to another place", false)
		today := s.Clock.Now().UTC().Format(time.DateOnly)
		if _, err := s.Service.AddRecipientChange(ctx, "r-ales", campaign.StatusChange{Situation: campaign.SituationTransferred,
			Day: today, Address: []string{"Colony No. 2", "Babruysk"}}, "test"); err != nil {
			t.Fatal(err)
		}
		expect(t, []string{"/r/ales-bialiatski"}, "Colony No. 2", true)
		// A change recorded for tomorrow shows from tomorrow on.
		tomorrow := s.Clock.Now().UTC().AddDate(0, 0, 1)
		if _, err := s.Service.AddRecipientChange(ctx, "r-ales", campaign.StatusChange{Situation: campaign.SituationReleased,
			Day: tomorrow.Format(time.DateOnly)}, "test"); err != nil {
			t.Fatal(err)
		}
		expect(t, []string{"/r/ales-bialiatski"}, "was released on", false)
		s.Clock.Set(tomorrow.Add(time.Hour))
		expect(t, []string{"/r/ales-bialiatski"}, "was released on", true)
	})
	t.Run("a campaign opening", func(t *testing.T) {
		opens := s.Clock.Now().Add(time.Hour)
		s.addCampaign(t, "later", func(c *campaign.Campaign) {
			c.RecipientID, c.Title, c.OpensAt, c.ClosesAt = "r-ales", "A campaign to come", opens, opens.Add(48*time.Hour)
		})
		expect(t, []string{"/r/ales-bialiatski"}, "A campaign to come", false)
		s.Clock.Set(opens.Add(time.Minute))
		expect(t, []string{"/r/ales-bialiatski"}, "A campaign to come", true)
	})
	t.Run("languages", func(t *testing.T) {
		for _, path := range []string{"/letters?lang=be", "/letters/later-letter?lang=be", "/r/ales-bialiatski?lang=be"} {
			if body := s.get(t, path).Body; !strings.Contains(body, `<html lang="be"`) {
				t.Errorf("%s is not in Belarusian", path)
			}
		}
		expect(t, []string{"/letters?lang=en"}, `<html lang="en"`, true)
		public, ok := s.Core.Posts.Published("later-letter")
		if !ok {
			t.Fatal("the later letter is not public")
		}
		p, err := s.Core.Posts.Post(ctx, public.ID)
		if err != nil {
			t.Fatal(err)
		}
		in := posts.InputOf(&p)
		in.Translations = []posts.Translation{{Lang: "be", Title: "Пазнейшы ліст", Body: "Дарагія сябры"}}
		if _, err := s.Core.Posts.Update(ctx, p.ID, p.Version, in); err != nil {
			t.Fatal(err)
		}
		expect(t, []string{"/letters?lang=be", "/letters/later-letter?lang=be", "/r/ales-bialiatski?lang=be"}, "Пазнейшы ліст", true)
	})
}
