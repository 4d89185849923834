package sealed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// rewriteSuffix names the collection a rewrite copies into.
const rewriteSuffix = "_resealing"

// rewriteBatch is how many documents a rewrite inserts at once.
const rewriteBatch = 1000

// Rewrite seals again every stale field of f, like Reseal, by copying the
// collection: it reads every document once, writes it (sealed where it was
// stale, as it was otherwise) into a new collection in batches, gives that
// collection the indexes of the old one, then drops the old one and renames
// the copy. On the embedded database an update scans the whole collection,
// so Reseal's one update per document costs minutes at thousands of
// documents; this costs one read and one batched insert of each.
//
// It is only for a database nothing else writes to meanwhile (the embedded
// one at start-up, before requests: its socket admits one process). Stopped
// at any point, it loses nothing: a copy left half made is dropped and made
// again, and a copy whose old collection is already dropped is renamed.
// It returns how many documents it sealed anew.
func Rewrite(ctx context.Context, k *seal.Keyring, f Fields, plainOnly bool) (int64, error) {
	db, name := f.Collection.Database(), f.Collection.Name()
	copyName := name + rewriteSuffix
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: bson.D{{Key: "$in", Value: bson.A{name, copyName}}}}})
	if err != nil {
		return 0, fmt.Errorf("reseal %s: list collections: %w", name, err)
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	switch {
	case has[copyName] && !has[name]:
		// Stopped between the drop and the rename.
		return 0, rename(ctx, db, copyName, name)
	case has[copyName] && empty(ctx, f.Collection) && !empty(ctx, db.Collection(copyName)):
		// Stopped between the drop and the rename, and the collection was
		// made anew (by an index, say) before this ran: the copy is whole,
		// since it is only renamed once written, and the old one had
		// documents, or the copy would have none.
		if err := f.Collection.Drop(ctx); err != nil {
			return 0, fmt.Errorf("reseal %s: drop the empty collection: %w", name, err)
		}
		return 0, rename(ctx, db, copyName, name)
	case has[copyName]:
		if err := db.Collection(copyName).Drop(ctx); err != nil {
			return 0, fmt.Errorf("reseal %s: drop the half-made copy: %w", name, err)
		}
	}
	ids, err := staleIDs(ctx, k, f, plainOnly)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	stale := make(map[string]bool, len(ids))
	for _, id := range ids {
		stale[id.String()] = true
	}
	copyColl := db.Collection(copyName)
	if err := CopyIndexes(ctx, f.Collection, copyColl); err != nil {
		return 0, fmt.Errorf("reseal %s: %w", name, err)
	}
	var n int64
	batch := make([]any, 0, rewriteBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := copyColl.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false)); err != nil {
			return fmt.Errorf("reseal %s: write the copy: %w", name, err)
		}
		batch = batch[:0]
		return nil
	}
	cur, err := f.Collection.Find(ctx, bson.D{}, options.Find().SetBatchSize(rewriteBatch))
	if err != nil {
		return 0, fmt.Errorf("reseal %s: %w", name, err)
	}
	// The embedded database cannot write while a cursor is open on the
	// same connection's collection, but the copy is another collection.
	for cur.Next(ctx) {
		doc := bson.Raw(append([]byte(nil), cur.Current...))
		if stale[doc.Lookup("_id").String()] {
			_, update, err := resealDoc(ctx, k, name, f, doc)
			if err != nil {
				cur.Close(ctx)
				return 0, err
			}
			if update != nil {
				if doc, err = applySet(doc, update[0].Value.(bson.D)); err != nil {
					cur.Close(ctx)
					return 0, fmt.Errorf("reseal %s: %w", name, err)
				}
				n++
			}
		}
		batch = append(batch, doc)
		if len(batch) == rewriteBatch {
			if err := flush(); err != nil {
				cur.Close(ctx)
				return 0, err
			}
		}
	}
	err = cur.Err()
	cur.Close(ctx)
	if err != nil {
		return 0, fmt.Errorf("reseal %s: %w", name, err)
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if err := f.Collection.Drop(ctx); err != nil {
		return 0, fmt.Errorf("reseal %s: drop the old collection: %w", name, err)
	}
	return n, rename(ctx, db, copyName, name)
}

// empty reports whether c holds no document (or cannot be read, which the
// caller's next read will say).
func empty(ctx context.Context, c *mongo.Collection) bool {
	return errors.Is(c.FindOne(ctx, bson.D{}).Err(), mongo.ErrNoDocuments)
}

// CopyIndexes gives to the indexes from (but _id's, which every
// collection has).
func CopyIndexes(ctx context.Context, from, to *mongo.Collection) error {
	cur, err := from.Indexes().List(ctx)
	if err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	var specs []struct {
		Name   string `bson:"name"`
		Key    bson.D `bson:"key"`
		Unique bool   `bson:"unique"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	for _, s := range specs {
		if s.Name == "_id_" {
			continue
		}
		opts := options.Index().SetName(s.Name)
		if s.Unique {
			opts.SetUnique(true)
		}
		if _, err := to.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: s.Key, Options: opts}); err != nil {
			return fmt.Errorf("create index %s: %w", s.Name, err)
		}
	}
	return nil
}

func rename(ctx context.Context, db *mongo.Database, from, to string) error {
	cmd := bson.D{{Key: "renameCollection", Value: db.Name() + "." + from}, {Key: "to", Value: db.Name() + "." + to}}
	if err := db.Client().Database("admin").RunCommand(ctx, cmd).Err(); err != nil {
		return fmt.Errorf("reseal: rename %s to %s: %w", from, to, err)
	}
	return nil
}

// applySet returns doc with the dotted paths of set given their values.
func applySet(doc bson.Raw, set bson.D) (bson.Raw, error) {
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	for _, e := range set {
		var err error
		if d, err = setPath(d, strings.Split(e.Key, "."), e.Value); err != nil {
			return nil, fmt.Errorf("set %s: %w", e.Key, err)
		}
	}
	return bson.Marshal(d)
}

func setPath(d bson.D, path []string, v any) (bson.D, error) {
	for i := range d {
		if d[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			d[i].Value = v
			return d, nil
		}
		sub, ok := d[i].Value.(bson.D)
		if !ok {
			return nil, errors.New("not a document")
		}
		sub, err := setPath(sub, path[1:], v)
		if err != nil {
			return nil, err
		}
		d[i].Value = sub
		return d, nil
	}
	if len(path) == 1 {
		return append(d, bson.E{Key: path[0], Value: v}), nil
	}
	sub, err := setPath(bson.D{}, path[1:], v)
	if err != nil {
		return nil, err
	}
	return append(d, bson.E{Key: path[0], Value: sub}), nil
}
