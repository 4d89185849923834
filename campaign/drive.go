package campaign

import "slices"

// Kind is what a campaign collects.
type Kind string

// The kinds of campaign.
const (
	// KindLetter is a letter that supporters sign for one recipient; the
	// empty kind of campaigns stored before kinds existed is one too.
	KindLetter Kind = ""
	// KindDrive is a drive of cards to many recipients: each supporter
	// may write several cards, one per recipient.
	KindDrive Kind = "drive"
)

// Suggestion is a greeting an organizer wrote for a drive's cards in one
// language, which supporters may take as it is or change.
type Suggestion struct {
	Language string `bson:"language"` // ISO 639-1
	Text     string `bson:"text"`
}

// IsDrive reports whether c is a drive of cards to many recipients.
func (c *Campaign) IsDrive() bool { return c.Kind == KindDrive }

// Recipients returns the IDs of everyone the campaign writes to: a
// drive's recipients, or a letter's one recipient.
func (c *Campaign) Recipients() []string {
	if c.IsDrive() {
		return slices.Clone(c.RecipientIDs)
	}
	if c.RecipientID == "" {
		return nil
	}
	return []string{c.RecipientID}
}

// WritesTo reports whether the campaign writes to the recipient id.
func (c *Campaign) WritesTo(id string) bool {
	if c.IsDrive() {
		return slices.Contains(c.RecipientIDs, id)
	}
	return id != "" && c.RecipientID == id
}

// To returns the ID of the recipient the signature goes to under c: the
// card's own recipient in a drive, the campaign's recipient otherwise.
func (s *Signature) To(c *Campaign) string {
	if c.IsDrive() {
		return s.RecipientID
	}
	return c.RecipientID
}
