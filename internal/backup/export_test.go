package backup

import (
	"io"
	"time"
)

// SetLeasing shortens the lease and its renewal for a test.
func (s *Schedule) SetLeasing(lease, renewEvery time.Duration) {
	s.lease, s.renewEvery = lease, renewEvery
}

// SetWriter wraps the backup file's writer for a test (a slow writer).
func (s *Schedule) SetWriter(w func(io.Writer) io.Writer) { s.writer = w }

// LeaseName is the name of the scheduled backups' lease.
const LeaseName = leaseName
