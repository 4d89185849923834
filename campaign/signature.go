package campaign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Limits on what a supporter types.
const (
	NameMax  = 80
	CityMax  = 80
	EmailMax = 254
)

// Source says where a signature was collected.
type Source string

// Where signatures come from besides paper (see SourcePaper).
const (
	SourceWeb   Source = "web"   // the campaign's own page
	SourceEmbed Source = "embed" // the widget on a partner's site
	SourceAPI   Source = "api"   // a partner's own form, through the API
)

// Signature is one supporter's name under a campaign's letter.
//
// Its ID is an HMAC of the campaign and the normalised email address, so
// that a second signature with the same address collides on insert and the
// address itself need not be stored.
type Signature struct {
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	SignedAt   time.Time `bson:"signed_at"`
	Source     Source    `bson:"source"`
	// RecipientID is the person a drive's card is written to; empty on a
	// letter's signature, which goes to the campaign's recipient (see
	// Signature.To).
	RecipientID string `bson:"recipient_id,omitempty"`
	// Referrer attributes the signature to a partner: the origin of the
	// site that embedded the widget, or the ?ref= code of the link the
	// supporter followed. Empty when neither is known.
	Referrer string `bson:"referrer,omitempty"`
	// Updates is true when the supporter asked to be kept informed.
	Updates bool `bson:"updates"`
	// Confirmed is true when the supporter confirmed the address through
	// the link of a confirmation message (pending.go). Only a confirmed
	// address is sent updates or given to a partner: anyone can type a
	// stranger's address into a form.
	Confirmed bool `bson:"confirmed,omitempty"`
	// Lang is the language the supporter signed in, which updates are
	// written in; empty for signatures stored before it was kept, which
	// get the campaign's language.
	Lang string `bson:"lang,omitempty"`
	// HasGreeting is true when a greeting came with the signature, so that
	// lists and exports need not look for one.
	HasGreeting bool `bson:"has_greeting,omitempty"`
	// Greeting is the greeting's text as the supporter sent it, stored
	// (sealed) in the signature itself, so that a signature and its
	// greeting are written in one insert: a crash cannot keep one without
	// the other. The greetings collection's copy, which moderation
	// works on, is made from it (journal.go). Empty for signatures
	// stored before, whose greeting is in the greetings collection only.
	Greeting string `bson:"greeting,omitempty"`
	// Held names the printed fields that wait for a moderator (see Held);
	// nil when none does, or for a signature stored before names were
	// checked.
	Held *Held `bson:"held,omitempty"`
	// Marks are the reasons it looked suspicious when it was made
	// (marks.go); it counts all the same until it is invalidated.
	Marks []Mark `bson:"marks,omitempty"`
	// Network is a short hash of the network it was sent from, with the
	// signing node's key of the day (NetworkHashLen digits); DomainKey and
	// RefKey are keyed hashes of its email domain and its referrer. They
	// group signatures into bursts; each is empty when unknown.
	Network   string `bson:"net,omitempty"`
	DomainKey string `bson:"domain_key,omitempty"`
	RefKey    string `bson:"ref_key,omitempty"`
	// Person holds every personal field, and nothing else does, so that it
	// can be encrypted or erased as one.
	Person Person `bson:"person"`
	// PartnerConsent is set when the supporter, on a partner's embedded
	// form, also let that partner contact them (partner_contacts.go).
	PartnerConsent *PartnerConsent `bson:"partner_consent,omitempty"`
}

// Person is what a signature says about the supporter.
type Person struct {
	Name    string `bson:"name"`
	City    string `bson:"city,omitempty"`
	Country string `bson:"country"`
	// Display is how the name appears on the printed letter; empty means
	// NameFull.
	Display NameDisplay `bson:"display,omitempty"`
	// Email is kept only when the supporter asked for updates.
	Email string `bson:"email,omitempty"`
	// Domain is the email address's domain, kept for the console's
	// bursts; empty for signatures stored before it was kept.
	Domain string `bson:"domain,omitempty"`
}

// NameDisplay is how a supporter wants their name printed on the letter
// that goes to the prison, where staff read it.
type NameDisplay string

// The ways a name can be printed.
const (
	NameFull         NameDisplay = "full"          // as typed
	NameFirstInitial NameDisplay = "first_initial" // "Anna K."
	NameCountry      NameDisplay = "country"       // "a supporter from Poland"
)

// NameDisplays lists the choices in the order the form offers them.
func NameDisplays() []NameDisplay { return []NameDisplay{NameFull, NameFirstInitial, NameCountry} }

// SignInput is a signature as the supporter typed it.
type SignInput struct {
	Name     string
	Email    string
	City     string
	Country  string
	Greeting string
	Consent  bool
	Updates  bool
	// PartnerConsent, when set, names the partner the supporter let
	// contact them and the text they were shown; Sign adds the address
	// and the time.
	PartnerConsent *PartnerConsent
	// Display is how the name is printed; empty means NameFull.
	Display NameDisplay
	// RecipientID is the recipient a drive's card is written to,
	// required on a drive and ignored on a letter; Offered says the drive
	// offered them (Service.Offer) rather than the supporter chose them.
	RecipientID string
	Offered     bool
	// Source is where the signature is made; empty means SourceWeb.
	Source Source
	// Referrer attributes it to a partner (see Signature.Referrer).
	Referrer string
	// Marks are the reasons it looks suspicious, Network the short hash
	// of its network (see Signature).
	Marks   []Mark
	Network string
	// Lang is the language of the supporter's page, and LinkBase the
	// site's public address (https://letters.example.org): the signature
	// keeps the one for its updates, and the message that asks to confirm
	// a signature is written in the one and links to the other
	// (pending.go).
	Lang     string
	LinkBase string
}

// Problem names what is wrong with one field, as a code the web layer turns
// into words in the supporter's language.
type Problem string

// The problems a field can have.
const (
	ProblemRequired  Problem = "required"
	ProblemTooLong   Problem = "too_long"
	ProblemEmail     Problem = "email"
	ProblemCountry   Problem = "country"
	ProblemInvalid   Problem = "invalid_characters"
	ProblemInvisible Problem = "invisible"
	ProblemChoice    Problem = "choice" // a value that is none of those the form offers
	ProblemStale     Problem = "stale"  // the record changed since the form was filled in
)

// FieldError is one problem with one field.
type FieldError struct {
	Field   string  // the form field's name: name, email, city, country, greeting, consent
	Problem Problem // what is wrong
	Limit   int     // the length limit, for ProblemTooLong
}

// ValidationError lists every problem with a form's input (a signature,
// a campaign, a recipient), field by field.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + string(f.Problem)
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Field returns the problem with the named field, if any.
func (e *ValidationError) Field(name string) (FieldError, bool) {
	for _, f := range e.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return FieldError{}, false
}

// SignatureID is the ID of the signature that normalisedEmail gives to the
// campaign: the hex HMAC-SHA256 of both, keyed with key.
func SignatureID(key []byte, campaignID, normalisedEmail string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(campaignID))
	m.Write([]byte{0})
	m.Write([]byte(normalisedEmail))
	return hex.EncodeToString(m.Sum(nil))
}
