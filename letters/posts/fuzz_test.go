package posts_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/solidarity-letters/solidarity/letters/posts"
)

// Whatever a title or a tag list holds, the slug made from it is a valid
// address or empty, and tags are lower-case words joined by hyphens.
func FuzzSlugAndTags(f *testing.F) {
	for _, s := range []string{"Ales Bialiatski: “All prizes…”", "Алесь, Бяляцкі", "a,,b , C-D", "\u202e\x00", "ß ø æ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if slug := posts.Slugify(s); slug != "" && (!posts.ValidSlug(slug) || len(slug) > posts.SlugMax) {
			t.Errorf("Slugify(%q) = %q, not a valid slug", s, slug)
		}
		for _, tag := range posts.ParseTags(s) {
			if tag == "" || strings.ContainsAny(tag, ", \t\n") || !utf8.ValidString(tag) || strings.HasPrefix(tag, "-") || strings.HasSuffix(tag, "-") {
				t.Errorf("ParseTags(%q) gave %q", s, tag)
			}
			if posts.NormaliseTag(tag) != tag {
				t.Errorf("tag %q is not normalised", tag)
			}
		}
	})
}
