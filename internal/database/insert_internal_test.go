package database

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// outcome is what a caller of InsertEach learns of one document.
type outcome string

const (
	stored      outcome = "stored"
	duplicate   outcome = "duplicate"
	unconfirmed outcome = "unconfirmed"
	failed      outcome = "failed"
)

func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return stored
	case IsDuplicate(err):
		return duplicate
	case errors.Is(err, ErrUnconfirmed):
		return unconfirmed
	}
	return failed
}

// The embedded database never reports a write concern error (FerretDB
// ignores the write concern), so the errors a replica set gives an
// unordered InsertMany of three documents are built here as the driver
// builds them (mongo.BulkWriteException, mongo-driver v2.10.0). A
// document the batch's write concern error leaves unconfirmed is not a
// duplicate, even when another document of the batch is one: the
// exception as a whole says IsDuplicate then.
func TestOutcomesOfAnUnorderedInsert(t *testing.T) {
	dup := mongo.BulkWriteError{WriteError: mongo.WriteError{Index: 1, Code: 11000, Message: "E11000 duplicate key error"}}
	other := mongo.BulkWriteError{WriteError: mongo.WriteError{Index: 2, Code: 2, Message: "bad value"}}
	wce := &mongo.WriteConcernError{Name: "WriteConcernFailed", Code: 64, Message: "waiting for replication timed out"}
	tests := []struct {
		name string
		err  error
		want []outcome
	}{
		{"all stored", nil, []outcome{stored, stored, stored}},
		{"one duplicate", mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{dup}},
			[]outcome{stored, duplicate, stored}},
		{"a duplicate and another write error", mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{dup, other}},
			[]outcome{stored, duplicate, failed}},
		{"not replicated", mongo.BulkWriteException{WriteConcernError: wce},
			[]outcome{unconfirmed, unconfirmed, unconfirmed}},
		{"one duplicate, the rest not replicated", mongo.BulkWriteException{WriteErrors: []mongo.BulkWriteError{dup}, WriteConcernError: wce},
			[]outcome{unconfirmed, duplicate, unconfirmed}},
		{"no answer", errors.New("connection reset"), []outcome{failed, failed, failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := outcomes("things", len(tt.want), tt.err)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d outcomes, want %d", len(errs), len(tt.want))
			}
			for i, err := range errs {
				if got := outcomeOf(err); got != tt.want[i] {
					t.Errorf("document %d: %s (%v), want %s", i, got, err, tt.want[i])
				}
			}
		})
	}
}
