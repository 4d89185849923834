package campaign

import (
	"context"
	"errors"
	"time"
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
	id := idempotencyID(partner, key)
	now := ps.now().UTC()
	expires := now.Add(IdempotencyTTL).Truncate(time.Millisecond)
	for range 2 {
		err := ps.store.insertClaim(ctx, id, request, expires)
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, ErrDuplicate) {
			return nil, err
		}
		r, err := ps.store.remembered(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // expired and deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		switch {
		case !r.ExpiresAt.After(now):
			// Expired but not yet removed by the TTL index: take it over.
			if err := ps.store.dropExpired(ctx, id, r.ExpiresAt); err != nil {
				return nil, err
			}
			continue
		case r.RequestHash != request:
			return nil, ErrKeyReused
		case !r.Done:
			return nil, ErrInProgress
		}
		return r, nil
	}
	return nil, ErrInProgress
}

// Remember stores the answer to a claimed request.
func (ps *Partners) Remember(ctx context.Context, partner, key string, status int, body []byte) error {
	return ps.store.setAnswer(ctx, idempotencyID(partner, key), status, body)
}

// Release drops a claim whose request failed on our side, so that the
// partner can try again with the same key.
func (ps *Partners) Release(ctx context.Context, partner, key string) error {
	return ps.store.deleteClaim(ctx, idempotencyID(partner, key))
}

// idempotencyID is the _id of the record of a partner's key: a hash, so
// that the key itself is not stored.
func idempotencyID(partner, key string) string { return hashSecret(partner + "\x00" + key) }
