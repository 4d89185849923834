package database_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
)

func TestEmbeddedKeepsDataAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	db, err := database.Open(ctx, database.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !db.Embedded() {
		t.Fatal("Embedded() = false without a URI")
	}
	for i := range 2 {
		if err := database.EnsureCollection(ctx, db.Database, "things"); err != nil {
			t.Fatalf("EnsureCollection, time %d: %v", i+1, err)
		}
	}
	coll := db.Collection("things")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}})
	if !database.IsDuplicate(err) {
		t.Fatalf("second insert of the same _id: got %v, want a duplicate-key error", err)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}

	db, err = database.Open(ctx, database.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close(ctx)
	var got struct{ N int }
	if err := db.Collection("things").FindOne(ctx, bson.M{"_id": "a"}).Decode(&got); err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got.N != 1 {
		t.Errorf("after restart n = %d, want 1", got.N)
	}
}

func TestOpenFailsClearly(t *testing.T) {
	ctx := context.Background()
	readOnly := t.TempDir()
	if err := os.Chmod(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts database.Options
		want string
	}{
		{"bad uri", database.Options{URI: "postgres://x"}, "not a valid MongoDB connection string"},
		{"unreachable", database.Options{URI: "mongodb://127.0.0.1:1/?connectTimeoutMS=200&serverSelectionTimeoutMS=500"}, "did not answer"},
		{"data folder is a file", database.Options{DataDir: file}, "cannot be created"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			opts database.Options
			want string
		}{"read-only data folder", database.Options{DataDir: readOnly}, "data folder"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := database.Open(ctx, tt.opts)
			if err == nil {
				db.Close(ctx)
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// filesUnder returns every path under dir, dir itself included, with its
// mode.
func filesUnder(t *testing.T, dir string) map[string]os.FileMode {
	t.Helper()
	out := map[string]os.FileMode{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEmbeddedFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	insert := func(db *database.DB, names ...string) {
		t.Helper()
		for _, name := range names {
			if _, err := db.Client().Database(name).Collection("things").InsertOne(ctx, bson.M{"n": 1}); err != nil {
				t.Fatalf("insert into %s: %v", name, err)
			}
		}
	}
	db, err := database.Open(ctx, database.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	insert(db, "older")
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// What an earlier version left: a folder and a database everyone can read.
	for path, mode := range map[string]os.FileMode{dbDir: 0o755, filepath.Join(dbDir, "older.sqlite"): 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}

	db, err = database.Open(ctx, database.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close(ctx)
	// New databases, so that SQLite creates new files and their logs.
	insert(db, "solidarity", "other", "older")

	files := filesUnder(t, dbDir)
	for _, want := range []string{"ferretdb.sock", "solidarity.sqlite", "solidarity.sqlite-wal", "other.sqlite", "older.sqlite"} {
		if _, ok := files[filepath.Join(dbDir, want)]; !ok {
			t.Errorf("no %s in the database folder, which holds %v", want, files)
		}
	}
	for path, mode := range files {
		want := os.FileMode(0o600)
		if mode.IsDir() {
			want = 0o700
		}
		if mode.Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, mode.Perm(), want)
		}
	}
	if mode := files[filepath.Join(dbDir, "ferretdb.sock")]; mode.Type() != os.ModeSocket {
		t.Errorf("ferretdb.sock is %v, want a socket", mode)
	}
}

func TestEmbeddedListensOnlyOnItsSocket(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb, err := database.StartEmbedded(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Stop()
	sock := filepath.Join(dir, "db", "ferretdb.sock")
	if want := "mongodb://" + url.QueryEscape(sock) + "/"; emb.URI() != want {
		t.Errorf("URI = %q, want %q", emb.URI(), want)
	}
	cs, err := connstring.ParseAndValidate(emb.URI())
	if err != nil || len(cs.Hosts) != 1 || cs.Hosts[0] != sock {
		t.Errorf("the driver reads the URI as hosts %v (%v), want the socket %s", cs.Hosts, err, sock)
	}
	if err := emb.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Stop the socket is still there: %v", err)
	}
}

func TestEmbeddedSocketProblems(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		dataDir func(dir string) string
		want    string // in the error; empty: start succeeds
	}{
		{
			name:    "socket path too long",
			dataDir: func(dir string) string { return filepath.Join(dir, strings.Repeat("x", 100)) },
			want:    "/db/ferretdb.sock is",
		},
		{
			name: "another server on the folder",
			prepare: func(t *testing.T, dir string) {
				other, err := database.StartEmbedded(ctx, dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { other.Stop() })
			},
			want: "in use by another solidarity process",
		},
		{
			name: "socket left behind by a crash",
			prepare: func(t *testing.T, dir string) {
				if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
					t.Fatal(err)
				}
				ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "db", "ferretdb.sock"), Net: "unix"})
				if err != nil {
					t.Fatal(err)
				}
				ln.SetUnlinkOnClose(false)
				ln.Close()
			},
		},
		{
			name: "a file where the socket goes",
			prepare: func(t *testing.T, dir string) {
				if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "db", "ferretdb.sock"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "is not a socket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			if tt.dataDir != nil {
				dir = tt.dataDir(dir)
			}
			emb, err := database.StartEmbedded(ctx, dir, nil)
			if err == nil {
				defer emb.Stop()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("start: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("start succeeded, want an error saying %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// filesContaining returns the files under dir that hold any of needles.
func filesContaining(t *testing.T, dir string, needles ...[]byte) []string {
	t.Helper()
	var found []string
	for path, mode := range filesUnder(t, dir) {
		if !mode.IsRegular() {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				found = append(found, filepath.Base(path))
				break
			}
		}
	}
	return found
}

func TestScrubLeavesNoTraceOfDeletedDocuments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := database.Open(ctx, database.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	coll := db.Collection("signatures")
	var docs []any
	for i := range 300 {
		docs = append(docs, bson.M{"_id": fmt.Sprint("filler", i), "person": bson.M{"name": fmt.Sprintf("Filler Person %04d", i)}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("Erasable Name %d", time.Now().UnixNano())
	secret := []byte(fmt.Sprintf("sealed-%d", time.Now().UnixNano()))
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "gone", "person": bson.M{"name": name, "sealed": secret}}); err != nil {
		t.Fatal(err)
	}
	// An update leaves an older version of the document behind as well.
	if _, err := coll.UpdateByID(ctx, "gone", bson.M{"$set": bson.M{"updates": true}}); err != nil {
		t.Fatal(err)
	}
	needles := [][]byte{[]byte(name), []byte(base64.StdEncoding.EncodeToString(secret))}
	if found := filesContaining(t, dir, needles...); len(found) == 0 {
		t.Fatal("the name is in no file before the erasure: the search cannot find it")
	}
	if _, err := coll.DeleteOne(ctx, bson.M{"_id": "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Scrub(ctx); err != nil {
		t.Fatalf("scrub: %v", err)
	}
	if found := filesContaining(t, dir, needles...); len(found) > 0 {
		t.Errorf("after deleting and scrubbing, the deleted document is still in %v", found)
	}
	if n, err := coll.CountDocuments(ctx, bson.M{}); err != nil || n != 300 {
		t.Errorf("after the scrub %d documents (%v), want the 300 others", n, err)
	}
}
