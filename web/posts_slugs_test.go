package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/letters/posts"
)

// A post's old addresses lead to its new one while it is public; no new
// post may take them, and the console says why in the user's language.
func TestPostSlugRedirects(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "A letter", s.Clock.Now(), nil)
	in := posts.InputOf(&p)
	in.Slug = "letter-of-december"
	p, err := s.Core.Posts.Update(context.Background(), p.ID, p.Version, in)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, location string
	}{
		{"/letters/a-letter", "/letters/letter-of-december"},
		{"/letters/a-letter?lang=be", "/letters/letter-of-december?lang=be"},
	}
	for _, tt := range tests {
		res := s.get(t, tt.path)
		if res.Status != 301 || res.Header.Get("Location") != tt.location {
			t.Errorf("%s: status %d to %q, want 301 to %q", tt.path, res.Status, res.Header.Get("Location"), tt.location)
		}
	}
	if res := s.get(t, "/letters/letter-of-december"); res.Status != 200 || !strings.Contains(res.Body, "A letter") {
		t.Errorf("the new address: status %d", res.Status)
	}

	u := s.loginAs(t, "organizer")
	form := url.Values{"post_title": {"Another letter"}, "post_slug": {"a-letter"}, "post_lang": {"en"},
		"post_recipient_id": {"r-ales"}, "post_kind": {"news"}, "post_body": {"News."}}
	for lang, want := range map[string]string{
		"en": "Another post had this address before",
		"be": "Гэты адрас раней меў іншы допіс",
	} {
		res := u.post(t, "/admin/posts/new?lang="+lang, form)
		if res.Status != 422 || !strings.Contains(res.Body, want) {
			t.Errorf("%s: a new post with an old slug: status %d, want 422 with %q", lang, res.Status, want)
		}
	}

	// Unpublished, the post's old address leads nowhere.
	if _, err := s.Core.Posts.Unpublish(context.Background(), p.ID, p.Version, "test"); err != nil {
		t.Fatal(err)
	}
	if res := s.get(t, "/letters/a-letter"); res.Status != 404 {
		t.Errorf("an unpublished post's old address: status %d, want 404", res.Status)
	}
}
