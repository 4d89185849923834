package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// PartnerConsent is a supporter's consent, given on a partner's embedded
// form with a box of its own, to be contacted by that partner. It is kept
// in the signature, sealed, so that erasing the signature erases it.
type PartnerConsent struct {
	// Partner is the partner's ref code.
	Partner string
	// Email is the address the partner may write to.
	Email string
	// At is when the consent was given.
	At time.Time
	// Text is the box's label exactly as the supporter was shown it.
	Text string
}

// storedConsent is a PartnerConsent as a signature document keeps it.
type storedConsent struct {
	Partner string      `bson:"partner"`
	At      time.Time   `bson:"at"`
	Email   sealed.Text `bson:"email"`
	Text    sealed.Text `bson:"text"`
}

func (s *Store) sealConsent(id string, pc *PartnerConsent) (*storedConsent, error) {
	d := &storedConsent{Partner: pc.Partner, At: pc.At}
	var err error
	if d.Email, err = sealed.Seal(s.keys, pc.Email, sigAAD(id, fieldConsentEmail)); err != nil {
		return nil, fmt.Errorf("seal partner consent: %w", err)
	}
	if d.Text, err = sealed.Seal(s.keys, pc.Text, sigAAD(id, fieldConsentText)); err != nil {
		return nil, fmt.Errorf("seal partner consent: %w", err)
	}
	return d, nil
}

func (s *Store) openConsent(id string, d *storedConsent) (*PartnerConsent, error) {
	pc := &PartnerConsent{Partner: d.Partner, At: d.At}
	var err error
	if pc.Email, err = d.Email.Open(s.keys, sigAAD(id, fieldConsentEmail)); err != nil {
		return nil, fmt.Errorf("open partner consent of signature %s: %w", id, err)
	}
	if pc.Text, err = d.Text.Open(s.keys, sigAAD(id, fieldConsentText)); err != nil {
		return nil, fmt.Errorf("open partner consent of signature %s: %w", id, err)
	}
	return pc, nil
}

// Contact is a supporter who let a partner contact them.
type Contact struct {
	// ID is the signature's ID: the page cursor.
	ID         string
	CampaignID string
	PartnerConsent
}

// ContactsPageMax is the most contacts one page holds.
const ContactsPageMax = 500

// Contacts returns the supporters who let the partner with ref contact
// them and confirmed their address (Signature.Confirmed), in signature ID
// order after the ID after ("" for the first page),
// at most limit of them (1 to ContactsPageMax), and whether more follow.
// No other partner's consents and no other addresses are read.
func (ps *Partners) Contacts(ctx context.Context, ref, after string, limit int) ([]Contact, bool, error) {
	limit = min(max(limit, 1), ContactsPageMax)
	filter := bson.D{{Key: "partner_consent.partner", Value: ref}, {Key: "confirmed", Value: true}}
	if after != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit) + 1).
		SetProjection(bson.D{{Key: "campaign_id", Value: 1}, {Key: "confirmed", Value: 1}, {Key: "partner_consent", Value: 1}})
	s := ps.signing.store
	cur, err := s.signatures.Find(ctx, filter, opts)
	if err != nil {
		return nil, false, fmt.Errorf("read contacts of partner %s: %w", ref, err)
	}
	defer cur.Close(ctx)
	var out []Contact
	for cur.Next(ctx) {
		var d storedSignature
		if err := cur.Decode(&d); err != nil {
			return nil, false, fmt.Errorf("read contacts of partner %s: %w", ref, err)
		}
		if d.PartnerConsent == nil || d.PartnerConsent.Partner != ref || !d.Confirmed {
			continue
		}
		pc, err := s.openConsent(d.ID, d.PartnerConsent)
		if err != nil {
			return nil, false, err
		}
		out = append(out, Contact{ID: d.ID, CampaignID: d.CampaignID, PartnerConsent: *pc})
	}
	if err := cur.Err(); err != nil {
		return nil, false, fmt.Errorf("read contacts of partner %s: %w", ref, err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// ByWebsite returns the partner whose website is origin, or ErrNotFound:
// the partner whose embedded form a supporter signs on.
func (ps *Partners) ByWebsite(ctx context.Context, origin string) (*Partner, error) {
	all, err := ps.store.allPartners(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if origin != "" && all[i].Website == origin {
			return &all[i], nil
		}
	}
	return nil, ErrNotFound
}

// EnsureContactIndex creates the index that serves Contacts on MongoDB,
// sparse since few signatures hold a consent (the embedded database scans
// the signatures for it anyway). Old signatures have no consent: nothing
// else to write.
func (s *Store) EnsureContactIndex(ctx context.Context) error {
	_, err := s.signatures.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "partner_consent.partner", Value: 1}, {Key: "_id", Value: 1}},
		Options: options.Index().SetName("partner_contacts").SetSparse(true),
	})
	if err != nil {
		return fmt.Errorf("create the partner contacts index: %w", err)
	}
	return nil
}
