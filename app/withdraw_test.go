package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/delivery"
)

// An update queued for a supporter who then unsubscribes or erases their
// signature, or for a campaign that retention then trims, is not sent
// when the mail worker runs.
func TestQueuedUpdatesWithdrawn(t *testing.T) {
	t.Parallel()
	emailKey := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name     string
		withdraw func(t *testing.T, env *updatesEnv)
		want     []string // who still gets the update
	}{
		{"nothing", func(*testing.T, *updatesEnv) {}, []string{"anna@example.org", "boris@example.org"}},
		{"anna unsubscribes", func(t *testing.T, env *updatesEnv) {
			anna := campaign.SignatureID(emailKey, env.camp.ID, "anna@example.org")
			if ok, err := env.nodes[0].Signing.Unsubscribe(t.Context(), anna); err != nil || !ok {
				t.Fatalf("unsubscribe anna: %v, %v", ok, err)
			}
		}, []string{"boris@example.org"}},
		{"boris erases his signature", func(t *testing.T, env *updatesEnv) {
			boris := campaign.SignatureID(emailKey, env.camp.ID, "boris@example.org")
			if err := env.nodes[0].Signing.EraseSignature(t.Context(), env.camp.ID, boris); err != nil {
				t.Fatalf("erase boris: %v", err)
			}
		}, []string{"anna@example.org"}},
		{"retention trims the campaign", func(t *testing.T, env *updatesEnv) {
			// Closed on 2027-07-12, posted on 2027-06-01: due 30 days
			// after posting, once closed.
			now := time.Date(2027, 7, 20, 0, 0, 0, 0, time.UTC)
			trimmed, err := env.nodes[0].Retention.RunOnce(t.Context(), now)
			if err != nil || len(trimmed) != 1 {
				t.Fatalf("retention: %d campaigns trimmed, %v; want 1", len(trimmed), err)
			}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newUpdatesEnv(t, 1)
			env.event(t, delivery.KindPosted, true)
			env.clock.Add(2 * time.Hour)
			a := env.nodes[0]
			if err := a.Updates.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st, err := a.Mail.Status(t.Context()); err != nil || st.Total.Waiting != 2 {
				t.Fatalf("queued %+v, %v; want 2 updates waiting", st.Total, err)
			}
			tc.withdraw(t, env)
			if _, err := a.Mail.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range readOutbox(t, env.dir) {
				got = append(got, m.To)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && strings.Join(got, " ") != strings.Join(tc.want, " ")) {
				t.Errorf("sent to %v, want %v", got, tc.want)
			}
		})
	}
}
