package campaign

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// invalidationsCollection holds the invalidations (bursts.go).
const invalidationsCollection = "invalidations"

// invalidation is an organizer's invalidation of one group of a
// campaign's signatures: those signed in [From, Until) whose key in Kind
// is Key. It holds from At until RestoredAt (zero while it holds). Until
// is at most a millisecond after At (BSON's precision), so signatures
// signed later are not in it.
type invalidation struct {
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	Kind       BurstKind `bson:"kind"`
	Key        string    `bson:"key"`
	From       time.Time `bson:"from"`
	Until      time.Time `bson:"until"`
	At         time.Time `bson:"at"`
	RestoredAt time.Time `bson:"restored_at,omitempty"`
}

// signatureGroup is what places a signature in its groups.
type signatureGroup struct {
	CampaignID                 string
	SignedAt                   time.Time
	Network, DomainKey, RefKey string
}

func groupOf(sig *Signature) signatureGroup {
	return signatureGroup{CampaignID: sig.CampaignID, SignedAt: sig.SignedAt, Network: sig.Network, DomainKey: sig.DomainKey, RefKey: sig.RefKey}
}

// key is the signature's key in a grouping.
func (g signatureGroup) key(kind BurstKind) string {
	switch kind {
	case BurstMinute:
		return strconv.FormatInt(minuteOf(g.SignedAt), 10)
	case BurstNetwork:
		return g.Network
	case BurstDomain:
		return g.DomainKey
	case BurstPartner:
		return g.RefKey
	}
	return ""
}

func (r *invalidation) matches(g signatureGroup) bool {
	return g.CampaignID == r.CampaignID && !g.SignedAt.Before(r.From) && g.SignedAt.Before(r.Until) && g.key(r.Kind) == r.Key
}

// holdsAt reports whether the invalidation held at t.
func (r *invalidation) holdsAt(t time.Time) bool {
	return !t.Before(r.At) && (r.RestoredAt.IsZero() || t.Before(r.RestoredAt))
}

// never is a time after every invalidation and restoration: what holds
// at never holds now and for good.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

type invalidations []invalidation

// invalid reports whether an invalidation that held at t holds the
// signature.
func (rs invalidations) invalid(g signatureGroup, t time.Time) bool {
	for i := range rs {
		if rs[i].holdsAt(t) && rs[i].matches(g) {
			return true
		}
	}
	return false
}

// invalidations reads a campaign's invalidations, or every campaign's
// when campaignID is empty; restored ones too, for the recount.
func (s *Store) invalidations(ctx context.Context, campaignID string) (invalidations, error) {
	filter := bson.D{}
	if campaignID != "" {
		filter = bson.D{{Key: "campaign_id", Value: campaignID}}
	}
	cur, err := s.invalidationsColl().Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read invalidations: %w", err)
	}
	var out invalidations
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read invalidations: %w", err)
	}
	return out, nil
}

func (s *Store) invalidationsColl() *mongo.Collection {
	return s.campaigns.Database().Collection(invalidationsCollection)
}

func (s *Store) addInvalidation(ctx context.Context, r *invalidation) error {
	if _, err := s.invalidationsColl().InsertOne(ctx, r); err != nil {
		return fmt.Errorf("store invalidation: %w", err)
	}
	return nil
}

// restore ends the invalidations rs at at.
func (s *Store) restore(ctx context.Context, rs invalidations, at time.Time) error {
	ids := make(bson.A, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	_, err := s.invalidationsColl().UpdateMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "restored_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("restore invalidations: %w", err)
	}
	return nil
}

// EnsureInvalidations creates the index the invalidations are read by.
func (s *Store) EnsureInvalidations(ctx context.Context) error {
	_, err := s.invalidationsColl().Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "campaign_id", Value: 1}}})
	if err != nil {
		return fmt.Errorf("index invalidations: %w", err)
	}
	return nil
}

// groupKey is what the keys of networks, domains and partners look like.
var groupKey = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

// rangeFilter selects the query's signatures: its campaign's, in its
// time range.
func rangeFilter(q BurstQuery) bson.D {
	return rangeOf(q.CampaignID, q.From, q.Until)
}

func rangeOf(campaignID string, from, until time.Time) bson.D {
	signedAt := bson.D{}
	if !from.IsZero() {
		signedAt = append(signedAt, bson.E{Key: "$gte", Value: from.UTC()})
	}
	if !until.IsZero() {
		signedAt = append(signedAt, bson.E{Key: "$lt", Value: until.UTC()})
	}
	f := bson.D{{Key: "campaign_id", Value: campaignID}}
	if len(signedAt) > 0 {
		f = append(f, bson.E{Key: "signed_at", Value: signedAt})
	}
	return f
}

// groupFilter selects one group of the query's grouping; a key that is not
// one, or the empty key, is ErrBurstKey.
func groupFilter(q BurstQuery, key string) (bson.D, error) {
	bad := fmt.Errorf("group %s %q: %w", q.Kind, key, ErrBurstKey)
	if key == "" {
		return nil, bad
	}
	switch q.Kind {
	case BurstMinute:
		m, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, bad
		}
		from, until := time.Unix(m*60, 0), time.Unix(m*60+60, 0)
		if from.Before(q.From) {
			from = q.From
		}
		if !q.Until.IsZero() && until.After(q.Until) {
			until = q.Until
		}
		return rangeOf(q.CampaignID, from, until), nil
	case BurstNetwork, BurstDomain, BurstPartner:
		if !groupKey.MatchString(key) {
			return nil, bad
		}
		field := map[BurstKind]string{BurstNetwork: "net", BurstDomain: "domain_key", BurstPartner: "ref_key"}[q.Kind]
		return append(rangeFilter(q), bson.E{Key: field, Value: key}), nil
	}
	return nil, bad
}

// Invalidated reports whether an organizer's invalidation holds the
// signature (bursts.go).
func (s *Store) Invalidated(ctx context.Context, sig *Signature) (bool, error) {
	rules, err := s.invalidations(ctx, sig.CampaignID)
	if err != nil {
		return false, err
	}
	return rules.invalid(groupOf(sig), never), nil
}
