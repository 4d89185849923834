package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	errs := make([]error, len(docs))
	if len(docs) == 0 {
		return errs
	}
	all := make([]any, len(docs))
	for i, d := range docs {
		all[i] = d
	}
	_, err := s.signatures.InsertMany(ctx, all, options.InsertMany().SetOrdered(false))
	if err == nil {
		return errs
	}
	var bulk mongo.BulkWriteException
	if !errors.As(err, &bulk) {
		for i := range errs {
			errs[i] = fmt.Errorf("insert signatures: %w", err)
		}
		return errs
	}
	for _, we := range bulk.WriteErrors {
		if we.Index < 0 || we.Index >= len(errs) {
			continue
		}
		if mongo.IsDuplicateKeyError(we) {
			errs[we.Index] = fmt.Errorf("insert signature: %w", ErrDuplicate)
		} else {
			errs[we.Index] = fmt.Errorf("insert signature: %w", we)
		}
	}
	if bulk.WriteConcernError != nil {
		// Written perhaps, but not as durably as asked: not confirmed.
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("insert signatures: %w", err)
			}
		}
	}
	return errs
}

// InsertSignatures stores many signatures in one unordered batch; IDs
// already stored are skipped. It returns how many were stored.
func (s *Store) InsertSignatures(ctx context.Context, sigs []Signature) (int, error) {
	if len(sigs) == 0 {
		return 0, nil
	}
	docs := make([]any, len(sigs))
	for i := range sigs {
		d, err := s.seal(&sigs[i])
		if err != nil {
			return 0, err
		}
		docs[i] = d
	}
	res, err := s.signatures.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	n := 0
	if res != nil {
		n = len(res.InsertedIDs)
	}
	var bulk mongo.BulkWriteException
	if errors.As(err, &bulk) && bulk.WriteConcernError == nil {
		for _, we := range bulk.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) {
				return n, fmt.Errorf("insert signatures: %w", err)
			}
		}
		return len(sigs) - len(bulk.WriteErrors), nil
	}
	if err != nil {
		return n, fmt.Errorf("insert signatures: %w", err)
	}
	return n, nil
}

