package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// addDrive stores an open drive to Maria and Ihar (in prisons that let
// Belarusian and Russian through), an unlisted person and a released one,
// with greetings suggested in Belarusian, Russian and German.
func (s *site) addDrive(t *testing.T, slug string, edits ...func(*campaign.Campaign)) *campaign.Campaign {
	t.Helper()
	ctx := context.Background()
	rs := []campaign.Recipient{
		{ID: "r-maria-" + slug, Slug: "maria-" + slug, Name: "Maria Kalesnikava", Description: "Musician, held since 2020.",
			Address: []string{"Colony 4"}, Country: "BY", Languages: []string{"be", "ru"}, LanguageRules: "Only Belarusian or Russian.",
			CensorWords: []string{"regime"}},
		{ID: "r-ihar-" + slug, Slug: "ihar-" + slug, Name: "Ihar Losik", Description: "Blogger.",
			Address: []string{"Colony 1"}, Country: "BY", Languages: []string{"ru"}},
		{ID: "r-hidden-" + slug, Slug: "hidden-" + slug, Name: "Hidden Person", Unlisted: true,
			Address: []string{"Colony 2"}, Country: "BY", Languages: []string{"ru"}},
		{ID: "r-free-" + slug, Slug: "free-" + slug, Name: "Freed Person", Address: []string{"Colony 3"}, Country: "BY",
			Changes: []campaign.StatusChange{{ID: "x", Situation: campaign.SituationReleased, Day: "2027-01-01"}}},
	}
	var ids []string
	for i := range rs {
		if err := s.Service.Store().CreateRecipient(ctx, &rs[i]); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rs[i].ID)
	}
	return s.addCampaign(t, slug, func(c *campaign.Campaign) {
		c.Title, c.Kind, c.RecipientID, c.RecipientIDs = "New Year cards", campaign.KindDrive, "", ids
		c.Suggestions = []campaign.Suggestion{
			{Language: "be", Text: "З Новым годам! Мы памятаем."},
			{Language: "ru", Text: "С Новым годом! Мы помним."},
			{Language: "de", Text: "Frohes neues Jahr!"},
		}
		for _, edit := range edits {
			edit(c)
		}
	})
}

var (
	offeredRE = regexp.MustCompile(`<h2 id="drive-h">(?:Your card goes to|You are writing to) ([^<]+)</h2>`)
	anotherRE = regexp.MustCompile(`href="(/c/[^"]+\?skip=[^"]+)"`)
	moreRE    = regexp.MustCompile(`href="(/c/[^"?]+(?:\?skip=[^"#]+)?#drive)"[^>]*>Write another card`)
)

// offered returns whom a drive page offers, and its link to someone else.
func offered(t *testing.T, page response) (name, another string) {
	t.Helper()
	m := offeredRE.FindStringSubmatch(page.Body)
	if m == nil {
		return "", ""
	}
	if a := anotherRE.FindStringSubmatch(page.Body); a != nil {
		another = html.UnescapeString(a[1])
	}
	return html.UnescapeString(m[1]), another
}

