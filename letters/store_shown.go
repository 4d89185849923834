package letters

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// shownCollection holds one small document per campaign whose public
// greetings ever changed, {_id: campaign ID, v: version}: nodes read it
// every second to learn which campaigns' greetings to read again
// (shown.go). It holds nothing personal.
const shownCollection = "shown_versions"

// bumpShown increments the campaign's version of its public greetings
// and returns the new one; one update by _id.
func (s *Store) bumpShown(ctx context.Context, campaignID string) (int64, error) {
	var doc struct {
		V int64 `bson:"v"`
	}
	err := s.shown.FindOneAndUpdate(ctx, bson.M{"_id": campaignID}, bson.M{"$inc": bson.M{"v": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, fmt.Errorf("note greetings change of %s: %w", campaignID, err)
	}
	return doc.V, nil
}

// shownVersions returns every campaign's version of its public greetings.
// The collection has a document per campaign at most, so it is read whole.
func (s *Store) shownVersions(ctx context.Context) (map[string]int64, error) {
	cur, err := s.shown.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read greetings versions: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
		V  int64  `bson:"v"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read greetings versions: %w", err)
	}
	out := make(map[string]int64, len(docs))
	for _, d := range docs {
		out[d.ID] = d.V
	}
	return out, nil
}

// EnsureShownVersions creates the collection of the public greetings'
// versions; it is safe to call again.
func (s *Store) EnsureShownVersions(ctx context.Context) error {
	err := s.shown.Database().CreateCollection(ctx, shownCollection)
	var cerr mongo.CommandError
	if err != nil && !(errors.As(err, &cerr) && cerr.Name == "NamespaceExists") {
		return fmt.Errorf("create %s: %w", shownCollection, err)
	}
	return nil
}
