package database_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
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
