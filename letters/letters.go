package letters

import (
	"errors"
	"time"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrNotFound is returned for a greeting that is not stored.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate is returned for a greeting whose ID is stored already.
	ErrDuplicate = errors.New("already exists")
	// ErrDecided is returned for a decision on a greeting (or translation)
	// that is no longer waiting for one: someone decided first.
	ErrDecided = errors.New("already decided")
)

// Status is where a greeting stands in moderation.
type Status string

// The moderation statuses. Only approved greetings are ever printed or
// shown publicly.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
)

// Reason says why a greeting was rejected.
type Reason string

// The reasons a moderator can give.
const (
	ReasonOffensive    Reason = "offensive"
	ReasonNotGreeting  Reason = "not_greeting"
	ReasonPersonalData Reason = "personal_data"
	ReasonCensorRisk   Reason = "censor_risk"
	ReasonDuplicate    Reason = "duplicate"
	ReasonOther        Reason = "other"
)

// Reasons lists the reasons in the order the console offers them.
var Reasons = []Reason{ReasonOffensive, ReasonNotGreeting, ReasonPersonalData, ReasonCensorRisk, ReasonDuplicate, ReasonOther}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool {
	for _, x := range Reasons {
		if r == x {
			return true
		}
	}
	return false
}

// TranslationStatus is where a greeting's translation stands.
type TranslationStatus string

// The translation statuses: written and waiting for a moderator, approved
// (the bundle prints it), or rejected (a translator writes it again).
const (
	TranslationSubmitted TranslationStatus = "submitted"
	TranslationApproved  TranslationStatus = "approved"
	TranslationRejected  TranslationStatus = "rejected"
)

// Greeting is a supporter's short message to the recipient.
type Greeting struct {
	// ID is the ID of the signature it came with: one greeting per
	// signature, erased with it.
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	Text       string    `bson:"text"`
	Status     Status    `bson:"status"`
	CreatedAt  time.Time `bson:"created_at"`

	// Checked is true once Flags, Flagged, Language, TextKey and
	// NeedsTranslation have been computed, which happens when the
	// greeting arrives (or at start-up for greetings stored otherwise).
	Checked bool   `bson:"checked"`
	Flags   []Flag `bson:"flags,omitempty"`
	// Flagged is true when Flags is not empty; bulk approval passes over
	// flagged greetings.
	Flagged bool `bson:"flagged"`
	// Language is the ISO 639-1 code of the greeting's language, detected
	// or, when LanguageCorrected, set by a moderator; "" when unknown.
	Language          string `bson:"language,omitempty"`
	LanguageCorrected bool   `bson:"language_corrected,omitempty"`
	// TextKey is the greeting's duplicate key (see TextKey).
	TextKey string `bson:"text_key,omitempty"`
	// NeedsTranslation is true when the greeting's language is not one the
	// recipient's letters may be written in.
	NeedsTranslation bool `bson:"needs_translation"`

	// Reason is why a rejected greeting was rejected.
	Reason    Reason    `bson:"reason,omitempty"`
	DecidedAt time.Time `bson:"decided_at,omitempty"`

	// Translation is the greeting in one of the recipient's languages,
	// once a translator has written it.
	Translation *Translation `bson:"translation,omitempty"`
}

// Translation is a greeting translated into one of the recipient's
// languages. The bundle prints it only once approved.
type Translation struct {
	Language  string            `bson:"language"`
	Text      string            `bson:"text"`
	Status    TranslationStatus `bson:"status"`
	WrittenAt time.Time         `bson:"written_at"`
	DecidedAt time.Time         `bson:"decided_at,omitempty"`
}

// Approved reports whether the translation may be printed.
func (t *Translation) Approved() bool { return t != nil && t.Status == TranslationApproved }
