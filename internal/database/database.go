// Package database opens solidarity's MongoDB database: the server named by
// MONGODB_URI, or, when none is named, an embedded FerretDB with a SQLite
// backend in the data folder, reachable only through a Unix socket there. Both are reached through the same official
// driver, so the rest of the code never knows which one it talks to.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

// DefaultName is the database used when the URI names none.
const DefaultName = "solidarity"

// ConnectTimeout bounds how long start-up waits for the server to answer.
const ConnectTimeout = 10 * time.Second

// Options say which database to open.
type Options struct {
	// URI of a MongoDB server. Empty starts the embedded database.
	URI string
	// DataDir holds the embedded database's files (in DataDir/db).
	DataDir string
	// Logger receives the embedded database's own logs; nil keeps it quiet.
	Logger *slog.Logger
	// Wait makes Open wait for a MongoDB server that does not answer yet,
	// retrying with backoff (see Wait), instead of failing after
	// ConnectTimeout; it says so on WaitLog. The serve command waits (the
	// database may start after the app, as with docker compose); the other
	// commands fail at once.
	Wait bool
	// WaitLog receives the messages of the wait; nil discards them.
	WaitLog *slog.Logger
	// Share lets a command reach the embedded database that a running
	// serve holds, through its socket, instead of refusing the folder as
	// in use; with no server running, Open starts the embedded database as
	// usual. For commands that only read, or that the server tolerates
	// beside it (backup).
	Share bool
	// Monitor, when set, is told of every command the driver sends (the
	// metrics time them by name); nil: none.
	Monitor *event.CommandMonitor
}

// DB is an open database. Close it to release the driver and stop the
// embedded server, if one was started.
type DB struct {
	*mongo.Database
	client   *mongo.Client
	embedded *Embedded
	writes   sync.Mutex
}

// WriteLock is the lock the stores take around the writes that FerretDB
// would not make atomic (campaign.Store.SetCounterLock): on the embedded
// database this process is the only client, so it serializes them all.
func (db *DB) WriteLock() sync.Locker { return &db.writes }

// Embedded reports whether the database runs inside this process.
func (db *DB) Embedded() bool { return db.embedded != nil }

// Mongo returns the driver's handle of the database, for the stores.
func (db *DB) Mongo() *mongo.Database { return db.Database }

// Open connects to the database described by opts and checks that it answers
// within ConnectTimeout.
func Open(ctx context.Context, opts Options) (*DB, error) {
	uri := opts.URI
	var emb *Embedded
	if uri == "" && opts.Share {
		running, err := RunningURI(ctx, opts.DataDir)
		if err != nil {
			return nil, err
		}
		uri = running
	}
	if uri == "" {
		var err error
		emb, err = StartEmbedded(ctx, opts.DataDir, opts.Logger)
		if err != nil {
			return nil, err
		}
		uri = emb.URI()
	}
	connectOnce := func(ctx context.Context, uri string) (*DB, error) { return connect(ctx, uri, opts.Monitor) }
	if opts.Wait && emb == nil {
		connectOnce = func(ctx context.Context, uri string) (*DB, error) {
			return connectWaiting(ctx, uri, opts.WaitLog, opts.Monitor)
		}
	}
	db, err := connectOnce(ctx, uri)
	if err != nil {
		if emb != nil {
			err = errors.Join(err, emb.Stop())
		}
		return nil, err
	}
	db.embedded = emb
	return db, nil
}

// newClient parses uri and makes a client for it, which has not reached a
// server yet, with the database uri names (or DefaultName) and the parsed
// string, for messages (redact).
func newClient(uri string, monitor *event.CommandMonitor) (*mongo.Client, string, *connstring.ConnString, error) {
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		return nil, "", nil, fmt.Errorf("MONGODB_URI is not a valid MongoDB connection string: %w", err)
	}
	name := cs.Database
	if name == "" {
		name = DefaultName
	}
	copts := ClientOptions(uri)
	if monitor != nil {
		copts.SetMonitor(monitor)
	}
	c, err := mongo.Connect(copts)
	if err != nil {
		return nil, "", nil, fmt.Errorf("connect to MongoDB at %s: %w", redact(cs), err)
	}
	return c, name, cs, nil
}

func connect(ctx context.Context, uri string, monitor *event.CommandMonitor) (*DB, error) {
	client, name, cs, err := newClient(uri, monitor)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if err := client.Ping(pingCtx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("MongoDB at %s did not answer within %s: %w", redact(cs), ConnectTimeout, err)
	}
	return &DB{Database: client.Database(name), client: client}, nil
}

// ClientOptions are the driver's settings for the server at uri, the same
// in production and in the tests that run through a fault proxy.
func ClientOptions(uri string) *options.ClientOptions {
	// Majority writes: a signature acknowledged to a supporter survives the
	// loss of the app or of a replica afterwards.
	// Options the URI sets itself win, since ApplyURI comes last.
	return options.Client().
		SetAppName("solidarity").
		SetServerSelectionTimeout(ConnectTimeout).
		SetConnectTimeout(ConnectTimeout).
		SetWriteConcern(writeconcern.Majority()).
		ApplyURI(uri)
}

// redact names the hosts of a connection string without its credentials.
func redact(cs *connstring.ConnString) string {
	if len(cs.Hosts) == 0 {
		return "(no host)"
	}
	return fmt.Sprint(cs.Hosts)
}

// Ping checks that the database answers; it is what /readyz reports.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Scrub makes what was deleted before it unrecoverable from the embedded
// database's files; call it after erasing personal data. On a MongoDB
// server it does nothing: there, the server's own storage and backups
// decide how long deleted data lingers.
func (db *DB) Scrub(ctx context.Context) error {
	if db.embedded == nil {
		return nil
	}
	return db.embedded.Scrub(ctx)
}

// Close disconnects the driver, then stops the embedded server if there is one.
func (db *DB) Close(ctx context.Context) error {
	err := db.client.Disconnect(ctx)
	if err != nil {
		err = fmt.Errorf("disconnect from database: %w", err)
	}
	if db.embedded != nil {
		err = errors.Join(err, db.embedded.Stop())
	}
	return err
}

// IsDuplicate reports whether err is a unique-index violation.
func IsDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }

// IsNotFound reports whether err means a query matched no document.
func IsNotFound(err error) bool { return errors.Is(err, mongo.ErrNoDocuments) }

// EnsureCollection creates the collection name in db, and is safe to call
// again: a collection that exists already is no error.
func EnsureCollection(ctx context.Context, db *mongo.Database, name string) error {
	err := db.CreateCollection(ctx, name)
	var cerr mongo.CommandError
	if err != nil && !(errors.As(err, &cerr) && (cerr.Code == 48 || cerr.Name == "NamespaceExists")) {
		return fmt.Errorf("create collection %s: %w", name, err)
	}
	return nil
}
