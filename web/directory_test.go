package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// directorySite is a site with four recipients, each with an open letter
// campaign signed n times: Ales Bialiatski (2), Марыя Калеснікава (1, her
// birthday shown), Nasrin Sotoudeh (0, her birthday recorded but not
// shown) and an unlisted one (0), whose name must never show.
func directorySite(t *testing.T) *site {
	t.Helper()
	s := newSite(t, dbs.Database(t))
	for _, r := range []struct {
		slug string
		n    int
		edit func(*campaign.Recipient)
	}{
		{"ales", 2, func(r *campaign.Recipient) {
			r.Slug, r.Address = "ales-bialiatski", []string{"Penal colony No. 9", "Gorki", "Belarus"}
		}},
		{"maria", 1, func(r *campaign.Recipient) {
			r.Name, r.Slug, r.Address = "Марыя Калеснікава", "maria-kalesnikava", []string{"Penal colony No. 4", "Homel", "Belarus"}
			r.Birthday, r.ShowBirthday = "1982-04-24", true
		}},
		{"nasrin", 0, func(r *campaign.Recipient) {
			r.Name, r.Slug, r.Country, r.Address = "Nasrin Sotoudeh", "nasrin-sotoudeh", "IR", []string{"Evin Prison", "Tehran", "Iran"}
			r.Birthday = "05-30"
		}},
		{"hidden", 0, func(r *campaign.Recipient) {
			r.Name, r.Slug, r.Unlisted = "Secret Zyxwv", "secret-zyxwv", true
			r.Address, r.Birthday, r.ShowBirthday = []string{"Evin Prison", "Tehran"}, "07-07", true
		}},
	} {
		s.addCampaign(t, r.slug, func(c *campaign.Campaign) { c.Title = "Letter to " + r.slug })
		s.saveRecipient(t, "r-"+r.slug, r.edit)
		for i := range r.n {
			s.sign(t, r.slug, func(v url.Values) { v.Set("email", fmt.Sprintf("%s-%d@example.org", r.slug, i)) })
		}
	}
	return s
}

