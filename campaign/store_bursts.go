package campaign

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

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

// opFilter selects the signatures a bulk operation changed.
func opFilter(campaignID, op string) bson.D {
	return bson.D{{Key: "campaign_id", Value: campaignID}, {Key: "validity_op", Value: op}}
}

// setValidity invalidates (valid false) or restores the signatures that
// pass filter and are not so already, naming the operation op in each;
// it returns how many it changed.
func (s *Store) setValidity(ctx context.Context, filter bson.D, valid bool, at time.Time, op string) (int64, error) {
	state := bson.E{Key: "invalid", Value: true}
	if !valid {
		state = notInvalid
	}
	filter = append(filter, state)
	res, err := s.signatures.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
		{Key: "invalid", Value: !valid}, {Key: "validity_at", Value: at}, {Key: "validity_op", Value: op},
	}}})
	if err != nil {
		return 0, err
	}
	return res.ModifiedCount, nil
}
