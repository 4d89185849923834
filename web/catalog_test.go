package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// Every message a template or handler asks for exists in English, so that
// no page ever shows a bare message ID.
func TestEveryMessageIsTranslated(t *testing.T) {
	t.Parallel()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`\.(?:T|N)[ (]"([a-z_.0-9]+[a-z0-9])"`)
	files, _ := filepath.Glob("templates/*.html")
	goFiles, _ := filepath.Glob("*.go")
	files = append(files, goFiles...)
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			found++
			if !c.Has(m[1]) {
				t.Errorf("%s asks for message %q, which en.json lacks", f, m[1])
			}
		}
	}
	if found < 40 {
		t.Errorf("found only %d message uses; is the pattern still right?", found)
	}
	for _, status := range []string{"400", "403", "404", "410", "413", "500"} {
		for _, part := range []string{"title", "message"} {
			if id := "error_page." + status + "." + part; !c.Has(id) {
				t.Errorf("missing %s", id)
			}
		}
	}
	for _, p := range []string{"required", "too_long", "invalid_characters", "invisible", "email", "country"} {
		if !c.Has("error." + p) {
			t.Errorf("missing general message error.%s", p)
		}
	}
}
