package letters

import (
	"context"
	"fmt"

	"github.com/solidarity-letters/solidarity/campaign"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// decoy returns the decoy collection that stands in for c (see decoy.go).
func (s *Store) decoy(c *mongo.Collection) *mongo.Collection {
	return c.Database().Collection(campaign.DecoyPrefix + c.Name())
}

// EnsureDecoys gives the decoy collections the indexes of the collections
// they stand in for. It runs at every start (app.Prepare), so that a decoy
// collection lost is made again.
func (s *Store) EnsureDecoys(ctx context.Context) error {
	for _, ix := range []struct {
		c *mongo.Collection
		m mongo.IndexModel
	}{
		{s.decoy(s.greetings), mongo.IndexModel{
			Keys:    bson.D{{Key: "campaign_id", Value: 1}, {Key: "status", Value: 1}, {Key: "created_at", Value: 1}},
			Options: options.Index().SetName("campaign_status_created"),
		}},
		{s.decoy(s.queue), mongo.IndexModel{
			Keys:    bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}},
			Options: options.Index().SetName("created_id"),
		}},
	} {
		if _, err := ix.c.Indexes().CreateOne(ctx, ix.m); err != nil {
			return fmt.Errorf("create greeting decoy index: %w", err)
		}
	}
	// The greeting ReadDecoyGreeting reads.
	if _, err := s.decoy(s.greetings).ReplaceOne(ctx, bson.M{"_id": campaign.CollideID}, decoyGreeting(campaign.CollideID),
		options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store greeting decoy: %w", err)
	}
	// The claim that a rehearsal's insert collides with.
	if _, err := s.decoy(s.texts).ReplaceOne(ctx, bson.M{"_id": campaign.CollideID}, bson.D{{Key: "greeting_id", Value: campaign.CollideID}},
		options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store greeting decoy: %w", err)
	}
	return nil
}

// readDecoyGreeting reads the decoy greeting that is always stored.
func (s *Store) readDecoyGreeting(ctx context.Context) error {
	err := s.decoy(s.greetings).FindOne(ctx, bson.M{"_id": campaign.CollideID}).Err()
	if err != nil {
		return fmt.Errorf("read greeting decoy: %w", err)
	}
	return nil
}