func TestDrivePage(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	s.addDrive(t, "ny")
	tests := []struct {
		name   string
		path   string
		status int
		who    []string // whom it may offer
		has    []string
		hasNot []string
		nobody bool
	}{
		{"offers a reachable person", "/c/ny?lang=en", 200, []string{"Maria Kalesnikava", "Ihar Losik", "Hidden Person"},
			[]string{"Choose a person by name", "Offer me someone else", "0</strong> cards", `name="recipient"`, `name="offered" value="1"`},
			[]string{"Freed Person"}, false},
		{"a named person", "/c/ny?lang=en&to=maria-ny", 200, []string{"Maria Kalesnikava"},
			[]string{"You are writing to Maria Kalesnikava", "З Новым годам! Мы памятаем.", "С Новым годом! Мы помним.",
				"Only Belarusian or Russian.", "<q>regime</q>", "Musician, held since 2020.", `name="recipient" value="r-maria-ny"`},
			[]string{"Frohes neues Jahr!", `name="offered"`, "Hidden Person", "Freed Person"}, false},
		{"suggestions in the prison's languages only", "/c/ny?lang=en&to=ihar-ny", 200, []string{"Ihar Losik"},
			[]string{"С Новым годом! Мы помним."}, []string{"З Новым годам!", "Frohes neues Jahr!"}, false},
		{"unknown person", "/c/ny?lang=en&to=nobody", 404, nil, nil, nil, false},
		{"a person of another campaign", "/c/ny?lang=en&to=elsewhere", 404, nil, nil, nil, false},
		{"a skip list that does not open offers anyone", "/c/ny?lang=en&skip=forged", 200, []string{"Maria Kalesnikava", "Ihar Losik", "Hidden Person"}, nil, nil, false},
		{"in Belarusian", "/c/ny?lang=be&to=maria-ny", 200, nil, []string{"Вы пішаце: Maria Kalesnikava", "Прапануйце мне іншага чалавека"}, nil, false},
	}
	ctx := context.Background()
	other := campaign.Recipient{ID: "r-else", Slug: "elsewhere", Name: "Else Where", Address: []string{"x"}, Country: "BY"}
	if err := s.Service.Store().CreateRecipient(ctx, &other); err != nil {
		t.Fatal(err)
	}
	s.reload(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := s.get(t, tt.path)
			if page.Status != tt.status {
				t.Fatalf("status %d, want %d", page.Status, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if tt.who != nil {
				who, _ := offered(t, page)
				if !contains(tt.who, who) {
					t.Errorf("offered %q, want one of %v", who, tt.who)
				}
			}
			for _, want := range tt.has {
				if !strings.Contains(page.Body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			for _, not := range tt.hasNot {
				if strings.Contains(page.Body, not) {
					t.Errorf("page has %q", not)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// "Offer me someone else" offers each listed, reachable person once (Maria
// and Ihar; the unlisted and the released one never), then nobody; the
// link carries no recipient in the clear.
func TestDriveSkipLink(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	s.addDrive(t, "skip")
	seen := map[string]bool{}
	path := "/c/skip?lang=en"
	for range 2 {
		page := s.get(t, path)
		who, another := offered(t, page)
		if who == "" || seen[who] {
			t.Fatalf("offered %q after %v", who, seen)
		}
		seen[who] = true
		if strings.Contains(another, "r-") || strings.Contains(another, "maria") {
			t.Errorf("skip link %q names a recipient", another)
		}
		path = strings.TrimSuffix(another, "#drive") + "&lang=en"
	}
	page := s.get(t, path)
	if !strings.Contains(page.Body, "Everyone has a card") || strings.Contains(page.Body, `action="/c/skip/sign`) {
		t.Errorf("after skipping everyone: no 'nobody left' page without a form")
	}
}

// A card signed on the page counts for its recipient; the thanks page
// offers another card, to someone else; a second card to the same person
// from the same address counts nothing.
func TestDriveSignAndWriteAnother(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addDrive(t, "sign")
	page := s.get(t, "/c/sign?lang=en&to=ihar-sign")
	token := tokenRE.FindStringSubmatch(page.Body)[1]
	s.Clock.Set(s.Clock.Now().Add(30e9))
	tests := []struct {
		name  string
		email string
		to    string
		want  map[string]int64
		field string // the problem expected instead of a 303
	}{
		{"card to Ihar", "anna@example.org", "r-ihar-sign", map[string]int64{"r-ihar-sign": 1, "r-maria-sign": 0}, ""},
		{"same address to Maria", "anna@example.org", "r-maria-sign", map[string]int64{"r-ihar-sign": 1, "r-maria-sign": 1}, ""},
		{"same address to Ihar again", "anna@example.org", "r-ihar-sign", map[string]int64{"r-ihar-sign": 1, "r-maria-sign": 1}, ""},
		{"to the released person", "boris@example.org", "r-free-sign", map[string]int64{"r-ihar-sign": 1, "r-maria-sign": 1}, "Cards no longer reach this person"},
		{"to nobody", "boris@example.org", "", map[string]int64{"r-ihar-sign": 1}, "Choose whom your card goes to"},
		{"no text", "boris@example.org", "r-maria-sign", map[string]int64{"r-maria-sign": 1}, "Write the text of your card"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := signForm(s.freshToken(c.ID), func(v url.Values) {
				v.Set("email", tt.email)
				v.Set("recipient", tt.to)
				if tt.field == "Write the text of your card" {
					v.Set("greeting", "")
				}
			})
			_ = token
			res := s.post(t, "/c/sign/sign?lang=en", form)
			if tt.field != "" {
				if res.Status != 422 || !strings.Contains(res.Body, tt.field) {
					t.Fatalf("status %d, want 422 with %q", res.Status, tt.field)
				}
			} else {
				loc := res.Header.Get("Location")
				if res.Status != 303 || !strings.HasPrefix(loc, "/c/sign/thanks?more=") {
					t.Fatalf("status %d to %q, want 303 to the thanks page with a list", res.Status, loc)
				}
				if strings.Contains(loc, "ihar") || strings.Contains(loc, "maria") {
					t.Errorf("thanks address %q names a recipient", loc)
				}
				thanks := s.get(t, loc+"&lang=en")
				m := moreRE.FindStringSubmatch(thanks.Body)
				if m == nil {
					t.Fatalf("thanks page offers no other card")
				}
				if i == 0 {
					// Written to Ihar: the next card goes to someone else.
					for range 5 {
						next := s.get(t, strings.Replace(html.UnescapeString(m[1]), "#drive", "", 1)+"&lang=en")
						if who, _ := offered(t, next); who == "Ihar Losik" || who == "" {
							t.Fatalf("after a card to Ihar, offered %q", who)
						}
					}
				}
			}
			counts := s.Service.CardCounts(c.ID)
			for id, n := range tt.want {
				if counts[id] != n {
					t.Errorf("cards to %s = %d, want %d", id, counts[id], n)
				}
			}
		})
	}
	org := s.loginAs(t, account.RoleOrganizer)
	if list := org.get(t, "/admin/campaigns/"+c.ID+"/signatures?lang=en"); strings.Count(list.Body, "to Ihar Losik") != 1 || strings.Count(list.Body, "to Maria Kalesnikava") != 1 {
		t.Errorf("the signature list does not name each card's recipient once")
	}
	page = s.get(t, "/c/sign?lang=en&to=ihar-sign")
	if !strings.Contains(page.Body, "1 card written to them so far") {
		t.Errorf("Ihar's counter not on the page")
	}
}

// The API and the widget count a drive's cards per recipient, naming
// listed recipients only; a card through the API names its recipient by
// slug.
func TestDriveCountersInAPIAndWidget(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addDrive(t, "api")
	key := s.addPartner(t, "ngo-d", "")
	card := func(email, to string) string {
		return sigJSON(email, func(m map[string]any) { m["recipient"], m["greeting"] = to, "Stay strong" })
	}
	tests := []struct {
		name    string
		body    string
		status  int
		maria   int64
		ihar    int64
		waiting int
	}{
		{"before any card", "", 0, 0, 0, 3},
		{"a card to Maria", card("a@example.org", "maria-api"), 201, 1, 0, 2},
		{"the same card again", card("a@example.org", "maria-api"), 201, 1, 0, 2},
		{"the same address to Ihar", card("a@example.org", "ihar-api"), 201, 1, 1, 1},
		{"to the released person", card("b@example.org", "free-api"), 422, 1, 1, 1},
		{"to nobody known", card("b@example.org", "nobody"), 422, 1, 1, 1},
		{"to the unlisted person", card("b@example.org", "hidden-api"), 201, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.body != "" {
				if res := s.apiPost(t, "api", key, tt.body); res.Status != tt.status {
					t.Fatalf("POST status %d, want %d: %s", res.Status, tt.status, res.Body)
				}
			}
			var got struct {
				Kind       string `json:"kind"`
				Signatures int64  `json:"signatures"`
				Waiting    *int   `json:"waiting"`
				Recipients []struct {
					Slug  string `json:"slug"`
					Cards int64  `json:"cards"`
				} `json:"recipients"`
			}
			if err := json.Unmarshal([]byte(s.get(t, "/api/v1/campaigns/api").Body), &got); err != nil {
				t.Fatal(err)
			}
			cards := map[string]int64{}
			for _, r := range got.Recipients {
				cards[r.Slug] = r.Cards
			}
			if got.Kind != "drive" || got.Waiting == nil || *got.Waiting != tt.waiting {
				t.Errorf("kind %q, waiting %v, want drive, %d", got.Kind, got.Waiting, tt.waiting)
			}
			if cards["maria-api"] != tt.maria || cards["ihar-api"] != tt.ihar {
				t.Errorf("cards %v, want Maria %d, Ihar %d", cards, tt.maria, tt.ihar)
			}
			if _, named := cards["hidden-api"]; named || len(got.Recipients) != 3 {
				t.Errorf("recipients %v: want the three listed ones, not the unlisted", cards)
			}
			widget := s.get(t, "/embed/api?lang=en")
			if want := fmt.Sprintf("%d</strong> %s", got.Signatures, map[bool]string{true: "card", false: "cards"}[got.Signatures == 1]); !strings.Contains(widget.Body, want) {
				t.Errorf("widget lacks %q", want)
			}
			if want := fmt.Sprintf("%d %s waiting", tt.waiting, map[bool]string{true: "person", false: "people"}[tt.waiting == 1]); !strings.Contains(widget.Body, want) {
				t.Errorf("widget lacks %q", want)
			}
		})
	}
	_ = c
}

// The console makes a drive: its kind, recipients chosen from a list that
// filters by prison, country, language and status, and suggestions per
// language; a drive without recipients, or with an unknown one, is refused.
func TestConsoleMakesADrive(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	s.addDrive(t, "seed") // the recipients to choose from
	org := s.loginAs(t, account.RoleOrganizer)
	filters := []struct {
		name   string
		query  string
		listed []string
		not    []string
	}{
		{"all", "", []string{"Maria Kalesnikava", "Ihar Losik", "Freed Person"}, nil},
		{"by prison", "?rf_prison=colony+4", []string{"Maria Kalesnikava"}, []string{"Ihar Losik"}},
		{"by language", "?rf_lang=be", []string{"Maria Kalesnikava"}, []string{"Ihar Losik"}},
		{"by country", "?rf_country=de", nil, []string{"Maria Kalesnikava", "Ihar Losik"}},
		{"reachable", "?rf_status=reachable", []string{"Maria Kalesnikava", "Ihar Losik"}, []string{"Freed Person"}},
		{"unreachable", "?rf_status=unreachable", []string{"Freed Person"}, []string{"Ihar Losik"}},
	}
	for _, tt := range filters {
		t.Run("filter "+tt.name, func(t *testing.T) {
			page := org.get(t, "/admin/campaigns/new"+tt.query)
			for _, n := range tt.listed {
				if !strings.Contains(page.Body, `">`+n+`</label>`) {
					t.Errorf("%s not listed", n)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(page.Body, `">`+n+`</label>`) {
					t.Errorf("%s listed", n)
				}
			}
		})
	}
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
	}{
		{"no recipient", func(v url.Values) { v.Set("kind", "drive") }, 422},
		{"an unknown recipient", func(v url.Values) { v.Set("kind", "drive"); v.Add("drive_recipients", "r-none") }, 422},
		{"an unknown kind", func(v url.Values) { v.Set("kind", "petition") }, 422},
		{"a drive", func(v url.Values) {
			v.Set("kind", "drive")
			v.Add("drive_recipients", "r-maria-seed")
			v.Add("drive_recipients", "r-ihar-seed")
			v.Set("suggestion_ru", "С Новым годом!")
		}, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := org.post(t, "/admin/campaigns/new", newCampaignForm(tt.edit))
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d", res.Status, tt.status)
			}
		})
	}
	set := s.Service.Campaigns()
	c, ok := set.BySlug("maria-birthday")
	if !ok {
		t.Fatal("the drive is not stored")
	}
	if !c.IsDrive() || strings.Join(c.RecipientIDs, ",") != "r-maria-seed,r-ihar-seed" || c.RecipientID != "" ||
		len(c.Suggestions) != 1 || c.Suggestions[0] != (campaign.Suggestion{Language: "ru", Text: "С Новым годом!"}) {
		t.Errorf("stored kind %q, recipients %v (%q), suggestions %v", c.Kind, c.RecipientIDs, c.RecipientID, c.Suggestions)
	}
	if list := org.get(t, "/admin/campaigns"); !strings.Contains(list.Body, "Maria Kalesnikava, Ihar Losik") {
		t.Errorf("the campaign list does not name the drive's recipients")
	}
	edit := org.get(t, "/admin/campaigns/"+c.ID)
	for _, want := range []string{`value="drive" checked`, `value="r-maria-seed" checked`, "С Новым годом!"} {
		if !strings.Contains(edit.Body, want) {
			t.Errorf("edit form lacks %q", want)
		}
	}
}
