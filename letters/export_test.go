package letters

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// What the tests of package letters_test see of the public greetings'
// lists (store_shown.go).

// WriteShown writes a campaign's list by compare-and-set on the version
// v it was computed from, as a note does, and reports whether it was
// written.
func (s *Store) WriteShown(ctx context.Context, campaignID string, v int64, ids []string, at time.Time) (bool, error) {
	list := make([]shownRef, len(ids))
	for i, id := range ids {
		list[i] = shownRef{ID: id, At: at}
	}
	res, err := s.shown.UpdateOne(ctx, bson.M{"_id": campaignID, "v": v}, bson.M{"$set": bson.M{"v": v + 1, "ids": list}})
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// ShownList returns a campaign's stored list and its version.
func (s *Store) ShownList(ctx context.Context, campaignID string) (ids []string, v int64, err error) {
	docs, err := s.shownDocs(ctx)
	if err != nil {
		return nil, 0, err
	}
	d := docs[campaignID]
	for _, r := range d.IDs {
		ids = append(ids, r.ID)
	}
	return ids, d.V, nil
}
