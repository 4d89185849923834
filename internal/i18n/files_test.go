package i18n

import (
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"testing"
)

// No message ID is defined in two files of one language: the catalog would
// silently keep one of them. Each area keeps its messages in a file of its
// own, so two changes that add the same ID would not otherwise meet.
func TestNoMessageIsDefinedTwice(t *testing.T) {
	files, err := fs.Glob(locales, "locales/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d message files; is the pattern still right?", len(files))
	}
	where := map[string]string{} // language and ID → file
	for _, f := range files {
		data, err := locales.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var messages map[string]json.RawMessage
		if err := json.Unmarshal(data, &messages); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// admin.en.json is English, as go-i18n reads the name.
		parts := strings.Split(strings.TrimSuffix(path.Base(f), ".json"), ".")
		lang := parts[len(parts)-1]
		for id := range messages {
			key := lang + " " + id
			if first, ok := where[key]; ok {
				t.Errorf("message %q is defined in %s and in %s", id, first, f)
			}
			where[key] = f
		}
	}
}
