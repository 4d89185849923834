package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/metrics"
)

// DepthInterval is how often Run counts the queues for the metrics: each
// count reads the bundle jobs, the print runs and the mail queue whole
// (on the embedded database any filter does), so not at each scrape.
const DepthInterval = 30 * time.Second

// watch hands m to the services that report to it and registers the
// campaigns' counts, read from memory at each scrape. Nothing when m is
// nil.
func (a *App) watch(m *metrics.Metrics) error {
	if m == nil {
		return nil
	}
	a.Signing.SetObservers(campaign.Observers{Batch: m.BatchObserver(), Job: m.JobObserver()})
	a.Bundles.SetObserver(m.Job)
	a.PrintRuns.SetObserver(m.Job)
	err := m.WatchCampaigns(func(each func(slug string, n int64)) {
		for _, c := range a.Signing.Campaigns().All {
			each(c.Slug, a.Signing.Count(c.ID))
		}
	})
	if err != nil {
		return fmt.Errorf("register the campaigns' counts: %w", err)
	}
	return nil
}

// countQueues counts the queues' depths into the metrics, every
// DepthInterval until ctx ends; a count that fails leaves the last one and
// is logged.
func (a *App) countQueues(ctx context.Context) {
	log := a.log.With("component", "metrics")
	tick := time.NewTicker(DepthInterval)
	defer tick.Stop()
	for {
		if err := a.CountQueues(ctx); err != nil && ctx.Err() == nil {
			log.Warn("count the queues", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// CountQueues counts, once, the bundle jobs, the print runs, the mail
// queue and the pending signatures into the metrics' queue depths.
func (a *App) CountQueues(ctx context.Context) error {
	m := a.metrics
	if m == nil {
		return nil
	}
	var errs []error
	if d, err := a.Bundles.Depth(ctx); err != nil {
		errs = append(errs, err)
	} else {
		m.QueueDepth("bundles", "queued", d.Queued)
		m.QueueDepth("bundles", "running", d.Running)
		m.QueueDepth("bundles", "failed", d.Failed)
	}
	if d, err := a.PrintRuns.Depth(ctx); err != nil {
		errs = append(errs, err)
	} else {
		m.QueueDepth("print_runs", "queued", d.Queued)
		m.QueueDepth("print_runs", "running", d.Running)
		m.QueueDepth("print_runs", "failed", d.Failed)
	}
	if st, err := a.Mail.Status(ctx); err != nil {
		errs = append(errs, err)
	} else {
		m.QueueDepth("mail", "waiting", st.Total.Waiting)
		m.QueueDepth("mail", "retrying", st.Total.Retrying)
		m.QueueDepth("mail", "sending", st.Total.Sending)
		m.QueueDepth("mail", "failed", st.Total.Failed)
	}
	if d, err := a.Signing.PendingDepth(ctx); err != nil {
		errs = append(errs, err)
	} else {
		m.QueueDepth("pending_signatures", "awaiting", d.Awaiting)
		m.QueueDepth("pending_signatures", "expired", d.Expired)
		m.QueueDepth("confirmations", "waiting", d.Confirmations)
	}
	if len(errs) == 0 {
		m.QueuesCounted(time.Now())
	}
	return errors.Join(errs...)
}
