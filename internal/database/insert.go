package database

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrUnconfirmed is the error of a document the database may have stored
// but did not acknowledge as durably as the write concern asks: the
// caller must treat it as not stored, and IsDuplicate never holds for it.
var ErrUnconfirmed = errors.New("write not confirmed")

// InsertEach inserts docs into c in one unordered InsertMany and returns
// the result of each document: nil when it is stored, an error for which
// IsDuplicate holds when its _id (or another unique key) is taken, or the
// error that kept it from being stored. A document without a write error
// of its own in a batch whose write concern failed has ErrUnconfirmed.
func InsertEach(ctx context.Context, c *mongo.Collection, docs []any) []error {
	if len(docs) == 0 {
		return nil
	}
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	return outcomes(c.Name(), len(docs), err)
}

// InsertNew inserts docs into c in one unordered InsertMany, where a
// document whose _id (or another unique key) is taken is skipped, not an
// error: for writes that are safe to repeat. It returns the first other
// error.
func InsertNew(ctx context.Context, c *mongo.Collection, docs []any) error {
	for _, err := range InsertEach(ctx, c, docs) {
		if err != nil && !IsDuplicate(err) {
			return err
		}
	}
	return nil
}

// outcomes spreads err, the error of an unordered InsertMany of n
// documents into the collection name, over the documents. Each document
// gets its own write error; the write concern error goes to the others
// as ErrUnconfirmed, not as the whole exception: IsDuplicate holds for an
// exception that holds any duplicate, and would call them duplicates.
func outcomes(name string, n int, err error) []error {
	errs := make([]error, n)
	if err == nil {
		return errs
	}
	var bulk mongo.BulkWriteException
	if !errors.As(err, &bulk) {
		for i := range errs {
			errs[i] = fmt.Errorf("insert into %s: %w", name, err)
		}
		return errs
	}
	for _, we := range bulk.WriteErrors {
		if we.Index >= 0 && we.Index < n {
			errs[we.Index] = fmt.Errorf("insert into %s: %w", name, we)
		}
	}
	if bulk.WriteConcernError != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("insert into %s: %w: %w", name, ErrUnconfirmed, bulk.WriteConcernError)
			}
		}
	}
	return errs
}
