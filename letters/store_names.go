package letters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
)

// Collections of the name moderation.
const (
	// nameQueueCollection holds a sealed copy of the name, city and
	// country of each signature whose held fields wait for a moderator.
	nameQueueCollection = "name_queue"
	// nameDecisionsCollection holds one document per decided signature,
	// _id the signature's ID: the decision is an insert, so of two
	// moderators deciding at once the first wins without a query.
	nameDecisionsCollection = "name_decisions"
)

// NameStore keeps the moderation of names and cities: the queue of held
// signatures and the decisions. The queue holds copies of personal data,
// sealed with the store's keyring; the decisions hold none.
type NameStore struct {
	queue     *mongo.Collection
	decisions *mongo.Collection
	keys      *seal.Keyring
}

// Names returns the name moderation store over the same database and
// keyring as s.
func (s *Store) Names() *NameStore {
	db := s.greetings.Database()
	return &NameStore{queue: db.Collection(nameQueueCollection), decisions: db.Collection(nameDecisionsCollection), keys: s.keys}
}

// nameEntry is a queue document: the personal fields are sealed, with the
// signature's ID and the field's name as associated data.
type nameEntry struct {
	ID         string               `bson:"_id"`
	CampaignID string               `bson:"campaign_id"`
	CreatedAt  time.Time            `bson:"created_at"`
	Name       sealed.Text          `bson:"name"`
	City       sealed.Text          `bson:"city,omitempty"`
	Country    sealed.Text          `bson:"country"`
	Display    campaign.NameDisplay `bson:"display"`
	Held       campaign.Held        `bson:"held"`
	NameFlags  []Flag               `bson:"name_flags,omitempty"`
	CityFlags  []Flag               `bson:"city_flags,omitempty"`
}

// nameDecision is a decision document.
type nameDecision struct {
	ID         string    `bson:"_id"`
	CampaignID string    `bson:"campaign_id"`
	Status     Status    `bson:"status"`
	DecidedAt  time.Time `bson:"decided_at"`
}

func nameAAD(id, field string) []byte { return sealed.AAD(nameQueueCollection, id, field) }

// SealedFields names the queue's sealed fields, for re-sealing after a key
// rotation (package reseal).
func (s *NameStore) SealedFields() sealed.Fields {
	return sealed.Fields{Collection: s.queue, Paths: []string{"name", "city", "country"}}
}

// seal turns an item into its queue document.
func (s *NameStore) seal(it *NameItem) (*nameEntry, error) {
	e := &nameEntry{ID: it.ID, CampaignID: it.CampaignID, CreatedAt: it.CreatedAt.UTC(), Display: it.Display,
		Held: it.Held, NameFlags: it.NameFlags, CityFlags: it.CityFlags}
	var err error
	for _, f := range []struct {
		dst   *sealed.Text
		field string
		value string
	}{{&e.Name, "name", it.Name}, {&e.City, "city", it.City}, {&e.Country, "country", it.Country}} {
		if *f.dst, err = sealed.Seal(s.keys, f.value, nameAAD(it.ID, f.field)); err != nil {
			return nil, fmt.Errorf("seal held name: %w", err)
		}
	}
	return e, nil
}

// open turns a queue document back into an item.
func (s *NameStore) open(e *nameEntry) (NameItem, error) {
	it := NameItem{ID: e.ID, CampaignID: e.CampaignID, CreatedAt: e.CreatedAt, Display: e.Display,
		Held: e.Held, NameFlags: e.NameFlags, CityFlags: e.CityFlags}
	var err error
	for _, f := range []struct {
		dst   *string
		field string
		value sealed.Text
	}{{&it.Name, "name", e.Name}, {&it.City, "city", e.City}, {&it.Country, "country", e.Country}} {
		if *f.dst, err = f.value.Open(s.keys, nameAAD(e.ID, f.field)); err != nil {
			return NameItem{}, fmt.Errorf("open held name: %w", err)
		}
	}
	return it, nil
}

// EnsureIndexes creates the queue's index for its list order; it is safe
// to call at every start-up.
func (s *NameStore) EnsureIndexes(ctx context.Context) error {
	_, err := s.queue.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}},
		Options: options.Index().SetName("created_id"),
	})
	if err != nil {
		return fmt.Errorf("create name queue index: %w", err)
	}
	return nil
}

