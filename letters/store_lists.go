package letters

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The console's lists of greetings (the moderation queue and the greetings
// waiting for a translation): small collections of copies, paged by
// creation time and ID.

// Cursor is a position in a list of greetings ordered by creation time and
// ID: the list continues after it. The zero Cursor is the start.
type Cursor struct {
	At time.Time
	ID string
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == "" }

// String encodes the cursor for a URL: the creation time in Unix
// milliseconds (what BSON keeps), a dot, and the ID. The zero Cursor is "".
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMilli(), 10) + "." + c.ID
}

// ParseCursor decodes what Cursor.String encoded; "" is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ms, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 200 {
		return Cursor{}, fmt.Errorf("cursor %q is not <milliseconds>.<id>", s)
	}
	return Cursor{At: time.UnixMilli(n).UTC(), ID: id}, nil
}

// list returns up to limit greetings of a list (of one campaign, or of
// all with campaignID ""), oldest first, after the cursor, from the list's
// copies.
func (s *Store) list(ctx context.Context, l *mongo.Collection, campaignID string, after Cursor, limit int) ([]Greeting, error) {
	filter, opts := pageAfter(campaignID, after, limit)
	cur, err := l.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list greetings: %w", err)
	}
	out, err := s.decodeGreetings(ctx, l.Name(), cur)
	if err != nil {
		return nil, fmt.Errorf("list greetings: %w", err)
	}
	return out, nil
}

// Pending returns up to limit greetings waiting for moderation after the
// cursor, oldest first, of one campaign or (campaignID "") of all.
func (s *Store) Pending(ctx context.Context, campaignID string, after Cursor, limit int) ([]Greeting, error) {
	return s.list(ctx, s.queue, campaignID, after, limit)
}

// Untranslated returns up to limit approved greetings that need a
// translation and have no approved one yet, after the cursor, oldest
// first, of one campaign or (campaignID "") of all.
func (s *Store) Untranslated(ctx context.Context, campaignID string, after Cursor, limit int) ([]Greeting, error) {
	return s.list(ctx, s.translate, campaignID, after, limit)
}

// PendingCounts counts the greetings waiting for moderation, by campaign,
// from the queue's small collection.
func (s *Store) PendingCounts(ctx context.Context) (map[string]int64, error) {
	out, err := countByCampaign(ctx, s.queue)
	if err != nil {
		return nil, fmt.Errorf("count pending greetings: %w", err)
	}
	return out, nil
}

// countByCampaign counts the documents of a (small) queue collection by
// their campaign_id.
func countByCampaign(ctx context.Context, coll *mongo.Collection) (map[string]int64, error) {
	cur, err := coll.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$campaign_id"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID string `bson:"_id"`
		N  int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}

// pageAfter is the query of a page of a list ordered by creation time and
// ID (the greeting lists, the name queue): up to limit items after the
// cursor, of one campaign or (campaignID "") of all.
func pageAfter(campaignID string, after Cursor, limit int) (bson.M, *options.FindOptionsBuilder) {
	filter := bson.M{}
	if campaignID != "" {
		filter["campaign_id"] = campaignID
	}
	if !after.IsZero() {
		filter["$or"] = bson.A{
			bson.M{"created_at": bson.M{"$gt": after.At}},
			bson.M{"created_at": after.At, "_id": bson.M{"$gt": after.ID}},
		}
	}
	return filter, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit))
}
