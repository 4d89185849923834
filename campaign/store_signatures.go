package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// readBatch is how many signatures a cursor over many of them fetches at a
// time: what bounds the memory of EachSignature and of the export.
const readBatch = 500

// InsertSignature stores one signature by itself, outside the group
// commit that signing uses (batch.go); one whose ID is already stored is
// ErrDuplicate.
func (s *Store) InsertSignature(ctx context.Context, sig *Signature) error {
	d, err := s.seal(sig)
	if err != nil {
		return err
	}
	if _, err := s.signatures.InsertOne(ctx, d); err != nil {
		return fmt.Errorf("insert signature: %w", mapError(err))
	}
	return nil
}

// insertBatch stores the sealed documents in one unordered batch (see
// batch.go) and returns each one's outcome, by index: nil when it is
// stored, ErrDuplicate when its ID was stored already, another error when
// it failed or the database did not confirm it.
func (s *Store) insertBatch(ctx context.Context, docs []*storedSignature) []error {
	all := make([]any, len(docs))
	for i, d := range docs {
		all[i] = d
	}
	return insertEach(ctx, s.signatures, all, "insert signature")
}

// insertEach is database.InsertEach with this package's errors: a
// document whose _id is stored already has ErrDuplicate, what says what
// failed.
func insertEach(ctx context.Context, c *mongo.Collection, docs []any, what string) []error {
	errs := database.InsertEach(ctx, c, docs)
	for i, err := range errs {
		switch {
		case database.IsDuplicate(err):
			errs[i] = fmt.Errorf("%s: %w", what, ErrDuplicate)
		case err != nil:
			errs[i] = fmt.Errorf("%s: %w", what, err)
		}
	}
	return errs
}

// InsertSignatures stores many signatures in one unordered batch; IDs
// already stored are skipped. It returns how many were stored.
func (s *Store) InsertSignatures(ctx context.Context, sigs []Signature) (int, error) {
	_, n, err := s.insertNew(ctx, sigs)
	return n, err
}

// insertNew is InsertSignatures that also says which of sigs it stored:
// those whose error in the returned list is nil.
func (s *Store) insertNew(ctx context.Context, sigs []Signature) ([]error, int, error) {
	docs := make([]*storedSignature, len(sigs))
	for i := range sigs {
		d, err := s.seal(&sigs[i])
		if err != nil {
			return nil, 0, err
		}
		docs[i] = d
	}
	errs := s.insertBatch(ctx, docs)
	n := 0
	var failed error
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, ErrDuplicate) && failed == nil:
			failed = err
		}
	}
	return errs, n, failed
}

// Signature returns the signature with that ID, or ErrNotFound.
func (s *Store) Signature(ctx context.Context, id string) (*Signature, error) {
	sig, err := s.decodeSignature(s.signatures.FindOne(ctx, bson.M{"_id": id}))
	if err != nil {
		return nil, fmt.Errorf("find signature: %w", mapError(err))
	}
	return &sig, nil
}

// signed reports whether a signature with that _id is stored. It reads
// the _id alone, opens nothing: a hit costs what a miss does but the
// document's transfer (pending.go).
//
// A read that finds a document costs more than one that finds none, so
// it also reads the decoy signatures: the document stored to collide with
// after a miss, a random _id after a hit. Each call finds one document
// and misses one.
func (s *Store) signed(ctx context.Context, id string) (bool, error) {
	only := options.FindOne().SetProjection(bson.M{"_id": 1})
	err := mapError(s.signatures.FindOne(ctx, bson.M{"_id": id}, only).Err())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("find signature: %w", err)
	}
	hit, decoy := err == nil, CollideID
	if hit {
		decoy = DecoyID()
	}
	// Its outcome is no answer's: ignored.
	_ = s.decoySignatures().FindOne(ctx, bson.M{"_id": decoy}, only).Err()
	return hit, nil
}

// EachSignature calls fn with every signature of a campaign that is not
// invalidated (bursts.go), in the order they are stored (no sort: on the embedded database a sort would hold the
// whole collection in memory). It stops at fn's first error.
func (s *Store) EachSignature(ctx context.Context, campaignID string, fn func(*Signature) error) error {
	rules, err := s.invalidations(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("read signatures of %s: %w", campaignID, err)
	}
	cur, err := s.signatures.Find(ctx, bson.M{"campaign_id": campaignID}, options.Find().SetBatchSize(readBatch))
	if err != nil {
		return fmt.Errorf("read signatures of %s: %w", campaignID, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		sig, err := s.decodeSignature(cur)
		if err != nil {
			return fmt.Errorf("read signatures of %s: %w", campaignID, err)
		}
		if rules.invalid(groupOf(&sig), never) {
			continue
		}
		if err := fn(&sig); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read signatures of %s: %w", campaignID, err)
	}
	return nil
}

// deleteSignature deletes the signature with that ID and reports whether
// it was there.
func (s *Store) deleteSignature(ctx context.Context, id string) (bool, error) {
	res, err := s.signatures.DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return false, fmt.Errorf("delete signature: %w", err)
	}
	return res.DeletedCount > 0, nil
}

