package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The worker of the confirmation messages. A signing that is to send a
// message (pending.go) only stores, in the update that claims it, what
// the message needs: the link, sealed, and the language. The worker then
// composes and queues it (Confirmations.SendConfirmation): so a request
// with a message due does the same work as one without, and its answer
// takes as long. The request wakes this node's worker; the others find the
// message when they next look (confirmPoll).
//
// A message is taken like the mail queue's: an atomic update raises its
// try and leases it (confirmLease), and a claim record of that try makes
// one worker its owner on any database (package claim). A worker that
// stops after taking it leaves it to another when the lease runs out;
// one that stops after queueing it but before recording that queues it
// again under the same key, which the mail queue stores once. So a message
// is queued exactly once, across restarts and nodes.

// Timing of the worker.
const (
	// confirmLease is how long a taken message is held before another
	// worker may take it over.
	confirmLease = 2 * time.Minute
	// confirmTries is how many times a message is taken before the
	// worker gives it up (a key that no longer opens it, a campaign that
	// cannot be read).
	confirmTries = 10
	// confirmPoll is how often an idle worker looks for messages that
	// other nodes' requests left, or that a stopped worker held.
	confirmPoll = 5 * time.Second
	// confirmSettle is how long a woken worker waits before it looks, so
	// that its work comes after the answer to the request that woke it,
	// not during it.
	confirmSettle = 100 * time.Millisecond
	// confirmBatch is how many messages one look takes at most.
	confirmBatch = 100
)

// wakeConfirmations tells this node's worker that a message waits.
func (s *Service) wakeConfirmations() {
	select {
	case s.confirmWake <- struct{}{}:
	default: // woken already
	}
}

// SendConfirmations looks once for the confirmation messages that wait,
// composes and queues each (Confirmations.SendConfirmation), and returns
// how many it queued. A message that failed waits for its lease to run out
// and is tried again, up to confirmTries times; the errors are returned
// together, after the other messages were tried.
func (s *Service) SendConfirmations(ctx context.Context) (int, error) {
	if s.confirmations == nil {
		return 0, errors.New("send confirmation messages: no way to send them")
	}
	due, err := s.store.dueConfirmations(ctx, s.now().UTC(), confirmBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, d := range due {
		m, err := s.store.takeConfirmation(ctx, d, s.now().UTC(), confirmLease)
		if err == nil && m != nil {
			err = s.sendConfirmation(ctx, m)
			if err == nil {
				sent++
			}
		}
		if err != nil && m != nil && m.Try >= confirmTries {
			// Given up: the supporter may sign again for a new message.
			err = errors.Join(fmt.Errorf("give up the confirmation message of %s after %d tries: %w", m.ID, m.Try, err),
				s.store.finishConfirmation(ctx, m))
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return sent, errors.Join(errs...)
}

// sendConfirmation composes and queues the message m took, and records
// that it did. A message whose campaign was deleted is dropped.
func (s *Service) sendConfirmation(ctx context.Context, m *confirmMessage) error {
	c, err := s.store.Campaign(ctx, m.campaignID)
	if errors.Is(err, ErrNotFound) {
		return s.store.finishConfirmation(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("send the confirmation message of %s: %w", m.ID, err)
	}
	err = s.confirmations.SendConfirmation(ctx, ConfirmationMail{
		To: m.to, Lang: m.lang, CampaignID: c.ID, CampaignTitle: c.Title, ConfirmURL: m.link, Key: m.key(),
	})
	if err != nil {
		return fmt.Errorf("send the confirmation message of %s: %w", m.ID, err)
	}
	return s.store.finishConfirmation(ctx, m)
}

// RunConfirmations runs SendConfirmations when a signing on this node
// leaves a message (after confirmSettle) and every confirmPoll, until ctx
// ends; failures are logged and tried again.
func (s *Service) RunConfirmations(ctx context.Context, log *slog.Logger) {
	poll := time.NewTicker(confirmPoll)
	defer poll.Stop()
	settle := time.NewTimer(confirmSettle)
	settle.Stop()
	for {
		start := time.Now()
		n, err := s.SendConfirmations(ctx)
		if ctx.Err() == nil {
			s.observeJob("confirmations", start, err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("send confirmation messages", "error", err)
		case n > 0:
			log.Info("queued confirmation messages", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-s.confirmWake:
			settle.Reset(confirmSettle)
			select {
			case <-ctx.Done():
				return
			case <-settle.C:
			}
		}
	}
}
