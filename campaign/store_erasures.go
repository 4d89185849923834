package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// erasuresCollection tells other nodes which signatures were erased, so
// that they take them out of their index (indexsync.go). An entry holds
// the signature's key, its ID (an HMAC, not an address) and signing time,
// and nothing else about the supporter; it is deleted after erasureKeep.
const erasuresCollection = "signature_erasures"

// erasureKeep is how long an erasure is kept for other nodes to read:
// far longer than the pace of their reads.
const erasureKeep = time.Hour

// erasureDoc is one erasure.
type erasureDoc struct {
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	Signature  string    `bson:"signature"`
	SignedAt   time.Time `bson:"signed_at"`
	At         time.Time `bson:"at"`
}

func (s *Store) erasures() *mongo.Collection {
	return s.signatures.Database().Collection(erasuresCollection)
}

// EnsureErasures creates the collection of erasures; it is safe to call
// again.
func (s *Store) EnsureErasures(ctx context.Context) error {
	db := s.signatures.Database()
	names, err := db.ListCollectionNames(ctx, bson.M{"name": erasuresCollection})
	if err != nil {
		return fmt.Errorf("create signature erasures: %w", err)
	}
	if len(names) > 0 {
		return nil
	}
	if err := db.CreateCollection(ctx, erasuresCollection); err != nil {
		return fmt.Errorf("create signature erasures: %w", err)
	}
	return nil
}

// noteErasure records that the signature is being erased.
func (s *Store) noteErasure(ctx context.Context, sig *Signature, at time.Time) error {
	e := erasureDoc{ID: newID(), CampaignID: sig.CampaignID, Signature: sig.ID, SignedAt: sig.SignedAt, At: at.UTC().Truncate(time.Millisecond)}
	if _, err := s.erasures().InsertOne(ctx, e); err != nil {
		return fmt.Errorf("note erasure: %w", err)
	}
	return nil
}

// erasuresSince returns the erasures noted at since or later. The
// collection holds an hour of erasures at most: a read of it is cheap on
// any database.
func (s *Store) erasuresSince(ctx context.Context, since time.Time) ([]erasureDoc, error) {
	cur, err := s.erasures().Find(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}})
	if err != nil {
		return nil, fmt.Errorf("read signature erasures: %w", err)
	}
	var out []erasureDoc
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read signature erasures: %w", err)
	}
	return out, nil
}

// dropErasures deletes the erasures noted before cutoff.
func (s *Store) dropErasures(ctx context.Context, cutoff time.Time) error {
	if _, err := s.erasures().DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cutoff.UTC()}}}}); err != nil {
		return fmt.Errorf("drop old signature erasures: %w", err)
	}
	return nil
}
