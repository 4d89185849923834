package campaign

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The console's list as the database answered it before the index
// (index.go): the reference that the index's pages must equal
// (TestIndexPagesEqualTheDatabaseQuery).

// ListSignaturesFromDB is ListSignatures answered by the database query.
func ListSignaturesFromDB(ctx context.Context, s *Service, campaignID string, req ListRequest) (SignaturePage, error) {
	limit := req.Limit
	if limit <= 0 {
		limit = PageSize
	}
	if !req.Before.IsZero() {
		rows, err := s.store.signaturePage(ctx, campaignID, req.Filter, req.Before, true, limit+1)
		if err != nil {
			return SignaturePage{}, err
		}
		if len(rows) > limit {
			rows = rows[:limit]
			for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
				rows[i], rows[j] = rows[j], rows[i]
			}
			return SignaturePage{Signatures: rows, Prev: cursorOf(&rows[0]), Next: cursorOf(&rows[len(rows)-1])}, nil
		}
		req.After = Cursor{}
	}
	rows, err := s.store.signaturePage(ctx, campaignID, req.Filter, req.After, false, limit+1)
	if err != nil {
		return SignaturePage{}, err
	}
	var p SignaturePage
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = cursorOf(&rows[len(rows)-1])
	}
	if !req.After.IsZero() && len(rows) > 0 {
		p.Prev = cursorOf(&rows[0])
	}
	p.Signatures = rows
	return p, nil
}

// searchMatcher returns what tells whether a name or city contains the
// search term, in any case; nil when there is no term.
func searchMatcher(search string) (func(string) bool, error) {
	if search == "" {
		return nil, nil
	}
	q, err := textnorm.Line(search)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", search, err)
	}
	re, err := regexp.Compile("(?i)" + regexp.QuoteMeta(q))
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", search, err)
	}
	return re.MatchString, nil
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

// eachSignedAt calls fn with the signing time, source and country of every
// signature of the campaign (Service.Stats).
func (s *Store) eachSignedAt(ctx context.Context, campaignID string, fn func(signedAt time.Time, src Source, country string)) error {
	return s.scanPlain(ctx, bson.D{{Key: "campaign_id", Value: campaignID}}, []string{"signed_at", "source", "person.country"},
		func(sig *plainSignature) error {
			fn(sig.SignedAt, sig.Source, sig.Person.Country)
			return nil
		})
}
