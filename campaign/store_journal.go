package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// journalCollection lists, for the batches being written, the signatures
// that came with a greeting, until each greeting is in the greetings
// collection (journal.go). It holds signature IDs and times only, and
// only for seconds: a small collection that start-up reads whole.
const journalCollection = "signing_journal"

// journalEntry is one batch's document in the journal.
type journalEntry struct {
	ID  string    `bson:"_id"`
	At  time.Time `bson:"at"`
	IDs []string  `bson:"ids"`
}

func (s *Store) journal() *mongo.Collection {
	return s.signatures.Database().Collection(journalCollection)
}

// EnsureJournal creates the journal collection; it is safe to call again.
func (s *Store) EnsureJournal(ctx context.Context) error {
	names, err := s.signatures.Database().ListCollectionNames(ctx, bson.M{"name": journalCollection})
	if err != nil {
		return fmt.Errorf("create signing journal: %w", err)
	}
	if len(names) > 0 {
		return nil
	}
	if err := s.signatures.Database().CreateCollection(ctx, journalCollection); err != nil {
		return fmt.Errorf("create signing journal: %w", err)
	}
	return nil
}

// addJournal records that the signatures ids, about to be inserted, come
// with greetings, and returns the entry's ID.
func (s *Store) addJournal(ctx context.Context, ids []string, at time.Time) (string, error) {
	e := journalEntry{ID: newID(), At: at.UTC().Truncate(time.Millisecond), IDs: ids}
	if _, err := s.journal().InsertOne(ctx, e); err != nil {
		return "", fmt.Errorf("journal greetings: %w", err)
	}
	return e.ID, nil
}

// journalEntries returns the journal's entries written before cutoff (all
// of them when cutoff is zero). It reads the whole journal, which holds
// only the batches of the last seconds.
func (s *Store) journalEntries(ctx context.Context, cutoff time.Time) ([]journalEntry, error) {
	cur, err := s.journal().Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read signing journal: %w", err)
	}
	var all []journalEntry
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("read signing journal: %w", err)
	}
	out := all[:0]
	for _, e := range all {
		if cutoff.IsZero() || e.At.Before(cutoff) {
			out = append(out, e)
		}
	}
	return out, nil
}

// deleteJournal removes the journal's entries with those IDs.
func (s *Store) deleteJournal(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.journal().DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}}); err != nil {
		return fmt.Errorf("clear signing journal: %w", err)
	}
	return nil
}
