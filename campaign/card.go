package campaign

import (
	"errors"
	"time"
)

// signingKey is what a signature's ID is keyed by besides the address: the
// campaign for a letter, so that an address signs it once; the campaign
// and the recipient for a drive's card, so that an address writes one card
// to each of the drive's recipients.
func signingKey(c *Campaign, recipientID string) string {
	if !c.IsDrive() {
		return c.ID
	}
	return c.ID + "\x00card\x00" + recipientID
}

// cardRecipient is the recipient a signature of c names: the card's on a
// drive, none on a letter (Signature.To).
func cardRecipient(c *Campaign, recipientID string) string {
	if !c.IsDrive() {
		return ""
	}
	return recipientID
}

// cardProblems lists what is wrong with the recipient of a card to the
// drive c, signed at now: none chosen, one the drive does not write to,
// or one cards no longer reach (Recipient.Reachable).
func (s *Service) cardProblems(c *Campaign, recipientID string, now time.Time) []FieldError {
	if recipientID == "" {
		return []FieldError{{Field: "recipient", Problem: ProblemRequired}}
	}
	r, ok := s.Campaigns().Recipient(recipientID)
	if !ok || !c.WritesTo(recipientID) {
		return []FieldError{{Field: "recipient", Problem: ProblemChoice}}
	}
	if !r.Reachable(now.UTC().Format(time.DateOnly)) {
		return []FieldError{{Field: "recipient", Problem: ProblemUnreachable}}
	}
	return nil
}

// withProblems adds problems to err, the result of a form's validation:
// into its *ValidationError, or as a new one when err is nil. Another
// error is returned as it is.
func withProblems(err error, problems []FieldError) error {
	if len(problems) == 0 {
		return err
	}
	if err == nil {
		return &ValidationError{Fields: problems}
	}
	var v *ValidationError
	if errors.As(err, &v) {
		v.Fields = append(v.Fields, problems...)
	}
	return err
}
