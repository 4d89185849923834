package campaign

import "time"

// Observers are told how the service's work went, for the metrics; each
// may be nil. They must return quickly and never see personal data: they
// get names of kinds and jobs, sizes and durations.
type Observers struct {
	// Batch is told the size of each group commit, by kind:
	// "signatures" or "pending_signatures".
	Batch func(kind string, size int)
	// Job is told how long each run of a background job took and how it
	// ended: "confirmations", "pending_cleanup" and "retention".
	Job func(job string, took time.Duration, err error)
}

// SetObservers sets the service's observers. Call it before the service
// signs or runs its loops: it is not synchronised with them.
func (s *Service) SetObservers(o Observers) { s.observers = o }

// observeBatch tells the Batch observer of a group commit of kind.
func (s *Service) observeBatch(kind string, size int) {
	if s.observers.Batch != nil {
		s.observers.Batch(kind, size)
	}
}

// observeJob tells the Job observer of a run of job that began at start.
func (s *Service) observeJob(job string, start time.Time, err error) {
	if s.observers.Job != nil {
		s.observers.Job(job, time.Since(start), err)
	}
}