// directoryNames are the names of the recipients a directory page lists,
// in order.
func directoryNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<h3><a href="/r/[^"]+">([^<]+)</a></h3>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The directory lists the listed recipients, the fewest cards first;
// searches by name in any script and case, by prison and by country; shows
// a birthday only where it may; and never names an unlisted recipient, in
// a list, a search, a count or the sitemap.
func TestDirectory(t *testing.T) {
	t.Parallel()
	s := directorySite(t)
	const ales, maria, nasrin = "Ales Bialiatski", "Марыя Калеснікава", "Nasrin Sotoudeh"
	for _, tc := range []struct {
		name, query string
		status      int
		want        []string
		found       string // the count line
	}{
		{"default sort is fewest cards first", "", 200, []string{nasrin, maria, ales}, "3 recipients"},
		{"sort by name", "?sort=name", 200, []string{ales, nasrin, maria}, "3 recipients"},
		{"sort by birthday soonest: only a shown birthday counts", "?sort=birthday", 200, []string{maria, ales, nasrin}, "3 recipients"},
		{"name in Cyrillic", "?q=" + url.QueryEscape("калеснік"), 200, []string{maria}, "1 recipient"},
		{"name in another case", "?q=" + url.QueryEscape("МАРЫЯ"), 200, []string{maria}, "1 recipient"},
		{"name in Latin", "?q=sotoudeh", 200, []string{nasrin}, "1 recipient"},
		{"name in Latin letters of a Cyrillic one", "?q=kalesnikava", 200, []string{maria}, "1 recipient"},
		{"unlisted name finds nobody", "?q=zyxwv", 200, nil, "0 recipients"},
		{"prison", "?prison=evin", 200, []string{nasrin}, "1 recipient"},
		{"prison, any case", "?prison=HOMEL", 200, []string{maria}, "1 recipient"},
		{"country", "?country=IR", 200, []string{nasrin}, "1 recipient"},
		{"country and name", "?country=BY&q=bialiatski", 200, []string{ales}, "1 recipient"},
		{"a country nobody listed is in", "?country=FR", 400, nil, ""},
		{"control characters", "?q=" + url.QueryEscape("a\x00b"), 400, nil, ""},
		{"a page past the end", "?page=2", 404, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.get(t, "/recipients"+tc.query)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.Status, tc.status, res.Body)
			}
			if strings.Contains(res.Body, "Zyxwv") || strings.Contains(res.Body, "secret-zyxwv") {
				t.Error("the page names the unlisted recipient")
			}
			if tc.status != 200 {
				return
			}
			if got := directoryNames(res.Body); !slices.Equal(got, tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
			if !strings.Contains(res.Body, ">"+tc.found+"<") {
				t.Errorf("the page does not say %q", tc.found)
			}
		})
	}

	t.Run("entries", func(t *testing.T) {
		body := s.get(t, "/recipients").Body
		for _, want := range []string{
			`<dd class="cards-count">2 cards</dd>`, `<dd class="cards-count">1 card</dd>`, `<dd class="cards-count">0 cards</dd>`,
			`<time datetime="--04-24">24 April</time>`, // shown: the family agreed
			`href="/c/ales">Sign the letter to Ales Bialiatski</a>`,
			`Penal colony No. 9, Gorki, Belarus`,
			`<a href="/recipients">`, // linked from the header
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the directory lacks %s", want)
			}
		}
		for _, hidden := range []string{"30 May", "--05-30", "1982", "07-07", "7 July"} {
			if strings.Contains(body, hidden) {
				t.Errorf("the directory shows %q: a birthday not to be shown, or a year", hidden)
			}
		}
	})

	t.Run("languages", func(t *testing.T) {
		body := s.get(t, "/recipients?lang=be").Body
		for _, want := range []string{"Хто чакае лістоў", "24 красавіка", "2 паштоўкі"} {
			if !strings.Contains(body, want) {
				t.Errorf("the Belarusian directory lacks %q", want)
			}
		}
	})

	t.Run("sitemap", func(t *testing.T) {
		urls := s.sitemapURLs(t)
		if !slices.Contains(urls, "/recipients") {
			t.Errorf("the sitemap lacks /recipients: %q", urls)
		}
		if slices.Contains(urls, "/r/secret-zyxwv") {
			t.Error("the sitemap names the unlisted recipient")
		}
	})

	t.Run("a new signature shows", func(t *testing.T) {
		s.sign(t, "nasrin", func(v url.Values) { v.Set("email", "late@example.org") })
		s.Clock.Set(s.Clock.Now().Add(2 * time.Second)) // past countLag
		got := directoryNames(s.get(t, "/recipients").Body)
		if want := []string{"Nasrin Sotoudeh", "Марыя Калеснікава", "Ales Bialiatski"}; !slices.Equal(got, want) {
			// Nasrin and Maria tie at 1: by name, Latin before Cyrillic.
			t.Errorf("after a signature: %q, want %q", got, want)
		}
	})
}

