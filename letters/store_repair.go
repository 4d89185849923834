package letters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// greetingState is what a read of every greeting needs of each: where it
// stands, without its texts.
type greetingState struct {
	ID               string    `bson:"_id"`
	CampaignID       string    `bson:"campaign_id"`
	Status           Status    `bson:"status"`
	CreatedAt        time.Time `bson:"created_at"`
	Checked          bool      `bson:"checked"`
	NeedsTranslation bool      `bson:"needs_translation"`
	Translation      *struct {
		Status TranslationStatus `bson:"status"`
	} `bson:"translation"`
}

// listed reports in which lists the greeting belongs (see listed).
func (g *greetingState) listed() (queue, translate bool) {
	plain := Greeting{Status: g.Status, Checked: g.Checked, NeedsTranslation: g.NeedsTranslation}
	if g.Translation != nil {
		plain.Translation = &Translation{Status: g.Translation.Status}
	}
	return listed(&plain)
}

// eachState calls fn with the state of every greeting, in no particular
// order; the texts are not read. It is for the background work after
// start-up and for migrations, not for requests.
func (s *Store) eachState(ctx context.Context, fn func(*greetingState) error) error {
	opts := options.Find().SetProjection(bson.M{
		"campaign_id": 1, "status": 1, "created_at": 1, "checked": 1, "needs_translation": 1, "translation.status": 1,
	})
	cur, err := s.greetings.Find(ctx, bson.M{}, opts)
	if err != nil {
		return fmt.Errorf("read greetings: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var g greetingState
		if err := cur.Decode(&g); err != nil {
			return fmt.Errorf("read greetings: %w", err)
		}
		if err := fn(&g); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read greetings: %w", err)
	}
	return nil
}

// listIDs returns the IDs in one of the console's lists (queueCollection
// or translateCollection), read whole.
func (s *Store) listIDs(ctx context.Context, list string) (map[string]bool, error) {
	cur, err := s.greetings.Database().Collection(list).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("read greeting list: %w", err)
	}
	var have []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &have); err != nil {
		return nil, fmt.Errorf("read greeting list: %w", err)
	}
	out := make(map[string]bool, len(have))
	for _, e := range have {
		out[e.ID] = true
	}
	return out, nil
}

// resync puts a greeting's list entries right from what it is now: it
// reads the greeting by _id, lists it (or takes it out of every list when
// it is gone) and reads it again, and does so again while a change came
// between the read and the write; so it never leaves an entry from a
// state older than the greeting's.
func (s *Store) resync(ctx context.Context, id string) error {
	type where struct{ found, queue, translate bool }
	state := func() (*Greeting, where, error) {
		g, err := s.Greeting(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, where{}, nil
		}
		if err != nil {
			return nil, where{}, err
		}
		q, t := listed(g)
		return g, where{true, q, t}, nil
	}
	g, w, err := state()
	if err != nil {
		return err
	}
	for range 3 {
		if g != nil {
			err = s.sync(ctx, g)
		} else {
			err = s.unlist(ctx, id)
		}
		if err != nil {
			return err
		}
		again, w2, err := state()
		if err != nil {
			return err
		}
		if w2 == w {
			return nil
		}
		g, w = again, w2
	}
	return fmt.Errorf("list greeting %s: it kept changing", id)
}

// unlist removes a greeting's entries from the console's lists.
func (s *Store) unlist(ctx context.Context, id string) error {
	for _, l := range []*mongo.Collection{s.queue, s.translate} {
		if _, err := l.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			return fmt.Errorf("delete greeting list entry: %w", err)
		}
	}
	return nil
}
