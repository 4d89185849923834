package sealed

import (
	"context"
	"errors"
	"fmt"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// This file and store_rewrite.go hold what reads and writes the database:
// Reseal and Usage walk a collection's documents by their Fields, Rewrite
// copies a collection.

// Batch is how often Reseal reports its progress, in documents.
const Batch = 200

// Reseal seals again every field of f that is plain or sealed under a key
// other than the active one; with plainOnly, only documents with a plain
// field (the migration of old data, which must finish before requests).
//
// It reads the collection once, in the order the database keeps it, and
// notes the _id of each document that needs it: a range or sort on _id
// would make the embedded database scan the whole collection for every
// batch, and it cannot write while a cursor is open. Then it reads those
// documents again by _id, Batch at a time, and writes each batch as
// unordered conditional updates: a document matches only while its sealed
// fields still hold the values read, so an edit made meanwhile is never
// overwritten (it was sealed under the active key anyway). Stopped at any
// point, it loses nothing: each write sets a whole document's fields at
// once, and running it again passes over what is done. It returns how many
// documents it wrote, calling done (if not nil) after each batch with the
// running total.
func Reseal(ctx context.Context, k *seal.Keyring, f Fields, plainOnly bool, done func(int64)) (int64, error) {
	name := f.Collection.Name()
	ids, err := staleIDs(ctx, k, f, plainOnly)
	if err != nil {
		return 0, err
	}
	var n int64
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		doc, err := f.Collection.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("reseal %s: %w", name, err)
		}
		filter, update, err := resealDoc(ctx, k, name, f, doc)
		if err != nil {
			return n, err
		}
		if update == nil {
			continue
		}
		// One document at a time: the embedded database scans the
		// collection for each update, and in a bulk write holds its one
		// writer for the whole batch.
		res, err := f.Collection.UpdateOne(ctx, filter, update)
		if err != nil {
			return n, fmt.Errorf("reseal %s: %w", name, err)
		}
		n += res.ModifiedCount
		if done != nil && (i+1)%Batch == 0 {
			done(n)
		}
	}
	if done != nil {
		done(n)
	}
	return n, nil
}

// staleIDs returns the _id of every document of f with a stale field.
func staleIDs(ctx context.Context, k *seal.Keyring, f Fields, plainOnly bool) ([]bson.RawValue, error) {
	var ids []bson.RawValue
	err := each(ctx, f, func(doc bson.Raw) error {
		for _, p := range f.Paths {
			t, err := FromRaw(lookup(doc, p))
			if err != nil {
				return err
			}
			if t.Stale(k) && (!plainOnly || t.KeyID() == Plain) {
				ids = append(ids, doc.Lookup("_id"))
				return nil
			}
		}
		if f.Stale != nil && f.Stale(doc) {
			ids = append(ids, doc.Lookup("_id"))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reseal %s: %w", f.Collection.Name(), err)
	}
	return ids, nil
}

// each calls fn with every document of f, projected to its sealed fields
// (whole when Extra needs more), reading with one cursor.
func each(ctx context.Context, f Fields, fn func(bson.Raw) error) error {
	opts := options.Find().SetBatchSize(1000)
	if f.Stale == nil {
		proj := bson.D{{Key: "_id", Value: 1}}
		for _, p := range f.Paths {
			proj = append(proj, bson.E{Key: p, Value: 1})
		}
		opts.SetProjection(proj)
	}
	cur, err := f.Collection.Find(ctx, bson.D{}, opts)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	return cur.Err()
}

// resealDoc returns the filter and update that seal doc's stale fields
// anew, on the condition that they still hold what doc holds; a nil update
// when none is stale.
func resealDoc(ctx context.Context, k *seal.Keyring, name string, f Fields, doc bson.Raw) (bson.D, bson.D, error) {
	idv := doc.Lookup("_id")
	id, err := IDString(idv)
	if err != nil {
		return nil, nil, fmt.Errorf("reseal %s: %w", name, err)
	}
	var set, filter bson.D
	filter = bson.D{{Key: "_id", Value: idv}}
	var plain map[string][]byte
	for _, p := range f.Paths {
		t, err := FromRaw(lookup(doc, p))
		if err != nil {
			return nil, nil, fmt.Errorf("reseal %s %s %s: %w", name, id, p, err)
		}
		if !t.Stale(k) {
			continue
		}
		aad := AAD(name, id, p)
		b, err := t.OpenBytes(k, aad)
		if err != nil {
			return nil, nil, fmt.Errorf("reseal %s %s %s: %w", name, id, p, err)
		}
		nt, err := SealBytes(k, b, aad)
		if err != nil {
			return nil, nil, err
		}
		if plain == nil {
			plain = map[string][]byte{}
		}
		plain[p] = b
		set = append(set, bson.E{Key: p, Value: nt})
		filter = append(filter, bson.E{Key: p, Value: t.raw()})
	}
	if f.Extra != nil {
		extra, err := f.Extra(ctx, doc, plain)
		if err != nil {
			return nil, nil, fmt.Errorf("reseal %s %s: %w", name, id, err)
		}
		set = append(set, extra...)
	}
	if len(set) == 0 {
		return nil, nil, nil
	}
	return filter, bson.D{{Key: "$set", Value: set}}, nil
}

// Usage adds to counts how many values of f's fields are stored under each
// key ID (Plain for values not sealed). It reads the collection once.
func Usage(ctx context.Context, f Fields, counts map[string]int64) error {
	err := each(ctx, f, func(doc bson.Raw) error {
		for _, p := range f.Paths {
			t, err := FromRaw(lookup(doc, p))
			if err != nil {
				return err
			}
			if id := t.KeyID(); id != "" {
				counts[id]++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count sealed values of %s: %w", f.Collection.Name(), err)
	}
	return nil
}
