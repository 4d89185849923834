package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
)

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
	return sealed.Fields{Collection: ps.store.idempotency, Paths: []string{"request", "body"}}
}

// insertClaim stores the claim of a new request, not done yet, that
// expires at expires. A claim of id stored already is ErrDuplicate.
func (st *partnerStore) insertClaim(ctx context.Context, id, request string, expires time.Time) error {
	sealedRequest, err := sealed.Seal(st.sealKeys, request, idemAAD(id, "request"))
	if err != nil {
		return fmt.Errorf("claim idempotency key: %w", err)
	}
	claim := storedAnswer{ID: id, RequestHash: sealedRequest, ExpiresAt: expires}
	if _, err := st.idempotency.InsertOne(ctx, claim); err != nil {
		return fmt.Errorf("claim idempotency key: %w", mapError(err))
	}
	return nil
}

// remembered reads the record of id and opens it, or ErrNotFound.
func (st *partnerStore) remembered(ctx context.Context, id string) (*Remembered, error) {
	var d storedAnswer
	if err := st.idempotency.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", mapError(err))
	}
	r := Remembered{ID: d.ID, Done: d.Done, Status: d.Status, ExpiresAt: d.ExpiresAt}
	var err error
	if r.RequestHash, err = d.RequestHash.Open(st.sealKeys, idemAAD(id, "request")); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if r.Body, err = d.Body.OpenBytes(st.sealKeys, idemAAD(id, "body")); err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return &r, nil
}

// dropExpired deletes the record of id if it still expires at expires,
// so that a node that took it over meanwhile keeps its claim.
func (st *partnerStore) dropExpired(ctx context.Context, id string, expires time.Time) error {
	if _, err := st.idempotency.DeleteOne(ctx, bson.M{"_id": id, "expires_at": expires}); err != nil {
		return fmt.Errorf("expire idempotency key: %w", err)
	}
	return nil
}

// setAnswer stores the answer to the claimed request of id, sealed.
func (st *partnerStore) setAnswer(ctx context.Context, id string, status int, body []byte) error {
	sealedBody, err := sealed.SealBytes(st.sealKeys, body, idemAAD(id, "body"))
	if err != nil {
		return fmt.Errorf("remember idempotent answer: %w", err)
	}
	if _, err := st.idempotency.UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"done": true, "status": status, "body": sealedBody}}); err != nil {
		return fmt.Errorf("remember idempotent answer: %w", err)
	}
	return nil
}

// deleteClaim deletes the record of id, whatever its state.
func (st *partnerStore) deleteClaim(ctx context.Context, id string) error {
	if _, err := st.idempotency.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
