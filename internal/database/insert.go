package database

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// InsertEach inserts docs into c in one unordered InsertMany and returns
// the result of each document: nil when it is stored, an error for which
// IsDuplicate holds when its _id (or another unique key) is taken, or the
// error that kept it from being stored. A document whose write was not
// acknowledged as asked (a write concern error) is not stored as far as
// the caller knows, and has that error.
func InsertEach(ctx context.Context, c *mongo.Collection, docs []any) []error {
	errs := make([]error, len(docs))
	if len(docs) == 0 {
		return errs
	}
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return errs
	}
	var bulk mongo.BulkWriteException
	if !errors.As(err, &bulk) {
		for i := range errs {
			errs[i] = fmt.Errorf("insert into %s: %w", c.Name(), err)
		}
		return errs
	}
	for _, we := range bulk.WriteErrors {
		if we.Index >= 0 && we.Index < len(errs) {
			errs[we.Index] = fmt.Errorf("insert into %s: %w", c.Name(), we)
		}
	}
	if bulk.WriteConcernError != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("insert into %s: %w", c.Name(), err)
			}
		}
	}
	return errs
}
