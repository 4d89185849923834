package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of partners, their API keys and the API's idempotency records.
const (
	partnersCollection    = "partners"
	apiKeysCollection     = "api_keys"
	idempotencyCollection = "api_idempotency"
)

// partnerStore keeps partners, their API keys and the API's idempotency
// records (store_idempotency.go) in MongoDB. Every read and write is by
// _id but the listing of a partner's keys; the collections are small.
type partnerStore struct {
	partners    *mongo.Collection
	keys        *mongo.Collection
	idempotency *mongo.Collection
	// sealKeys seal the idempotency records, which repeat what supporters
	// sent.
	sealKeys *seal.Keyring
}

func newPartnerStore(db *mongo.Database, sealKeys *seal.Keyring) *partnerStore {
	return &partnerStore{
		partners:    db.Collection(partnersCollection),
		keys:        db.Collection(apiKeysCollection),
		idempotency: db.Collection(idempotencyCollection),
		sealKeys:    sealKeys,
	}
}

// ensureIndexes creates the TTL index that expires idempotency records on
// MongoDB; the embedded database has no TTL indexes and is left without.
func (st *partnerStore) ensureIndexes(ctx context.Context) error {
	_, err := st.idempotency.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires_at", Value: 1}},
		Options: options.Index().SetName("expires").SetExpireAfterSeconds(0),
	})
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Name == "NotImplemented" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create idempotency index: %w", err)
	}
	return nil
}

// insertPartner stores a new partner; a ref code in use is ErrDuplicate.
func (st *partnerStore) insertPartner(ctx context.Context, p *Partner) error {
	if _, err := st.partners.InsertOne(ctx, p); err != nil {
		return fmt.Errorf("add partner %s: %w", p.Ref, mapError(err))
	}
	return nil
}

// allPartners returns every partner, in no particular order.
func (st *partnerStore) allPartners(ctx context.Context) ([]Partner, error) {
	cur, err := st.partners.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	var out []Partner
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return out, nil
}

// partner returns the partner with that ref code, or ErrNotFound.
func (st *partnerStore) partner(ctx context.Context, ref string) (*Partner, error) {
	var p Partner
	if err := st.partners.FindOne(ctx, bson.M{"_id": ref}).Decode(&p); err != nil {
		return nil, fmt.Errorf("find partner %q: %w", ref, mapError(err))
	}
	return &p, nil
}

// setStatsHash stores the hash of the partner's stats link, or removes it
// when hash is empty. An unknown partner is ErrNotFound.
func (st *partnerStore) setStatsHash(ctx context.Context, ref, hash string) error {
	update := bson.M{"$set": bson.M{"stats_hash": hash}}
	if hash == "" {
		update = bson.M{"$unset": bson.M{"stats_hash": ""}}
	}
	res, err := st.partners.UpdateOne(ctx, bson.M{"_id": ref}, update)
	if err != nil {
		return fmt.Errorf("stats link of %s: %w", ref, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("stats link of %s: %w", ref, ErrNotFound)
	}
	return nil
}

// insertKey stores a new API key.
func (st *partnerStore) insertKey(ctx context.Context, k *APIKey) error {
	if _, err := st.keys.InsertOne(ctx, k); err != nil {
		return fmt.Errorf("store api key of %s: %w", k.Partner, err)
	}
	return nil
}

// keysOf returns the partner's API keys, in no particular order.
func (st *partnerStore) keysOf(ctx context.Context, ref string) ([]APIKey, error) {
	cur, err := st.keys.Find(ctx, bson.M{"partner": ref})
	if err != nil {
		return nil, fmt.Errorf("list api keys of %s: %w", ref, err)
	}
	var out []APIKey
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list api keys of %s: %w", ref, err)
	}
	return out, nil
}

// revokeKeys marks the partner's keys that begin with prefix and are not
// revoked yet as revoked at now. None is ErrNotFound.
func (st *partnerStore) revokeKeys(ctx context.Context, ref, prefix string, now time.Time) error {
	res, err := st.keys.UpdateMany(ctx, bson.M{"partner": ref, "prefix": prefix, "revoked_at": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"revoked_at": now}})
	if err != nil {
		return fmt.Errorf("revoke api key of %s: %w", ref, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("revoke api key of %s: %w", ref, ErrNotFound)
	}
	return nil
}

// key returns the API key with that hash, or ErrNotFound.
func (st *partnerStore) key(ctx context.Context, hash string) (*APIKey, error) {
	var k APIKey
	if err := st.keys.FindOne(ctx, bson.M{"_id": hash}).Decode(&k); err != nil {
		return nil, fmt.Errorf("api key: %w", mapError(err))
	}
	return &k, nil
}
