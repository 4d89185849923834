package web

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/i18n"
)

// The scheduled backups as the dashboard (admins) and /readyz show them:
// when the last one was written, its size and age, how many are kept,
// when the next is due and the last error. Never a supporter's data: the
// error text is the file system's or the database driver's.

// BackupPanel is the dashboard's box on the scheduled backups.
type BackupPanel struct {
	// On: this node writes scheduled backups.
	On bool
	// Last describes the latest backup written; When is empty if none.
	When, Age, Size, File, Node string
	Keep                        int64
	Next                        string
	// FailedAt and Error describe a failure after the last backup.
	FailedAt, Error string
}

// backupPanel reads the scheduled backups' status; nil when there is
// nothing to show (off here and none recorded) or it cannot be read.
func (s *Server) backupPanel(ctx context.Context, t *i18n.Localizer) *BackupPanel {
	if s.deps.Backups == nil {
		return nil
	}
	st, err := s.deps.Backups.Status(ctx)
	if err != nil {
		s.log.Warn("read the backups' status", "error", err)
		return nil
	}
	now := s.cfg.Now()
	p := &BackupPanel{On: st.On, Keep: int64(st.Keep)}
	if st.Last != nil {
		p.When, p.Age, p.Size, p.File, p.Node = t.DateTime(st.Last.Finished.UTC()), age(now.Sub(st.Last.Finished)), size(st.Last.Size), st.Last.File, st.Last.Node
	}
	if st.Failed != nil {
		p.FailedAt, p.Error = t.DateTime(st.Failed.Finished.UTC()), st.Failed.Error
	}
	if st.On {
		p.Next = t.DateTime(st.Next.UTC())
	}
	return p
}

// backupDetail is /readyz's line on the scheduled backups; empty when
// there are none. It never makes the node not ready.
func (s *Server) backupDetail(ctx context.Context) string {
	if s.deps.Backups == nil {
		return ""
	}
	st, err := s.deps.Backups.Status(ctx)
	if err != nil {
		return "backup: status unknown (the results could not be read)"
	}
	if !st.On && st.Last == nil && st.Failed == nil {
		return ""
	}
	line := "backup: none written yet"
	if st.Last != nil {
		line = fmt.Sprintf("backup: last %s, age %s, size %s", st.Last.Finished.UTC().Format(time.RFC3339), age(s.cfg.Now().Sub(st.Last.Finished)), size(st.Last.Size))
	}
	if st.Failed != nil {
		return line + ", status failed at " + st.Failed.Finished.UTC().Format(time.RFC3339)
	}
	if st.Last != nil {
		return line + ", status ok"
	}
	return line
}

// age writes a duration as days, hours and minutes: "2d 3h", "3h 12m",
// "5m".
func age(d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

// size writes a byte count in kB, MB or GB (powers of 1000).
func size(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
