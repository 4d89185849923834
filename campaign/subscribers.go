package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Subscriber is a supporter who asked to be kept informed about a
// campaign: what an update message needs of their signature.
type Subscriber struct {
	// ID is the signature's ID.
	ID string
	// Email is the address updates go to.
	Email string
	// Lang is the language they signed in; empty for a signature stored
	// before it was kept.
	Lang string
	// SignedAt is when they signed, which their erasure code needs
	// (Erasures).
	SignedAt time.Time
}

// subscriberPaceLimit bounds how long a scan of subscribers rests between
// its pages (see pace.go): after that it reads on without resting.
const subscriberPaceLimit = 10 * time.Minute

// EachSubscriber calls fn with every signature of the campaign whose
// supporter asked for updates, confirmed the address (Signature.Confirmed)
// and still has it, and that is not invalidated, in the order they are
// stored. The embedded database scans
// the whole collection for it, so the scan rests between its pages as
// long as each took (pace.go), leaving the database to signing. It stops
// at fn's first error.
func (s *Store) EachSubscriber(ctx context.Context, campaignID string, fn func(Subscriber) error) error {
	rules, err := s.invalidations(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("read subscribers of %s: %w", campaignID, err)
	}
	projection := bson.D{{Key: "updates", Value: 1}, {Key: "confirmed", Value: 1}, {Key: "lang", Value: 1}, {Key: fieldEmail, Value: 1}}
	for _, f := range groupFields {
		projection = append(projection, bson.E{Key: f, Value: 1})
	}
	filter := bson.D{{Key: "campaign_id", Value: campaignID}, {Key: "updates", Value: true}, {Key: "confirmed", Value: true}}
	cur, err := s.signatures.Find(ctx, filter, options.Find().SetProjection(projection).SetBatchSize(scanPage))
	if err != nil {
		return fmt.Errorf("read subscribers of %s: %w", campaignID, err)
	}
	defer cur.Close(ctx)
	pace := newPacer(recountPause, subscriberPaceLimit)
	for cur.Next(ctx) {
		var d storedSignature
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("read subscribers of %s: %w", campaignID, err)
		}
		g := signatureGroup{CampaignID: d.CampaignID, SignedAt: d.SignedAt, Network: d.Network, DomainKey: d.DomainKey, RefKey: d.RefKey}
		if d.Updates && d.Confirmed && !d.Person.Email.IsZero() && !rules.invalid(g, never) {
			email, err := d.Person.Email.Open(s.keys, sigAAD(d.ID, fieldEmail))
			if err != nil {
				return fmt.Errorf("read subscribers of %s: %w", campaignID, err)
			}
			if email != "" {
				if err := fn(Subscriber{ID: d.ID, Email: email, Lang: d.Lang, SignedAt: d.SignedAt}); err != nil {
					return err
				}
			}
		}
		if err := pace.read(ctx); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read subscribers of %s: %w", campaignID, err)
	}
	return nil
}

// Unsubscribe stops updates to the signature with that ID and erases its
// stored address at once. It reports whether the signature was there;
// unsubscribing twice changes nothing.
func (s *Store) Unsubscribe(ctx context.Context, id string) (bool, error) {
	res, err := s.signatures.UpdateOne(ctx, bson.M{"_id": id},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "updates", Value: false}}},
			{Key: "$unset", Value: bson.D{{Key: fieldEmail, Value: ""}}},
		})
	if err != nil {
		return false, fmt.Errorf("unsubscribe signature: %w", err)
	}
	return res.MatchedCount > 0, nil
}

// MarkConfirmed marks as confirmed (Signature.Confirmed) the signatures
// stored before the mark was kept that hold an address for updates or a
// partner, on the campaigns that ask supporters to confirm their address
// now: the signatures confirmed through a link. A campaign's organizer may
// have turned the confirmation on after some signatures were made without
// it; those are marked too, as nothing stored tells them apart. The
// others, on campaigns that do not ask, stay unmarked and so are never
// written to. One update of many documents (a scan on the embedded
// database), for the migration; safe to repeat.
func (s *Store) MarkConfirmed(ctx context.Context) error {
	all, err := s.Campaigns(ctx)
	if err != nil {
		return fmt.Errorf("mark confirmed addresses: %w", err)
	}
	var ids []string
	for _, c := range all {
		if c.ConfirmEmail {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	filter := bson.D{
		{Key: "campaign_id", Value: bson.D{{Key: "$in", Value: ids}}},
		{Key: "source", Value: bson.D{{Key: "$in", Value: []Source{SourceWeb, SourceEmbed, SourceAPI}}}},
		{Key: "confirmed", Value: bson.D{{Key: "$ne", Value: true}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "updates", Value: true}},
			bson.D{{Key: "partner_consent", Value: bson.D{{Key: "$exists", Value: true}}}},
		}},
	}
	if _, err := s.signatures.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "confirmed", Value: true}}}}); err != nil {
		return fmt.Errorf("mark confirmed addresses: %w", err)
	}
	return nil
}
