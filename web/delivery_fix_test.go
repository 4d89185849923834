package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A reply links its post, on the campaign page and in the API, only while
// that post is published and listed: a draft's, a scheduled post's or an
// unlisted post's slug never reaches a public page.
func TestReplyLinksOnlyAPublishedListedPost(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, _, _ := closedWithBundle(t, s, "ales", nil)
	now := s.Clock.Now()
	published := s.addPost(t, "Published reply", now, nil)
	draft := s.addPost(t, "Draft reply", time.Time{}, nil)
	scheduled := s.addPost(t, "Scheduled reply", now.Add(24*time.Hour), nil)
	unlisted := s.addPost(t, "Unlisted reply", now, nil)
	if _, err := s.Core.Posts.SetUnlisted(context.Background(), unlisted.ID, unlisted.Version, true, "test"); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{published.Slug, draft.Slug, scheduled.Slug, unlisted.Slug} {
		recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-02"}, "post": {slug}, "public": {"yes"}})
	}
	page := s.get(t, "/c/ales?lang=en").Body
	res := s.get(t, "/api/v1/campaigns/ales")
	var api struct {
		Delivery []struct {
			Kind, Post string
		}
	}
	if err := json.Unmarshal([]byte(res.Body), &api); err != nil {
		t.Fatalf("API: %v\n%s", err, res.Body)
	}
	var slugs []string
	for _, e := range api.Delivery {
		if e.Post != "" {
			slugs = append(slugs, e.Post)
		}
	}
	if got := strings.Join(slugs, " "); got != published.Slug {
		t.Errorf("the API names posts %q, want %q only", got, published.Slug)
	}
	if !strings.Contains(page, `href="/letters/`+published.Slug+`"`) {
		t.Errorf("the page does not link the published post %s", published.Slug)
	}
	for _, slug := range []string{draft.Slug, scheduled.Slug, unlisted.Slug} {
		if strings.Contains(page, slug) {
			t.Errorf("the page names %s", slug)
		}
		if strings.Contains(res.Body, slug) {
			t.Errorf("the API names %s", slug)
		}
	}
}

// The form for a new event carries the event's ID: sent twice (a retry
// after an error), it records one event.
func TestDeliveryFormSentTwiceRecordsOneEvent(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, _, _ := closedWithBundle(t, s, "twice", nil)
	page := org.get(t, "/admin/campaigns/"+c.ID+"/delivery").Body
	m := regexp.MustCompile(`name="event_id" value="([0-9a-f]{24})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the form carries no event ID")
	}
	form := url.Values{"event_id": {m[1]}, "kind": {"delivered"}, "day": {"2027-08-05"}, "public": {"yes"}}
	recordEvent(t, org, c, form)
	recordEvent(t, org, c, form)
	events, err := s.Core.Delivery.Events(context.Background(), c.ID)
	if err != nil || len(events) != 1 || events[0].ID != m[1] {
		t.Fatalf("events after the form was sent twice: %+v, %v", events, err)
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID+"/delivery").Body; strings.Contains(page, m[1]+`"`) && strings.Contains(page, `name="event_id" value="`+m[1]) {
		t.Error("a form drawn again proposes the same new ID")
	}
}