// plainSignature is what a stored signature keeps in plain, and its sealed
// referrer: what the counts read without opening names.
type plainSignature struct {
	ID         string      `bson:"_id"`
	CampaignID string      `bson:"campaign_id"`
	SignedAt   time.Time   `bson:"signed_at"`
	Source     Source      `bson:"source"`
	Referrer   sealed.Text `bson:"referrer"`
	// RecipientID is a drive's card's recipient (cardcounts.go).
	RecipientID string `bson:"recipient_id"`
	// What the bursts read (bursts.go).
	HasGreeting bool   `bson:"has_greeting"`
	Marks       []Mark `bson:"marks"`
	Network     string `bson:"net"`
	DomainKey   string `bson:"domain_key"`
	RefKey      string `bson:"ref_key"`
	Person      struct {
		Country string      `bson:"country"`
		Domain  sealed.Text `bson:"domain"`
	} `bson:"person"`
}

// group is what places a signature in its bursts.
func (p *plainSignature) group() signatureGroup {
	return signatureGroup{CampaignID: p.CampaignID, SignedAt: p.SignedAt, Network: p.Network, DomainKey: p.DomainKey, RefKey: p.RefKey}
}

// groupFields are the fields of signatureGroup, to project.
var groupFields = []string{"campaign_id", "signed_at", "net", "domain_key", "ref_key"}

// scanPlain calls fn with the named fields of every signature that passes
// filter, in the order the database keeps them (no sort: the embedded
// database would hold the collection in memory to sort it). It stops at
// fn's first error.
func (s *Store) scanPlain(ctx context.Context, filter bson.D, fields []string, fn func(*plainSignature) error) error {
	projection := make(bson.D, len(fields))
	for i, f := range fields {
		projection[i] = bson.E{Key: f, Value: 1}
	}
	cur, err := s.signatures.Find(ctx, filter, options.Find().SetProjection(projection).SetBatchSize(scanPage))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var sig plainSignature
		if err := cur.Decode(&sig); err != nil {
			return err
		}
		if err := fn(&sig); err != nil {
			return err
		}
	}
	return cur.Err()
}

// eachReferral calls fn with the campaign, signing time and opened
// referrer of every signature that has a referrer and is not invalidated
// (Partners.Stats).
func (s *Store) eachReferral(ctx context.Context, fn func(campaignID string, signedAt time.Time, referrer string)) error {
	rules, err := s.invalidations(ctx, "")
	if err != nil {
		return err
	}
	return s.scanPlain(ctx, bson.D{}, append([]string{"referrer"}, groupFields...),
		func(sig *plainSignature) error {
			if sig.Referrer.IsZero() || rules.invalid(sig.group(), never) {
				return nil
			}
			referrer, err := sig.Referrer.Open(s.keys, sigAAD(sig.ID, fieldReferrer))
			if err != nil {
				return err
			}
			fn(sig.CampaignID, sig.SignedAt, referrer)
			return nil
		})
}

// eachCountry calls fn with the campaign, signing time and country of
// every signature that counted at cutoff: not invalidated then
// (Service.Recount). The scan rests between its pages as pace says (nil:
// never).
func (s *Store) eachCountry(ctx context.Context, cutoff time.Time, pace *pacer, fn func(campaignID string, signedAt time.Time, country, recipient string)) error {
	rules, err := s.invalidations(ctx, "")
	if err != nil {
		return err
	}
	return s.scanPlain(ctx, bson.D{}, append([]string{"person.country", "recipient_id"}, groupFields...),
		func(sig *plainSignature) error {
			if !rules.invalid(sig.group(), cutoff) {
				fn(sig.CampaignID, sig.SignedAt, sig.Person.Country, sig.RecipientID)
			}
			return pace.read(ctx)
		})
}

// eachListed calls fn with every signature of the campaigns named (all
// campaigns when none is) signed at since or later (any time when zero),
// opened as far as the console's index needs: the greeting and the email
// address are not read. It stops at fn's first error. On MongoDB the
// (campaign_id, signed_at) index serves a read with both; the embedded
// database scans the collection for any of them.
func (s *Store) eachListed(ctx context.Context, campaignIDs []string, since time.Time, fn func(*Signature) error) error {
	filter := bson.D{}
	if len(campaignIDs) > 0 {
		filter = append(filter, bson.E{Key: "campaign_id", Value: bson.D{{Key: "$in", Value: campaignIDs}}})
	}
	if !since.IsZero() {
		filter = append(filter, bson.E{Key: "signed_at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}})
	}
	opts := options.Find().SetBatchSize(scanPage).SetProjection(bson.D{{Key: fieldGreeting, Value: 0}, {Key: fieldEmail, Value: 0}})
	cur, err := s.signatures.Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("read signatures for the index: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d storedSignature
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("read signatures for the index: %w", err)
		}
		sig, err := s.open(&d)
		if err != nil {
			return fmt.Errorf("read signatures for the index: %w", err)
		}
		if err := fn(&sig); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read signatures for the index: %w", err)
	}
	return nil
}
