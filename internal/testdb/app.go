package testdb

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// DB is a test database as the application takes one (app.Database).
type DB struct {
	*mongo.Database
	srv *Server
}

// Wrap gives db, a database on s or on a client of s's URI, what the
// application asks of its database.
func (s *Server) Wrap(db *mongo.Database) DB { return DB{Database: db, srv: s} }

// Mongo returns the driver's handle.
func (d DB) Mongo() *mongo.Database { return d.Database }

// Ping checks that the database answers, through db's own client.
func (d DB) Ping(ctx context.Context) error { return d.Client().Ping(ctx, nil) }

// Scrub scrubs the files of this database (Server.ScrubDatabase), as
// database.DB.Scrub does for the application's one database.
func (d DB) Scrub(ctx context.Context) error { return d.srv.ScrubDatabase(ctx, d.Name()) }

// WriteLock is the server's lock for the writes FerretDB does not make
// atomic (database.DB.WriteLock): one for every client of the server, as
// the embedded database has a single client process.
func (d DB) WriteLock() sync.Locker { return &d.srv.writes }

// Embedded reports false: the tests of a package share the server, so no
// one test is its only client.
func (d DB) Embedded() bool { return false }
