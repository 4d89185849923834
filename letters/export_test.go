package letters

import (
	"context"
	"time"
)

// What the tests of package letters_test see of the public greetings'
// lists (store_shown.go).

// BumpShown increments a campaign's version as a change's note does
// first, and returns the new version.
func (s *Store) BumpShown(ctx context.Context, campaignID string) (int64, error) {
	d, err := s.bumpShown(ctx, campaignID)
	return d.V, err
}

// WriteShown writes a campaign's list as right at version v, as a note
// does second.
func (s *Store) WriteShown(ctx context.Context, campaignID string, v int64, ids []string, at time.Time) error {
	list := make([]shownRef, len(ids))
	for i, id := range ids {
		list[i] = shownRef{ID: id, At: at}
	}
	return s.writeShown(ctx, campaignID, v, list)
}

// ShownList returns a campaign's stored list, its version, and the
// version the list is right at.
func (s *Store) ShownList(ctx context.Context, campaignID string) (ids []string, v, idsV int64, err error) {
	docs, err := s.shownDocs(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	d := docs[campaignID]
	for _, r := range d.IDs {
		ids = append(ids, r.ID)
	}
	return ids, d.V, d.IDsV, nil
}
