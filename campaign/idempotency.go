package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The partner API's idempotency records: the answer to a request with an
// Idempotency-Key, kept so that a retry gets the same answer.

// Remembered is the stored answer to an API request with an
// Idempotency-Key.
type Remembered struct {
	ID          string    `bson:"_id"`
	RequestHash string    `bson:"request"`
	Done        bool      `bson:"done"`
	Status      int       `bson:"status,omitempty"`
	Body        []byte    `bson:"body,omitempty"`
	ExpiresAt   time.Time `bson:"expires_at"`
}

// storedAnswer is a Remembered as the database keeps it: the request's
// hash and the answer (which repeats what the supporter sent) sealed.
type storedAnswer struct {
	ID          string      `bson:"_id"`
	RequestHash sealed.Text `bson:"request"`
	Done        bool        `bson:"done"`
	Status      int         `bson:"status,omitempty"`
	Body        sealed.Text `bson:"body,omitempty"`
	ExpiresAt   time.Time   `bson:"expires_at"`
}

func idemAAD(id, field string) []byte { return sealed.AAD(idempotencyCollection, id, field) }

// IdempotencyFields names the sealed fields of the idempotency records,
// for the migration and key rotation (see package reseal).
func (ps *Partners) IdempotencyFields() sealed.Fields {
	return sealed.Fields{Collection: ps.idempotency, Paths: []string{"request", "body"}}
}

// Idempotency outcomes of Claim.
var (
	// ErrInProgress is a key whose first request has not been answered yet.
	ErrInProgress = errors.New("a request with this idempotency key is in progress")
	// ErrKeyReused is a key that came with a different request before.
	ErrKeyReused = errors.New("idempotency key used with a different request")
)

// Claim reserves an idempotency key of a partner for a request (request
// is a hash of what was asked). It returns nil, nil when the request is new
// and the caller must answer it and Remember the answer; the earlier
// answer when there is one; ErrInProgress or ErrKeyReused otherwise.
func (ps *Partners) Claim(ctx context.Context, partner, key, request string) (*Remembered, error) {
	id := hashSecret(partner + "\x00" + key)
	now := ps.now().UTC()
	keys := ps.signing.store.keys
	sealedRequest, err := sealed.Seal(keys, request, idemAAD(id, "request"))
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	claim := storedAnswer{ID: id, RequestHash: sealedRequest, ExpiresAt: now.Add(IdempotencyTTL).Truncate(time.Millisecond)}
	for range 2 {
		_, err = ps.idempotency.InsertOne(ctx, claim)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(mapError(err), ErrDuplicate) {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		var st storedAnswer
		if err := ps.idempotency.FindOne(ctx, bson.M{"_id": id}).Decode(&st); err != nil {
			if errors.Is(mapError(err), ErrNotFound) {
				continue // expired and deleted meanwhile
			}
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		r := Remembered{ID: st.ID, Done: st.Done, Status: st.Status, ExpiresAt: st.ExpiresAt}
		if r.RequestHash, err = st.RequestHash.Open(keys, idemAAD(id, "request")); err != nil {
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		if r.Body, err = st.Body.OpenBytes(keys, idemAAD(id, "body")); err != nil {
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		switch {
		case !r.ExpiresAt.After(now):
			// Expired but not yet removed by the TTL index: take it over.
			if _, err := ps.idempotency.DeleteOne(ctx, bson.M{"_id": id, "expires_at": r.ExpiresAt}); err != nil {
				return nil, fmt.Errorf("expire idempotency key: %w", err)
			}
			continue
		case r.RequestHash != request:
			return nil, ErrKeyReused
		case !r.Done:
			return nil, ErrInProgress
		}
		return &r, nil
	}
	return nil, ErrInProgress
}

// Remember stores the answer to a claimed request.
func (ps *Partners) Remember(ctx context.Context, partner, key string, status int, body []byte) error {
	id := hashSecret(partner + "\x00" + key)
	sealedBody, err := sealed.SealBytes(ps.signing.store.keys, body, idemAAD(id, "body"))
	if err != nil {
		return fmt.Errorf("remember idempotent answer: %w", err)
	}
	if _, err := ps.idempotency.UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"done": true, "status": status, "body": sealedBody}}); err != nil {
		return fmt.Errorf("remember idempotent answer: %w", err)
	}
	return nil
}

// Release drops a claim whose request failed on our side, so that the
// partner can try again with the same key.
func (ps *Partners) Release(ctx context.Context, partner, key string) error {
	if _, err := ps.idempotency.DeleteOne(ctx, bson.M{"_id": hashSecret(partner + "\x00" + key)}); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
