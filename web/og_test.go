package web_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

var (
	metaRE      = regexp.MustCompile(`<meta (?:name|property)="([^"]+)" content="([^"]*)">`)
	canonicalRE = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
)

// headTags returns the page's description and Open Graph tags by name,
// unescaped, with the canonical link as "canonical".
func headTags(t *testing.T, body string) map[string]string {
	t.Helper()
	head, _, ok := strings.Cut(body, "</head>")
	if !ok {
		t.Fatal("no </head>")
	}
	tags := map[string]string{}
	for _, m := range metaRE.FindAllStringSubmatch(head, -1) {
		if m[1] == "viewport" {
			continue
		}
		if _, dup := tags[m[1]]; dup {
			t.Errorf("%s appears twice", m[1])
		}
		tags[m[1]] = html.UnescapeString(m[2])
	}
	if m := canonicalRE.FindStringSubmatch(head); m != nil {
		tags["canonical"] = html.UnescapeString(m[1])
	}
	return tags
}

// TestShareTags checks what a link to a campaign or to the home page shows
// when shared: its title, summary, count and deadline in the reader's
// language, its one canonical address whatever the link carried.
func TestShareTags(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", func(c *campaign.Campaign) {
		c.Title = `Free "Ales" & friends <now>`
		c.Summary = "He has been in prison since 2021 <b>for</b> his work & ours.\n\nA second paragraph that previews leave out."
	})
	addSignatures(t, s, c, 3, time.Date(2027, 5, 2, 10, 0, 0, 0, time.UTC))
	home := map[string]string{
		"en": "Sign a letter and add a few words of your own. The organizers print every signature and greeting and send them by post, so that someone behind bars knows they are not forgotten.",
		"be": "Падпішыце ліст і дадайце некалькі слоў ад сябе. Арганізатары друкуюць усе подпісы і прывітанні і адпраўляюць іх поштай, каб чалавек за кратамі ведаў, што пра яго не забылі.",
	}
	tests := []struct {
		lang string
		want map[string]string
	}{
		{"en", map[string]string{
			"description":    "He has been in prison since 2021 <b>for</b> his work & ours. 3 signatures · Sign before 12 July 2027",
			"og:title":       `Free "Ales" & friends <now>`,
			"og:site_name":   "Solidarity letters",
			"og:locale":      "en_US",
			"og:type":        "website",
			"og:url":         s.URL + "/c/ales",
			"canonical":      s.URL + "/c/ales?lang=en",
			"og:description": "He has been in prison since 2021 <b>for</b> his work & ours. 3 signatures · Sign before 12 July 2027",
		}},
		{"be", map[string]string{
			"description":    "He has been in prison since 2021 <b>for</b> his work & ours. 3 подпісы · Падпішыце да 12 ліпеня 2027 г.",
			"og:title":       `Free "Ales" & friends <now>`,
			"og:site_name":   "Лісты салідарнасці",
			"og:locale":      "be_BY",
			"og:type":        "website",
			"og:url":         s.URL + "/c/ales",
			"canonical":      s.URL + "/c/ales?lang=be",
			"og:description": "He has been in prison since 2021 <b>for</b> his work & ours. 3 подпісы · Падпішыце да 12 ліпеня 2027 г.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := s.get(t, "/c/ales?lang="+tt.lang+"&ref=partner1")
			if page.Status != 200 {
				t.Fatalf("status %d", page.Status)
			}
			got := headTags(t, page.Body)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
			// Text the organizer wrote stays text in the head.
			if !strings.Contains(page.Body, `<meta property="og:title" content="Free &#34;Ales&#34; &amp; friends &lt;now&gt;">`) {
				t.Error("og:title is not HTML-escaped")
			}
			if strings.Contains(page.Body, "<b>for</b>") || strings.Contains(page.Body, "<now>") {
				t.Error("the campaign's text reaches the page unescaped")
			}

			front := headTags(t, s.get(t, "/?lang="+tt.lang).Body)
			if front["description"] != home[tt.lang] {
				t.Errorf("home description = %q, want %q", front["description"], home[tt.lang])
			}
			if front["canonical"] != s.URL+"/?lang="+tt.lang || front["og:url"] != s.URL+"/" {
				t.Errorf("home canonical %q, og:url %q, want %q and %q", front["canonical"], front["og:url"], s.URL+"/?lang="+tt.lang, s.URL+"/")
			}
		})
	}

	t.Run("a long summary is cut at a word", func(t *testing.T) {
		s.addCampaign(t, "long", func(c *campaign.Campaign) { c.Summary = strings.Repeat("solidarity ", 40) })
		got := headTags(t, s.get(t, "/c/long?lang=en").Body)["og:description"]
		want := strings.Repeat("solidarity ", 17) + "solidarity… 0 signatures · Sign before 12 July 2027"
		if got != want {
			t.Errorf("og:description = %q, want %q", got, want)
		}
	})

	// A supporter who shares the address they are on after signing shares
	// the campaign; search engines are sent to the campaign's page.
	for _, tt := range tests {
		t.Run("thanks page in "+tt.lang, func(t *testing.T) {
			got := headTags(t, s.get(t, "/c/ales/thanks?lang="+tt.lang).Body)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
		})
	}

	t.Run("pages nobody shares have none", func(t *testing.T) {
		got := headTags(t, s.get(t, "/contact").Body)
		if len(got) != 0 {
			t.Errorf("the contact page has share tags: %v", got)
		}
	})
}

