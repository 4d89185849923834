package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/backup"
)

// Scheduled backups show in /readyz's detail and on the admins'
// dashboard: the last one, its size and age, the count kept, the next
// due and a failure after it; /readyz stays ready through a failure.
func TestScheduledBackupsShown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	s := newSiteOn(t, dbs.Database(t), func(string) app.Options {
		return app.Options{Backup: backup.ScheduleOptions{Dir: dir, Every: time.Hour, Keep: 2, Recipients: []age.Recipient{id.Recipient()}, Node: "node-1"}}
	}, nil)
	s.addCampaign(t, "ales", nil)
	admin := s.loginAs(t, account.RoleAdmin)

	if res := s.get(t, "/readyz"); res.Status != 200 || res.Body != "ok\nbackup: none written yet" {
		t.Errorf("/readyz before any backup = %d %q", res.Status, res.Body)
	}
	page := admin.get(t, "/admin").Body
	for _, want := range []string{"Backups", "None yet", "Backups kept", "Next backup due"} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard before any backup does not say %q", want)
		}
	}

	for range 3 {
		if _, won, err := s.Core.Backups.RunOnce(ctx, s.Clock.Now()); err != nil || !won {
			t.Fatalf("scheduled backup: %v, %v", won, err)
		}
		s.Clock.Add(time.Hour)
	}
	files, err := s.Core.Backups.Files()
	if err != nil || len(files) != 2 {
		t.Fatalf("the folder keeps %v (%v), want 2 backups", files, err)
	}
	s.Clock.Add(90 * time.Minute)
	// The status is read again at most every 10 s: a new server reads it
	// now.
	s = newSiteOn(t, s.DB, func(string) app.Options {
		return app.Options{Backup: backup.ScheduleOptions{Dir: dir, Every: time.Hour, Keep: 2, Recipients: []age.Recipient{id.Recipient()}, Node: "node-2"}}
	}, nil)
	s.Clock.Set(time.Date(2027, 6, 1, 16, 30, 0, 0, time.UTC))
	res := s.get(t, "/readyz")
	if res.Status != 200 || !strings.Contains(res.Body, "backup: last 2027-06-01T14:00:00Z, age 2h 30m, size ") || !strings.HasSuffix(res.Body, "status ok") {
		t.Errorf("/readyz after three backups = %d %q", res.Status, res.Body)
	}
	admin = s.loginAs(t, account.RoleAdmin)
	page = admin.get(t, "/admin").Body
	for _, want := range []string{files[1], "node-1", "2h 30m", " kB", "Next backup due"} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard does not show %q", want)
		}
	}
	if strings.Contains(page, "None yet") {
		t.Error("the dashboard still says no backup was made")
	}

	// A failure: the folder became a file.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Core.Backups.RunOnce(ctx, s.Clock.Now()); err == nil {
		t.Fatal("a backup into a file instead of a folder succeeded")
	}
	res = s.get(t, "/readyz")
	if res.Status != 200 || !strings.Contains(res.Body, "status failed at 2027-06-01T16:30:00Z") {
		t.Errorf("/readyz after a failed backup = %d %q, want 200 with the failure", res.Status, res.Body)
	}
	page = admin.get(t, "/admin").Body
	if !strings.Contains(page, "Last error") || !strings.Contains(page, "backup folder") {
		t.Errorf("the dashboard does not show the last error")
	}
	// Organizers do not see it.
	if page := s.loginAs(t, account.RoleOrganizer).get(t, "/admin").Body; strings.Contains(page, "Backups kept") {
		t.Error("an organizer's dashboard shows the backups")
	}
}