// The write button leads to an open drive that writes to the recipient,
// else to their open letter, else to their page.
func TestDirectoryWriteLink(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Slug = "ales-bialiatski" })
	page := func() string { return s.get(t, "/recipients").Body }
	if body := page(); !strings.Contains(body, `href="/c/ales"`) {
		t.Fatalf("with an open letter: no link to it\n%s", body)
	}
	s.addCampaign(t, "cards", func(c *campaign.Campaign) {
		c.Kind, c.RecipientID, c.RecipientIDs = campaign.KindDrive, "", []string{"r-ales"}
	})
	if body := page(); !strings.Contains(body, `href="/c/cards?to=ales-bialiatski"`) {
		t.Errorf("with an open drive: no link to it")
	}
	ctx := context.Background()
	for _, id := range []string{"c-ales", "c-cards"} {
		if _, err := s.Service.CloseNow(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if body := page(); !strings.Contains(body, `href="/r/ales-bialiatski">How to write to Ales Bialiatski`) {
		t.Errorf("with nothing open: no link to their page")
	}
}

// The console's recipient form keeps a birthday and whether it is shown,
// and refuses one that is no day.
func TestRecipientBirthdayForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	u := s.loginAs(t, account.RoleOrganizer)
	form := func(birthday string, show bool) url.Values {
		v := url.Values{"name": {"Ales Bialiatski"}, "country": {"BY"}, "slug": {"ales"}, "address": {"Demo address"}, "birthday": {birthday}}
		if show {
			v.Set("show_birthday", "yes")
		}
		return v
	}
	for _, tc := range []struct {
		birthday string
		show     bool
		status   int
		want     string // stored
	}{
		{"09-25", true, http.StatusSeeOther, "09-25"},
		{"1962-09-25", false, http.StatusSeeOther, "1962-09-25"},
		{"02-29", true, http.StatusSeeOther, "02-29"},
		{"13-01", true, http.StatusUnprocessableEntity, "02-29"},
		{"02-30", true, http.StatusUnprocessableEntity, "02-29"},
		{"25.09", true, http.StatusUnprocessableEntity, "02-29"},
		{"", false, http.StatusSeeOther, ""},
	} {
		res := u.post(t, "/admin/recipients/r-ales", form(tc.birthday, tc.show))
		if res.Status != tc.status {
			t.Errorf("birthday %q: status %d, want %d", tc.birthday, res.Status, tc.status)
		}
		if res.Status == http.StatusUnprocessableEntity && !strings.Contains(res.Body, "MM-DD or YYYY-MM-DD") {
			t.Errorf("birthday %q: the form does not say how to write it", tc.birthday)
		}
		r, err := s.Service.Recipient(context.Background(), "r-ales")
		if err != nil {
			t.Fatal(err)
		}
		if r.Birthday != tc.want || (res.Status == http.StatusSeeOther && r.ShowBirthday != tc.show) {
			t.Errorf("birthday %q: stored %q (shown %v)", tc.birthday, r.Birthday, r.ShowBirthday)
		}
	}
}