// othersSection returns the closed campaign page's list of open campaigns,
// or "" when it has none.
func othersSection(body string) string {
	_, rest, ok := strings.Cut(body, `aria-labelledby="others-h"`)
	if !ok {
		return ""
	}
	section, _, _ := strings.Cut(rest, "</section>")
	return section
}

// TestClosedCampaignOffersOpenOnes checks that a closed campaign's page
// sends its visitors on to up to three campaigns they can still sign, and
// never to one they cannot see or sign.
func TestClosedCampaignOffersOpenOnes(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	closed := func(c *campaign.Campaign) { c.ClosesAt = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC) }
	s.addCampaign(t, "ended", closed)

	if got := othersSection(s.get(t, "/c/ended").Body); got != "" {
		t.Errorf("with no open campaign the closed page still offers some: %s", got)
	}

	s.addCampaign(t, "ended-too", closed)
	s.addCampaign(t, "draft", func(c *campaign.Campaign) { c.OpensAt = time.Time{} })
	s.addCampaign(t, "scheduled", func(c *campaign.Campaign) { c.OpensAt = time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC) })
	s.addCampaign(t, "archived", func(c *campaign.Campaign) { c.ArchivedAt = time.Date(2027, 5, 25, 0, 0, 0, 0, time.UTC) })
	for i, slug := range []string{"open-d", "open-a", "open-c", "open-b"} {
		s.addCampaign(t, slug, func(c *campaign.Campaign) {
			c.Title = "Write to " + slug
			c.ClosesAt = time.Date(2027, 7, 10+[]int{3, 0, 2, 1}[i], 0, 0, 0, 0, time.UTC)
		})
	}
	addSignatures(t, s, &campaign.Campaign{ID: "c-open-a"}, 2, time.Date(2027, 5, 2, 10, 0, 0, 0, time.UTC))

	tests := []struct {
		lang, heading, count, deadline string
	}{
		{"en", "Campaigns you can still sign", "<strong>2</strong> signatures", "Sign before 10 July 2027"},
		{"be", "Кампаніі, якія яшчэ можна падпісаць", "<strong>2</strong> подпісы", "Падпішыце да 10 ліпеня 2027 г."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := s.get(t, "/c/ended?lang="+tt.lang)
			if page.Status != 200 {
				t.Fatalf("status %d", page.Status)
			}
			section := othersSection(page.Body)
			if section == "" {
				t.Fatal("the closed page offers no open campaign")
			}
			for _, want := range []string{tt.heading, tt.count, tt.deadline} {
				if !strings.Contains(section, want) {
					t.Errorf("the list lacks %q:\n%s", want, section)
				}
			}
			var got []string
			for _, m := range regexp.MustCompile(`<a href="/c/([^"]+)">`).FindAllStringSubmatch(section, -1) {
				got = append(got, m[1])
			}
			// Closing soonest first, three at most.
			if want := []string{"open-a", "open-b", "open-c"}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("offered %v, want %v", got, want)
			}
		})
	}

	if got := othersSection(s.get(t, "/c/open-a").Body); got != "" {
		t.Errorf("an open campaign's page offers others: %s", got)
	}
}
