package mail_test

import (
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/mail"
)

// logEntries reads the mail log.
func (s *setup) logEntries(t *testing.T) []bson.M {
	t.Helper()
	cur, err := s.db.Collection("mail_log").Find(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []bson.M
	if err := cur.All(t.Context(), &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestLogKeepsDaysAndIsPrunedOnceADay(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.enqueue(t, message(1))
	runOnce(t, s.queue) // at 2026-12-01 09:00 UTC
	entries := s.logEntries(t)
	if len(entries) != 1 {
		t.Fatalf("log %v, want one entry", entries)
	}
	midnight := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, field := range []string{"created_at", "finished_at"} {
		if got := entries[0][field].(bson.DateTime).Time().UTC(); !got.Equal(midnight) {
			t.Errorf("%s %v, want the day only, %v", field, got, midnight)
		}
	}

	other := s.newQueue(t)
	for _, tc := range []struct {
		name        string
		at          time.Duration // after the first day's 09:00
		queue       *mail.Queue
		wantPruned  bool
		wantDeleted int64
	}{
		{"the same day", 0, s.queue, true, 0},
		{"again the same day, another node", 2 * time.Hour, other, false, 0},
		{"seven days on", 7 * 24 * time.Hour, other, true, 0},
		{"eight days on", 8 * 24 * time.Hour, s.queue, true, 1},
		{"again that day", 8*24*time.Hour + time.Hour, s.queue, false, 0},
	} {
		s.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Add(tc.at))
		pruned, deleted, err := tc.queue.PruneLog(t.Context())
		if err != nil || pruned != tc.wantPruned || deleted != tc.wantDeleted {
			t.Errorf("%s: pruned %v, deleted %d, %v; want %v, %d", tc.name, pruned, deleted, err, tc.wantPruned, tc.wantDeleted)
		}
	}
	if n := len(s.logEntries(t)); n != 0 {
		t.Errorf("the log keeps %d entries after eight days, want 0", n)
	}
	// The counts of the console stay.
	if st := s.status(t); st.Total.Sent != 1 {
		t.Errorf("status %+v after pruning, want 1 sent", st.Total)
	}
}