// Signature returns the signature with that ID, or ErrNotFound.
func (s *Store) Signature(ctx context.Context, id string) (*Signature, error) {
	sig, err := s.decodeSignature(s.signatures.FindOne(ctx, bson.M{"_id": id}))
	if err != nil {
		return nil, fmt.Errorf("find signature: %w", mapError(err))
	}
	return &sig, nil
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

// signaturePage reads up to limit signatures of the campaign that pass f,
// from key on: older than key, newest first, or when newer is true newer
// than key, oldest first.
func (s *Store) signaturePage(ctx context.Context, campaignID string, f SignatureFilter, key Cursor, newer bool, limit int) ([]Signature, error) {
	filter, err := signatureFilter(campaignID, f, key, newer)
	if err != nil {
		return nil, err
	}
	// Names and cities are sealed, so the database cannot search them: the
	// rows in the range are opened and searched here, in the page's order,
	// until the page is full.
	match, err := searchMatcher(f.Search)
	if err != nil {
		return nil, err
	}
	dir := -1
	if newer {
		dir = 1
	}
	opts := options.Find().SetSort(bson.D{{Key: "signed_at", Value: dir}, {Key: "_id", Value: dir}})
	if match == nil {
		opts.SetLimit(int64(limit))
	} else {
		opts.SetBatchSize(500)
	}
	cur, err := s.signatures.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list signatures of %s: %w", campaignID, err)
	}
	defer cur.Close(ctx)
	out := make([]Signature, 0, limit)
	for len(out) < limit && cur.Next(ctx) {
		sig, err := s.decodeSignature(cur)
		if err != nil {
			return nil, fmt.Errorf("list signatures of %s: %w", campaignID, err)
		}
		if match == nil || match(sig.Person.Name) || match(sig.Person.City) {
			out = append(out, sig)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("list signatures of %s: %w", campaignID, err)
	}
	return out, nil
}

// signatureFilter builds the query of one page. The campaign and the range
// on signed_at stand at the top level, where MongoDB's planner turns them
// into bounds on the (campaign_id, signed_at) index; the key's tie-break on
// _id and the other filters are checked on the rows in that range.
//
// The search term is not in it: names and cities are sealed (see
// Store.signaturePage).
func signatureFilter(campaignID string, f SignatureFilter, key Cursor, newer bool) (bson.D, error) {
	// The bounds on signed_at: the date range narrowed by the key. Each
	// operator appears once (the embedded database fails on repeats).
	lower, upper := f.From.UTC(), f.Until.UTC()
	lowerOp, upperOp := "$gte", "$lt"
	var and bson.A
	if !key.IsZero() {
		// (signed_at, _id) beyond the key, written so that the index bound
		// is a plain range: signed_at <= t and (signed_at < t or _id < id),
		// or the same with > for newer rows.
		strict, idOp := "$lt", "$lt"
		if newer {
			strict, idOp = "$gt", "$gt"
			if lower.IsZero() || !key.SignedAt.Before(lower) {
				lower, lowerOp = key.SignedAt, "$gte"
			}
		} else if upper.IsZero() || key.SignedAt.Before(upper) {
			upper, upperOp = key.SignedAt, "$lte"
		}
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "signed_at", Value: bson.D{{Key: strict, Value: key.SignedAt}}}},
			bson.D{{Key: "_id", Value: bson.D{{Key: idOp, Value: key.ID}}}},
		}}})
	}
	signedAt := bson.D{}
	if !lower.IsZero() {
		signedAt = append(signedAt, bson.E{Key: lowerOp, Value: lower})
	}
	if !upper.IsZero() {
		signedAt = append(signedAt, bson.E{Key: upperOp, Value: upper})
	}
	filter := bson.D{{Key: "campaign_id", Value: campaignID}}
	if len(signedAt) > 0 {
		filter = append(filter, bson.E{Key: "signed_at", Value: signedAt})
	}
	if f.Country != "" {
		filter = append(filter, bson.E{Key: "person.country", Value: f.Country})
	}
	if f.Source != "" {
		filter = append(filter, bson.E{Key: "source", Value: f.Source})
	}
	switch f.Greeting {
	case WithGreeting:
		filter = append(filter, bson.E{Key: "has_greeting", Value: true})
	case WithoutGreeting:
		filter = append(filter, bson.E{Key: "has_greeting", Value: bson.D{{Key: "$ne", Value: true}}})
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	return filter, nil
}

// plainSignature is what a stored signature keeps in plain, and its sealed
// referrer: what the counts read without opening names.
type plainSignature struct {
	ID         string      `bson:"_id"`
	CampaignID string      `bson:"campaign_id"`
	SignedAt   time.Time   `bson:"signed_at"`
	Source     Source      `bson:"source"`
	Referrer   sealed.Text `bson:"referrer"`
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
	cur, err := s.signatures.Find(ctx, filter, options.Find().SetProjection(projection).SetBatchSize(1000))
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

// eachSignedAt calls fn with the signing time, source and country of every
// signature of the campaign that is not invalidated (Service.Stats).
func (s *Store) eachSignedAt(ctx context.Context, campaignID string, fn func(signedAt time.Time, src Source, country string)) error {
	rules, err := s.invalidations(ctx, campaignID)
	if err != nil {
		return err
	}
	return s.scanPlain(ctx, bson.D{{Key: "campaign_id", Value: campaignID}}, append([]string{"source", "person.country"}, groupFields...),
		func(sig *plainSignature) error {
			if rules.invalid(sig.group(), never) {
				return nil
			}
			fn(sig.SignedAt, sig.Source, sig.Person.Country)
			return nil
		})
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
// (Service.Recount, bursts.go).
func (s *Store) eachCountry(ctx context.Context, cutoff time.Time, fn func(campaignID string, signedAt time.Time, country string)) error {
	rules, err := s.invalidations(ctx, "")
	if err != nil {
		return err
	}
	return s.scanPlain(ctx, bson.D{}, append([]string{"person.country"}, groupFields...),
		func(sig *plainSignature) error {
			if rules.invalid(sig.group(), cutoff) {
				return nil
			}
			fn(sig.CampaignID, sig.SignedAt, sig.Person.Country)
			return nil
		})
}
