package mail_test

import (
	"testing"

	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/mail"
)

// Prepare is a migration: it may run again after a crash.
func TestPrepareTwice(t *testing.T) {
	t.Parallel()
	q := mail.New(dbs.Database(t), testdb.Keys(t), emailKey, mail.Options{})
	for i := range 2 {
		if err := q.Prepare(t.Context()); err != nil {
			t.Fatalf("prepare %d: %v", i+1, err)
		}
	}
}
