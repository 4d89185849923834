package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// What a person saw in the console's screenshots: a date that ends in a
// full stop ("10 студзеня 2013 г.") got a second one from the sentence
// around it; on a phone the list's state was scrolled out of sight, as it
// came last.
func TestPostsAsReadersSeeThem(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	p := s.addPost(t, "A letter", s.Clock.Now(), nil)
	for _, lang := range []string{"en", "be", "ru", "uk", "pl", "lt", "sv", "de", "fr"} {
		body := s.get(t, "/letters/"+p.Slug+"?lang="+lang).Body
		if m := regexp.MustCompile(`[^.]\.\.(\s|<)`).FindString(body); m != "" {
			t.Errorf("%s: a doubled full stop: %q", lang, m)
		}
	}
	if body := s.get(t, "/letters/"+p.Slug+"?lang=be").Body; !strings.Contains(body, "Дайшоў да нас 10 студзеня 2013 г.</") {
		t.Error("be: the line of when it reached us is not as written")
	}
	u := s.loginAs(t, "organizer")
	s.addPost(t, "A draft", time.Time{}, nil)
	list := u.get(t, "/admin/posts").Body
	head := regexp.MustCompile(`(?s)<thead>(.*?)</thead>`).FindStringSubmatch(list)
	if head == nil {
		t.Fatal("the console's list has no table head")
	}
	cols := regexp.MustCompile(`<th scope="col">([^<]*)</th>`).FindAllStringSubmatch(head[1], -1)
	if len(cols) < 2 || cols[0][1] != "Title" || cols[1][1] != "State" {
		t.Errorf("the list's first columns are %q, want Title then State", cols)
	}
	if !regexp.MustCompile(`(?s)A draft</a></th>\s*<td>Draft</td>`).MatchString(list) {
		t.Error("a row's state does not follow its title")
	}
}
