package campaign

import (
	"context"
	"fmt"
)

// Messages to supporters that wait to be sent (the mail queue) carry
// references to what they are about: their campaign, and the signature
// of their supporter. When the supporter erases their signature or stops
// its updates, or retention trims the campaign, the messages still
// waiting are withdrawn by reference, so that none goes out after.

// CampaignRef is the reference of the messages about the campaign with
// that ID.
func CampaignRef(campaignID string) string { return "campaign/" + campaignID }

// SignatureRef is the reference of the messages to the supporter of the
// signature with that ID (a SignatureID, which names the campaign too).
func SignatureRef(signatureID string) string { return "signature/" + signatureID }

// Withdrawals withdraws the queued messages about a reference: the mail
// queue in production.
type Withdrawals interface {
	Withdraw(ctx context.Context, ref string) error
}

// SetWithdrawals sets what withdraws queued messages. Call it before the
// first erasure; without one, nothing is withdrawn (tests of other
// things).
func (s *Service) SetWithdrawals(w Withdrawals) { s.withdrawals = w }

// withdraw withdraws the queued messages about ref, if there is a way.
func (s *Service) withdraw(ctx context.Context, ref string) error {
	if s.withdrawals == nil {
		return nil
	}
	if err := s.withdrawals.Withdraw(ctx, ref); err != nil {
		return fmt.Errorf("withdraw queued messages: %w", err)
	}
	return nil
}

// Unsubscribe stops updates to the signature with that ID, withdraws the
// messages waiting to go to its supporter and erases its stored address
// at once (Store.Unsubscribe). It reports whether the signature was
// there; unsubscribing twice changes nothing.
func (s *Service) Unsubscribe(ctx context.Context, id string) (bool, error) {
	// First: if it fails, nothing changed and the supporter can try again.
	if err := s.withdraw(ctx, SignatureRef(id)); err != nil {
		return false, fmt.Errorf("unsubscribe signature: %w", err)
	}
	return s.store.Unsubscribe(ctx, id)
}
