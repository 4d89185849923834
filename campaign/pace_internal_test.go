package campaign

import (
	"testing"
	"time"
)

func TestRestLeavesTheDatabaseToSigning(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		pause                float64
		limit, took, elapsed time.Duration
		want                 time.Duration
	}{
		{"a page rests as long as it took", 1, time.Minute, 40 * time.Millisecond, time.Second, 40 * time.Millisecond},
		{"twice as long with pause 2", 2, time.Minute, 40 * time.Millisecond, time.Second, 80 * time.Millisecond},
		{"no rest once the limit has passed", 1, time.Minute, 40 * time.Millisecond, time.Minute, 0},
		{"no rest for a page that took no time", 1, time.Minute, 0, time.Second, 0},
		{"no pause, no rest", 0, time.Minute, 40 * time.Millisecond, time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rest(tc.pause, tc.limit, tc.took, tc.elapsed); got != tc.want {
				t.Errorf("rest = %v, want %v", got, tc.want)
			}
		})
	}
}

// The recount's scan must still end within its lease, however slow the
// database: pacing stops well before the lease ends.
func TestRecountPacingEndsBeforeTheLease(t *testing.T) {
	if worst := recountPaceLimit + time.Duration(recountPause*float64(recountPaceLimit)); worst >= RecountLease {
		t.Errorf("a paced recount may rest until %v, past its lease of %v", worst, RecountLease)
	}
}
