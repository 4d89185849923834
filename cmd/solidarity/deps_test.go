package main

import (
	"os/exec"
	"strings"
	"testing"
)

// slimTags are the build tags the Dockerfile builds the image with. They
// leave out FerretDB's PostgreSQL backend, which the embedded database never
// uses (it runs FerretDB's SQLite backend), and with it the pgx driver.
const slimTags = "ferretdb_no_postgresql"

// TestBinaryDeps keeps packages the binary does not need out of it: the
// browser-test packages must stay test-only in every build, and the
// Dockerfile's tags must still leave PostgreSQL out (FerretDB could rename
// its tag in an update, and the image would silently grow again).
func TestBinaryDeps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tags    string
		without []string
	}{
		{name: "default build", tags: "", without: []string{"github.com/chromedp/"}},
		{name: "image build", tags: slimTags, without: []string{
			"github.com/chromedp/",
			"github.com/jackc/",
			"github.com/FerretDB/FerretDB/internal/backends/postgresql",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-tags="+tt.tags, "-deps", ".").Output()
			if err != nil {
				t.Fatalf("go list -tags=%q -deps: %v", tt.tags, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 100 {
				t.Fatalf("go list -deps gave %d packages, want the binary's whole tree", len(deps))
			}
			for _, dep := range deps {
				for _, prefix := range tt.without {
					if strings.HasPrefix(dep, prefix) {
						t.Errorf("tags %q: the binary imports %s, want no package under %s", tt.tags, dep, prefix)
					}
				}
			}
		})
	}
}