// Enqueue puts a held signature in the queue unless it is there already
// or decided.
func (s *NameStore) Enqueue(ctx context.Context, it *NameItem) error {
	if _, err := s.Decision(ctx, it.ID); err == nil || !errors.Is(err, ErrNotFound) {
		return err
	}
	e, err := s.seal(it)
	if err != nil {
		return err
	}
	if _, err := s.queue.InsertOne(ctx, e); err != nil && !database.IsDuplicate(err) {
		return fmt.Errorf("queue held name: %w", err)
	}
	return nil
}

// Item returns the queued item of a signature, or ErrNotFound.
func (s *NameStore) Item(ctx context.Context, id string) (NameItem, error) {
	var e nameEntry
	err := s.queue.FindOne(ctx, bson.M{"_id": id}).Decode(&e)
	if database.IsNotFound(err) {
		return NameItem{}, fmt.Errorf("find held name: %w", ErrNotFound)
	}
	if err != nil {
		return NameItem{}, fmt.Errorf("find held name: %w", err)
	}
	return s.open(&e)
}

// Decision returns the decision on a signature's held fields, or
// ErrNotFound while there is none.
func (s *NameStore) Decision(ctx context.Context, id string) (Status, error) {
	var d nameDecision
	err := s.decisions.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if database.IsNotFound(err) {
		return "", fmt.Errorf("find name decision: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("find name decision: %w", err)
	}
	return d.Status, nil
}

// Decide records a decision on a queued signature and takes it out of the
// queue. A signature decided already is ErrDecided; one never queued
// ErrNotFound.
func (s *NameStore) Decide(ctx context.Context, id string, status Status, at time.Time) (NameItem, error) {
	it, err := s.Item(ctx, id)
	if errors.Is(err, ErrNotFound) {
		if _, derr := s.Decision(ctx, id); derr == nil {
			return NameItem{}, fmt.Errorf("held name: %w", ErrDecided)
		}
	}
	if err != nil {
		return NameItem{}, err
	}
	_, err = s.decisions.InsertOne(ctx, nameDecision{ID: id, CampaignID: it.CampaignID, Status: status, DecidedAt: at.UTC()})
	if database.IsDuplicate(err) {
		err = fmt.Errorf("held name: %w", ErrDecided)
	}
	// Decided either way: the queue entry goes.
	if _, derr := s.queue.DeleteOne(ctx, bson.M{"_id": id}); derr != nil && err == nil {
		err = fmt.Errorf("unqueue held name: %w", derr)
	}
	if err != nil {
		return NameItem{}, err
	}
	return it, nil
}

// Pending returns up to limit queued signatures after the cursor, oldest
// first, of one campaign or (campaignID "") of all.
func (s *NameStore) Pending(ctx context.Context, campaignID string, after Cursor, limit int) ([]NameItem, error) {
	filter, opts := pageAfter(campaignID, after, limit)
	cur, err := s.queue.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list held names: %w", err)
	}
	var es []nameEntry
	if err := cur.All(ctx, &es); err != nil {
		return nil, fmt.Errorf("list held names: %w", err)
	}
	out := make([]NameItem, 0, len(es))
	for i := range es {
		it, err := s.open(&es[i])
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// PendingCounts counts the queued signatures by campaign.
func (s *NameStore) PendingCounts(ctx context.Context) (map[string]int64, error) {
	out, err := countByCampaign(ctx, s.queue)
	if err != nil {
		return nil, fmt.Errorf("count held names: %w", err)
	}
	return out, nil
}

// Decisions returns the decisions on a campaign's held signatures by
// signature ID, for the bundle: one pass over the (small) decisions.
func (s *NameStore) Decisions(ctx context.Context, campaignID string) (map[string]Status, error) {
	cur, err := s.decisions.Find(ctx, bson.M{"campaign_id": campaignID})
	if err != nil {
		return nil, fmt.Errorf("read name decisions of %s: %w", campaignID, err)
	}
	var ds []nameDecision
	if err := cur.All(ctx, &ds); err != nil {
		return nil, fmt.Errorf("read name decisions of %s: %w", campaignID, err)
	}
	out := make(map[string]Status, len(ds))
	for _, d := range ds {
		out[d.ID] = d.Status
	}
	return out, nil
}

// Delete removes a signature's queue entry and decision (when the
// signature is erased). Neither being stored is no error.
func (s *NameStore) Delete(ctx context.Context, id string) error {
	for _, c := range []*mongo.Collection{s.queue, s.decisions} {
		if _, err := c.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			return fmt.Errorf("delete held name: %w", err)
		}
	}
	return nil
}
