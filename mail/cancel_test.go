package mail_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestCancelDeletesTheWaitingMessagesAboutAReference(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	about := [][]string{{"campaign/a", "signature/x"}, {"campaign/a", "signature/y"}, {"campaign/b"}}
	for i, refs := range about {
		m := message(i)
		m.About = refs
		s.enqueue(t, m)
	}
	raw, err := s.db.Collection("mail_queue").Find(t.Context(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := raw.All(t.Context(), &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if got := fmt.Sprint(d); strings.Contains(got, "signature/") || strings.Contains(got, "campaign/") {
			t.Errorf("a queued message names its references in the clear: %s", got)
		}
	}
	for _, tc := range []struct {
		ref  string
		want int
	}{
		{"signature/x", 1},
		{"signature/x", 0},
		{"campaign/a", 1}, // the one to y
		{"campaign/c", 0},
	} {
		if n, err := s.queue.Cancel(t.Context(), tc.ref); err != nil || n != tc.want {
			t.Errorf("cancel %s: %d, %v; want %d", tc.ref, n, err, tc.want)
		}
	}
	runOnce(t, s.queue)
	var to []string
	for _, r := range s.sink.Received() {
		to = append(to, r.To...)
	}
	if want := []string{address(2)}; !slices.Equal(to, want) {
		t.Errorf("sent to %v, want %v (the messages about campaign a cancelled)", to, want)
	}
	if st := s.status(t); st.Total.Waiting != 0 || st.Total.Sent != 1 {
		t.Errorf("status %+v, want none waiting and 1 sent", st.Total)
	}
}
