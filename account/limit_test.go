package account

import (
	"fmt"
	"testing"
	"time"
)

// The failure record never holds more than its bound, whatever keys an
// attacker makes up, and forgets the least recently touched first.
func TestLimiterIsBounded(t *testing.T) {
	const max = 100
	l := newLimiter(max, time.Hour)
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	l.reserve("kept", 3, now)
	for i := range 10 * max {
		if i%10 == 0 {
			l.reserve("kept", 1000, now) // touched again and again: stays
		}
		if !l.reserve(fmt.Sprintf("made-up-%d", i), 3, now) {
			t.Fatalf("a new key was refused")
		}
		if n := l.size(); n > max {
			t.Fatalf("after %d keys the record holds %d, want at most %d", i+1, n, max)
		}
	}
	if l.size() != max {
		t.Errorf("record holds %d, want %d", l.size(), max)
	}
	if !l.limited("kept", 3, now) {
		t.Error("the key touched last was evicted instead of the oldest")
	}
	if l.limited("made-up-0", 1, now) {
		t.Error("the oldest key was not evicted")
	}
}

func TestLimiterWindow(t *testing.T) {
	l := newLimiter(10, time.Minute)
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if !l.reserve("k", 3, now) {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if l.reserve("k", 3, now) {
		t.Error("a fourth attempt within the window passed")
	}
	l.release("k")
	if !l.reserve("k", 3, now) {
		t.Error("a released attempt still counts")
	}
	if !l.reserve("k", 3, now.Add(time.Minute+time.Second)) {
		t.Error("failures older than the window still count")
	}
}