// The campaigns page suggests a coming birthday and New Year, each with a
// form filled in for it: a letter to the person, a drive to everyone
// listed who can be written to.
func TestOccasions(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "maria", nil)
	s.addCampaign(t, "quiet", nil)
	s.addCampaign(t, "free", nil)
	s.saveRecipient(t, "r-ales", func(r *campaign.Recipient) { r.Birthday = "12-10" })
	s.saveRecipient(t, "r-maria", func(r *campaign.Recipient) { r.Name, r.Birthday = "Maria Kalesnikava", "04-24" })
	s.saveRecipient(t, "r-quiet", func(r *campaign.Recipient) { r.Name, r.Unlisted = "Quiet Person", true })
	s.saveRecipient(t, "r-free", func(r *campaign.Recipient) { r.Name, r.Birthday = "Freed Person", "12-01" })
	ctx := context.Background()
	if _, err := s.Service.AddRecipientChange(ctx, "r-free", campaign.StatusChange{Situation: campaign.SituationReleased, Day: "2027-10-01"}, "test"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Set(time.Date(2027, 11, 30, 9, 0, 0, 0, time.UTC))
	u := s.loginAs(t, account.RoleOrganizer)
	list := u.get(t, "/admin/campaigns").Body
	for _, want := range []string{"Birthday of Ales Bialiatski", "10 December 2027, in 10 days", "New Year 2028", "1 January 2028, in 32 days",
		"A drive of cards to the 2 listed recipients who can be written to"} {
		if !strings.Contains(list, want) {
			t.Errorf("the campaigns page lacks %q", want)
		}
	}
	for _, absent := range []string{"Birthday of Maria", "Birthday of Freed"} {
		if strings.Contains(list, absent) {
			t.Errorf("the campaigns page suggests %q: too far off, or not to be written to", absent)
		}
	}

	t.Run("birthday form", func(t *testing.T) {
		m := regexp.MustCompile(`href="(/admin/campaigns/new\?day=2027-12-10&amp;occasion=birthday&amp;recipient=r-ales)"`).FindStringSubmatch(list)
		if m == nil {
			t.Fatal("no button to prepare the birthday letter")
		}
		res := u.get(t, strings.ReplaceAll(m[1], "&amp;", "&"))
		if res.Status != 200 {
			t.Fatalf("status %d\n%s", res.Status, s.Logs)
		}
		for _, want := range []string{`value="Birthday wishes for Ales Bialiatski"`, `<option value="r-ales" selected>`, `value="ales-bialiatski-birthday-2027"`,
			`name="arrival_date" type="date" value="2027-12-10"`, `value="Test NGO"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
	})
	t.Run("new year form", func(t *testing.T) {
		res := u.get(t, "/admin/campaigns/new?occasion=new-year&day=2028-01-01")
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		for _, want := range []string{`name="kind" value="drive" checked`, `value="r-ales" checked`, `value="r-maria" checked`, `value="New Year cards 2028"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
		for _, absent := range []string{`value="r-quiet" checked`, `value="r-free" checked`} {
			if strings.Contains(res.Body, absent) {
				t.Errorf("the drive writes to an unlisted or released recipient: %s", absent)
			}
		}
		// Saved as it is, it is a drive to them.
		form := url.Values{}
		form.Set("kind", "drive")
		form.Add("drive_recipients", "r-ales")
		form.Add("drive_recipients", "r-maria")
		for k, v := range map[string]string{"slug": "new-year-2028", "title": "New Year cards 2028", "organizer_name": "Test NGO",
			"time_zone": "UTC", "close_mode": "before", "before_date": "2027-12-18", "language": "en", "greetings_enabled": "yes", "greetings_max": "500"} {
			form.Set(k, v)
		}
		if res := u.post(t, "/admin/campaigns/new", form); res.Status != http.StatusSeeOther {
			t.Fatalf("save: status %d\n%s", res.Status, res.Body)
		}
		c, ok := s.Service.Campaigns().BySlug("new-year-2028")
		if !ok || !c.IsDrive() || !slices.Equal(c.RecipientIDs, []string{"r-ales", "r-maria"}) {
			t.Errorf("stored %+v", c)
		}
	})
	t.Run("no such occasion", func(t *testing.T) {
		for _, q := range []string{"occasion=birthday&recipient=nobody&day=2027-12-10", "occasion=easter&day=2027-12-10", "occasion=new-year&day=2027-12-31", "occasion=new-year&day=2025-01-01"} {
			if res := u.get(t, "/admin/campaigns/new?"+q); res.Status != 404 {
				t.Errorf("%s: status %d, want 404", q, res.Status)
			}
		}
	})
}

// Copying a campaign or drive makes a new draft with its texts,
// translations, recipients and suggestions, its closing a year later, a
// slug of the next year and no signatures.
func TestCopyForNextYear(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	old := s.addCampaign(t, "greetings-2027", func(c *campaign.Campaign) {
		c.Translations = []campaign.Text{{Lang: "be", Title: "Прывітанне", Summary: "Коратка", Letter: "Дарагі Алесь"}}
	})
	s.sign(t, "greetings-2027", nil)
	s.addCampaign(t, "cards", func(c *campaign.Campaign) {
		c.Kind, c.RecipientID, c.RecipientIDs = campaign.KindDrive, "", []string{"r-greetings-2027", "r-cards"}
		c.Suggestions = []campaign.Suggestion{{Language: "be", Text: "Трымайся!"}}
	})
	s.Clock.Set(time.Date(2028, 1, 15, 12, 0, 0, 0, time.UTC))
	u := s.loginAs(t, account.RoleOrganizer)
	if res := s.loginAs(t, account.RoleModerator).post(t, "/admin/campaigns/c-cards/copy", nil); res.Status != http.StatusForbidden {
		t.Errorf("a moderator copies: status %d, want 403", res.Status)
	}
	for _, tc := range []struct{ id, slug string }{{"c-greetings-2027", "greetings-2028"}, {"c-cards", "cards-2028"}} {
		t.Run(tc.id, func(t *testing.T) {
			res := u.post(t, "/admin/campaigns/"+tc.id+"/copy", nil)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("status %d\n%s", res.Status, res.Body)
			}
			loc, err := url.Parse(res.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Query().Get("opens_date"); got != "2028-05-01" {
				t.Errorf("proposed opening %q, want 2028-05-01", got)
			}
			id := strings.TrimPrefix(loc.Path, "/admin/campaigns/")
			was, err := s.Service.Campaign(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Service.Campaign(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Slug != tc.slug {
				t.Errorf("slug %q, want %q", c.Slug, tc.slug)
			}
			if c.Title != was.Title || c.Letter != was.Letter || !slices.Equal(c.Translations, was.Translations) ||
				c.RecipientID != was.RecipientID || !slices.Equal(c.RecipientIDs, was.RecipientIDs) || c.Kind != was.Kind ||
				!slices.Equal(c.Suggestions, was.Suggestions) || c.Goal != was.Goal || c.Greetings != was.Greetings {
				t.Errorf("copy %+v\nof %+v", c, was)
			}
			if want := was.ClosesAt.In(was.Location()).AddDate(1, 0, 0); !c.ClosesAt.Equal(want) {
				t.Errorf("closes %v, want %v", c.ClosesAt, want)
			}
			if c.Status(s.Clock.Now()) != campaign.StatusDraft {
				t.Errorf("status %s, want draft", c.Status(s.Clock.Now()))
			}
			if n := s.Service.Count(c.ID); n != 0 {
				t.Errorf("the copy has %d signatures", n)
			}
			page := u.get(t, loc.RequestURI())
			if !strings.Contains(page.Body, `name="opens_date" type="date" value="2028-05-01"`) {
				t.Errorf("the draft's schedule form does not propose the opening a year later\n%s", page.Body)
			}
		})
	}
	if s.Service.Count(old.ID) != 1 {
		t.Errorf("the old campaign lost its signature")
	}
	if res := u.post(t, "/admin/campaigns/c-greetings-2027/copy", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("second copy: status %d", res.Status)
	} else if c, ok := s.Service.Campaigns().BySlug("greetings-2028-2"); !ok || c.Status(s.Clock.Now()) != campaign.StatusDraft {
		t.Error("a second copy does not get a slug of its own")
	}
	if audit := s.loginAs(t, account.RoleAdmin).get(t, "/admin/audit").Body; !strings.Contains(audit, "copied from greetings-2027") {
		t.Error("the audit log does not record the copy")
	}
}

// A drive's cards count in the directory for the recipient each card goes
// to, beside the letters written to them, and its write button leads to the
// drive with that person chosen.
func TestDirectoryCountsDriveCards(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addDrive(t, "dircards")
	s.Clock.Set(s.Clock.Now().Add(30e9))
	for _, card := range []struct{ email, to string }{
		{"anna@example.org", "r-ihar-dircards"}, {"anna@example.org", "r-maria-dircards"}, {"boris@example.org", "r-ihar-dircards"},
	} {
		form := signForm(s.freshToken(c.ID), func(v url.Values) {
			v.Set("email", card.email)
			v.Set("recipient", card.to)
		})
		if res := s.post(t, "/c/dircards/sign?lang=en", form); res.Status != http.StatusSeeOther {
			t.Fatalf("card to %s: status %d", card.to, res.Status)
		}
	}
	res := s.get(t, "/recipients?lang=en")
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	// Fewest cards first: Maria (1) before Ihar (2); the unlisted and the
	// released person's cards are not the point here.
	names := directoryNames(res.Body)
	if i, j := slices.Index(names, "Maria Kalesnikava"), slices.Index(names, "Ihar Losik"); i < 0 || j < 0 || i > j {
		t.Errorf("names %q, want Maria (1 card) before Ihar (2)", names)
	}
	for _, want := range []string{`<dd class="cards-count">2 cards</dd>`, `<dd class="cards-count">1 card</dd>`, `href="/c/dircards?to=ihar-dircards"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the directory lacks %s", want)
		}
	}
	if strings.Contains(res.Body, "Hidden Person") {
		t.Error("the directory names the drive's unlisted recipient")
	}
}
