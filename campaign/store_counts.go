package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of the counts: the counter documents that nodes share
// (counts.go) and the paper counts per campaign and country (paper.go).
const (
	countersCollection     = "counters"
	paperTalliesCollection = "paper_tallies"
)

// counterDoc is a campaign's counter document.
type counterDoc struct {
	ID        string           `bson:"_id"` // the campaign ID
	Total     int64            `bson:"total"`
	Countries map[string]int64 `bson:"countries"`
}

func (s *Store) counters() *mongo.Collection {
	return s.campaigns.Database().Collection(countersCollection)
}

// setCounter stores a campaign's counts as its counter document, created
// if there is none.
func (s *Store) setCounter(ctx context.Context, campaignID string, total int64, countries map[string]int64) error {
	doc := counterDoc{ID: campaignID, Total: total, Countries: countries}
	if doc.Countries == nil {
		doc.Countries = map[string]int64{}
	}
	if _, err := s.counters().ReplaceOne(ctx, bson.M{"_id": campaignID}, doc, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("write counter of %s: %w", campaignID, err)
	}
	return nil
}

// addToCounter adds to a campaign's counter document in one $inc by _id,
// creating it if there is none.
func (s *Store) addToCounter(ctx context.Context, campaignID string, total int64, countries map[string]int64) error {
	inc := bson.D{{Key: "total", Value: total}}
	for k, v := range countries {
		inc = append(inc, bson.E{Key: "countries." + k, Value: v})
	}
	_, err := s.counters().UpdateOne(ctx, bson.M{"_id": campaignID}, bson.M{"$inc": inc}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write counter of %s: %w", campaignID, err)
	}
	return nil
}

// counterDocs reads every counter document.
func (s *Store) counterDocs(ctx context.Context) ([]counterDoc, error) {
	cur, err := s.counters().Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	var docs []counterDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	return docs, nil
}

func (s *Store) tallies() *mongo.Collection {
	return s.signatures.Database().Collection(paperTalliesCollection)
}

// paperTallies reads the paper counts of a campaign, or of every campaign
// when campaignID is empty, in no particular order.
func (s *Store) paperTallies(ctx context.Context, campaignID string) ([]PaperTally, error) {
	filter, what := bson.M{}, "paper counts"
	if campaignID != "" {
		filter, what = bson.M{"campaign_id": campaignID}, "paper counts of "+campaignID
	}
	cur, err := s.tallies().Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var all []PaperTally
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return all, nil
}

// errBelowZero says a negative change was larger than the count.
var errBelowZero = errors.New("paper count would go below zero")

// addTally adds n to a country's paper count in one atomic update on _id
// and returns the new count. A negative n that would take the count below
// zero changes nothing and is errBelowZero.
func (s *Store) addTally(ctx context.Context, campaignID, code string, n int64, now time.Time) (int64, error) {
	id := campaignID + "/" + code
	filter := bson.D{{Key: "_id", Value: id}}
	if n < 0 {
		filter = append(filter, bson.E{Key: "count", Value: bson.D{{Key: "$gte", Value: -n}}})
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "count", Value: n}}},
		{Key: "$set", Value: bson.D{{Key: "campaign_id", Value: campaignID}, {Key: "country", Value: code}, {Key: "updated_at", Value: now}}},
	}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After).SetUpsert(n > 0)
	var t PaperTally
	err := s.tallies().FindOneAndUpdate(ctx, filter, update, opts).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, errBelowZero
	}
	if err != nil {
		return 0, fmt.Errorf("update paper count %s: %w", id, err)
	}
	return t.Count, nil
}
