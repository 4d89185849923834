package web

import (
	"testing"
	"time"
)

// A cached page is sent again while what it shows is unchanged; when only
// its counts changed, for countLag after it was drawn.
func TestPageCacheLetsCountsLag(t *testing.T) {
	drawn := pageState{content: 1, counts: 1}
	tests := []struct {
		name string
		age  time.Duration
		ask  pageState
		hit  bool
	}{
		{"unchanged", 0, drawn, true},
		{"unchanged, old", 2 * countLag, drawn, true},
		{"counts changed, fresh", 0, pageState{content: 1, counts: 2}, true},
		{"counts changed, old", 2 * countLag, pageState{content: 1, counts: 2}, false},
		{"content changed, fresh", 0, pageState{content: 2, counts: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, err := newPageCache()
			if err != nil {
				t.Fatal(err)
			}
			p, err := pc.put("slot", drawn, []byte("<p>page</p>"))
			if err != nil {
				t.Fatal(err)
			}
			p.drawn = p.drawn.Add(-tt.age)
			if _, hit := pc.get("slot", tt.ask); hit != tt.hit {
				t.Errorf("sent from the cache: %v, want %v", hit, tt.hit)
			}
		})
	}
}
