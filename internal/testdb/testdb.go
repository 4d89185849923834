// Package testdb gives tests a real database: a fresh embedded FerretDB per
// test package, in a temporary folder, or the MongoDB server named by
// SOLIDARITY_TEST_MONGODB_URI so the same suite can run against MongoDB.
//
// Use it from TestMain:
//
//	var dbs *testdb.Server
//
//	func TestMain(m *testing.M) { testdb.Main(m, &dbs) }
//
// and give each test its own database with dbs.Database(t).
package testdb

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// URIVariable names the setting that points the tests at a MongoDB server.
const URIVariable = "SOLIDARITY_TEST_MONGODB_URI"

// Server is a database server shared by the tests of one package.
type Server struct {
	URI      string
	client   *mongo.Client
	embedded *database.Embedded // nil on a MongoDB server
	next     atomic.Int64
	writes   sync.Mutex // WriteLock of every DB of the server
}

// Main starts a server, stores it in *srv, runs the tests, stops the server
// and exits with the tests' status.
func Main(m *testing.M, srv **Server) {
	code, err := run(m, srv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testdb:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M, srv **Server) (int, error) {
	ctx := context.Background()
	uri := os.Getenv(URIVariable)
	var emb *database.Embedded
	if uri == "" {
		dir, err := os.MkdirTemp("", "solidarity-testdb-*")
		if err != nil {
			return 0, fmt.Errorf("make temp folder: %w", err)
		}
		defer os.RemoveAll(dir)
		emb, err = database.StartEmbedded(ctx, dir, nil)
		if err != nil {
			return 0, err
		}
		defer emb.Stop()
		uri = emb.URI()
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return 0, fmt.Errorf("connect to %s: %w", uri, err)
	}
	defer client.Disconnect(ctx)
	*srv = &Server{URI: uri, client: client, embedded: emb}
	return m.Run(), nil
}

// Scrub scrubs the embedded server's files as database.DB.Scrub does; it
// does nothing on a MongoDB server.
func (s *Server) Scrub(ctx context.Context) error {
	if s.embedded == nil {
		return nil
	}
	return s.embedded.Scrub(ctx)
}

// ScrubDatabase scrubs the files of the one database name, as Scrub does
// for all: a test's erasure leaves the other tests' databases alone.
func (s *Server) ScrubDatabase(ctx context.Context, name string) error {
	if s.embedded == nil {
		return nil
	}
	return s.embedded.ScrubDatabase(ctx, name)
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// Database returns an empty database of its own for the test t, dropped
// when the test ends.
func (s *Server) Database(t testing.TB) *mongo.Database {
	t.Helper()
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	name = fmt.Sprintf("t%d_%s", s.next.Add(1), strings.ToLower(name))
	if len(name) > 60 {
		name = name[:60]
	}
	db := s.client.Database(name)
	t.Cleanup(func() {
		if err := db.Drop(context.Background()); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return db
}

// Keys returns the data keyring tests seal personal fields with: one fixed
// key, so that what one test store writes another can read.
func Keys(t testing.TB) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring([]seal.Key{{ID: "test1", Secret: []byte("0123456789abcdef0123456789abcdef")}}, "test1")
	if err != nil {
		t.Fatal(err)
	}
	return k
}
