package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
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

// A reply's numbers are the signatures the bundle printed as them when it
// was built: an erasure later neither moves them nor leaves the erased
// signature credited, an edit of a note keeps them, and a bundle whose
// numbers are gone is refused with a clear message.
func TestReplyNumbersAreTheBundleAsBuilt(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, job, ids := closedWithBundle(t, s, "asbuilt", nil)
	ctx := context.Background()
	recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-01"}, "bundle": {job}, "numbers": {"1, 3"}})
	// Signature 1 is erased: the bundle is built again without it, and the
	// posted letter still prints number 3 for the third.
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/signatures/"+ids[0]+"/erase", nil); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	events, err := s.Core.Delivery.Events(ctx, c.ID)
	if err != nil || len(events) != 1 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	first := events[0]
	if got := first.SignatureIDs; !slices.Equal(got, []string{ids[2]}) {
		t.Errorf("after the erasure the reply credits %v, want %v", got, ids[2:3])
	}
	recordEvent(t, org, c, url.Values{"kind": {"reply"}, "day": {"2027-09-02"}, "bundle": {job}, "numbers": {"3"}})
	// An edit of the note keeps the numbers' signatures.
	res := org.post(t, "/admin/campaigns/"+c.ID+"/delivery/"+first.ID, url.Values{"kind": {"reply"}, "day": {"2027-09-01"},
		"bundle": {job}, "numbers": {"1, 3"}, "internal_note": {"Thanks them by name."}})
	if res.Status != 303 {
		t.Fatalf("edit the note: %d\n%s", res.Status, res.Body)
	}
	events, err = s.Core.Delivery.Events(ctx, c.ID)
	if err != nil || len(events) != 2 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	for _, e := range events {
		if !slices.Equal(e.SignatureIDs, []string{ids[2]}) {
			t.Errorf("reply %s (%v) credits %v, want %v", e.Day, e.Numbers, e.SignatureIDs, ids[2:3])
		}
	}
	// Without its numbers, a bundle cannot take a reply's numbers.
	if _, err := s.DB.Collection("bundle_numbers").DeleteMany(ctx, bson.M{"job": job}); err != nil {
		t.Fatal(err)
	}
	res = org.post(t, "/admin/campaigns/"+c.ID+"/delivery", url.Values{"kind": {"reply"}, "day": {"2027-09-03"},
		"bundle": {job}, "numbers": {"2"}})
	if res.Status != 422 || !strings.Contains(res.Body, "no longer has its list of signature numbers") {
		t.Errorf("a bundle without numbers: %d, want 422 with the reason", res.Status)
	}
}
