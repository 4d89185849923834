package campaign

import (
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// storedSignature is a Signature as the database keeps it: every field
// that identifies the supporter sealed, bound to the signature's _id and
// the field's path; the country and the display choice stay plain for the
// counts.
type storedSignature struct {
	ID          string      `bson:"_id"`
	CampaignID  string      `bson:"campaign_id"`
	RecipientID string      `bson:"recipient_id,omitempty"`
	SignedAt    time.Time   `bson:"signed_at"`
	Source      Source      `bson:"source"`
	Referrer    sealed.Text `bson:"referrer,omitempty"`
	Updates     bool        `bson:"updates"`
	Confirmed   bool        `bson:"confirmed,omitempty"`
	Lang        string      `bson:"lang,omitempty"`
	HasGreeting bool        `bson:"has_greeting,omitempty"`
	Greeting    sealed.Text `bson:"greeting,omitempty"`
	Held        *Held       `bson:"held,omitempty"`
	Marks       []Mark      `bson:"marks,omitempty"`
	Network     string      `bson:"net,omitempty"`
	DomainKey   string      `bson:"domain_key,omitempty"`
	RefKey      string      `bson:"ref_key,omitempty"`
	Person      struct {
		Name    sealed.Text `bson:"name"`
		City    sealed.Text `bson:"city,omitempty"`
		Country string      `bson:"country"`
		Display NameDisplay `bson:"display,omitempty"`
		Email   sealed.Text `bson:"email,omitempty"`
		Domain  sealed.Text `bson:"domain,omitempty"`
	} `bson:"person"`
	PartnerConsent *storedConsent `bson:"partner_consent,omitempty"`
}

// The sealed fields of a signature document, by path.
const (
	fieldName     = "person.name"
	fieldCity     = "person.city"
	fieldEmail    = "person.email"
	fieldReferrer = "referrer"
	fieldGreeting = "greeting"
	fieldDomain   = "person.domain"
	// A partner's contact consent: the address and the text shown.
	fieldConsentEmail = "partner_consent.email"
	fieldConsentText  = "partner_consent.text"
)

// SignatureFields names the sealed fields of the signatures, for the
// migration and key rotation (see package reseal).
func (s *Store) SignatureFields() sealed.Fields {
	return sealed.Fields{Collection: s.signatures, Paths: []string{fieldName, fieldCity, fieldEmail, fieldReferrer, fieldGreeting, fieldDomain,
		fieldConsentEmail, fieldConsentText}}
}

func sigAAD(id, field string) []byte { return sealed.AAD(signaturesCollection, id, field) }

// seal maps a signature to its stored form.
func (s *Store) seal(sig *Signature) (*storedSignature, error) {
	d := &storedSignature{
		ID: sig.ID, CampaignID: sig.CampaignID, RecipientID: sig.RecipientID, SignedAt: sig.SignedAt, Source: sig.Source,
		Updates: sig.Updates, Confirmed: sig.Confirmed, Lang: sig.Lang, HasGreeting: sig.HasGreeting, Held: sig.Held,
		Marks: sig.Marks, Network: sig.Network, DomainKey: sig.DomainKey, RefKey: sig.RefKey,
	}
	d.Person.Country, d.Person.Display = sig.Person.Country, sig.Person.Display
	for _, f := range []struct {
		dst   *sealed.Text
		value string
		path  string
	}{
		{&d.Referrer, sig.Referrer, fieldReferrer},
		{&d.Greeting, sig.Greeting, fieldGreeting},
		{&d.Person.Name, sig.Person.Name, fieldName},
		{&d.Person.City, sig.Person.City, fieldCity},
		{&d.Person.Email, sig.Person.Email, fieldEmail},
		{&d.Person.Domain, sig.Person.Domain, fieldDomain},
	} {
		t, err := sealed.Seal(s.keys, f.value, sigAAD(sig.ID, f.path))
		if err != nil {
			return nil, fmt.Errorf("seal signature: %w", err)
		}
		*f.dst = t
	}
	if pc := sig.PartnerConsent; pc != nil {
		c, err := s.sealConsent(sig.ID, pc)
		if err != nil {
			return nil, err
		}
		d.PartnerConsent = c
	}
	return d, nil
}

// open maps a stored signature back to the plain one.
func (s *Store) open(d *storedSignature) (Signature, error) {
	sig := Signature{
		ID: d.ID, CampaignID: d.CampaignID, RecipientID: d.RecipientID, SignedAt: d.SignedAt, Source: d.Source,
		Updates: d.Updates, Confirmed: d.Confirmed, Lang: d.Lang, HasGreeting: d.HasGreeting, Held: d.Held,
		Marks: d.Marks, Network: d.Network, DomainKey: d.DomainKey, RefKey: d.RefKey,
	}
	sig.Person.Country, sig.Person.Display = d.Person.Country, d.Person.Display
	for _, f := range []struct {
		dst  *string
		src  sealed.Text
		path string
	}{
		{&sig.Referrer, d.Referrer, fieldReferrer},
		{&sig.Greeting, d.Greeting, fieldGreeting},
		{&sig.Person.Name, d.Person.Name, fieldName},
		{&sig.Person.City, d.Person.City, fieldCity},
		{&sig.Person.Email, d.Person.Email, fieldEmail},
		{&sig.Person.Domain, d.Person.Domain, fieldDomain},
	} {
		v, err := f.src.Open(s.keys, sigAAD(d.ID, f.path))
		if err != nil {
			return Signature{}, fmt.Errorf("open %s of signature %s: %w", f.path, d.ID, err)
		}
		*f.dst = v
	}
	if d.PartnerConsent != nil {
		pc, err := s.openConsent(d.ID, d.PartnerConsent)
		if err != nil {
			return Signature{}, err
		}
		sig.PartnerConsent = pc
	}
	return sig, nil
}

// decoder is what a cursor or single result offers.
type decoder interface{ Decode(any) error }

// decodeSignature reads a stored signature and opens it.
func (s *Store) decodeSignature(d decoder) (Signature, error) {
	var st storedSignature
	if err := d.Decode(&st); err != nil {
		return Signature{}, err
	}
	return s.open(&st)
}
