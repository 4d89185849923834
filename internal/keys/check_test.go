package keys_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// loadFile loads the keys of a key file with the given content.
func loadFile(t *testing.T, content string) keys.Keys {
	t.Helper()
	root := t.TempDir()
	writeSecret(t, filepath.Join(root, "keys"), content, 0o600)
	k, err := keys.Load(keys.Options{File: filepath.Join(root, "keys"), DataDir: filepath.Join(root, "data"), Getenv: env(nil), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// counts maps every collection of db to its number of documents.
func counts(t *testing.T, db *mongo.Database) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, n := range names {
		if out[n], err = db.Collection(n).CountDocuments(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	sameID := `{"format": "solidarity keyring v1", "secret": "` + strings.Repeat("w", 64) + `", "active": "` + goldDataKey + `",
  "data_keys": [{"id": "` + goldDataKey + `", "key": "` + strings.Repeat("cd", 32) + `"}]}`
	tests := []struct {
		name  string
		first string // key file the database is written with first
		then  string // key file of the next start
		want  string // in the error of the next start; "" for none
	}{
		{"same keys", goldSecret, goldSecret, ""},
		{"another secret", goldSecret, strings.Repeat("v", 64), "data key " + goldDataKey},
		{"same ID, other bytes", goldSecret, sameID, "the same ID, other bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := dbs.Database(t)
			first := loadFile(t, tt.first)
			if err := keys.Check(ctx, db, first, clock()); err != nil {
				t.Fatalf("first check: %v", err)
			}
			// Something the first keys wrote, so that "nothing written" is
			// visible in the counts.
			if _, err := db.Collection("signatures").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
				t.Fatal(err)
			}
			before := counts(t, db)
			then := loadFile(t, tt.then)
			err := keys.Check(ctx, db, then, clock())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("second check: %v", err)
				}
			} else {
				if !errors.Is(err, keys.ErrWrongKeys) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), then.Source.Path) {
					t.Fatalf("second check: %v; want ErrWrongKeys naming %q and %s", err, tt.want, then.Source.Path)
				}
			}
			after := counts(t, db)
			if len(after) != len(before) || after[keys.Collection] != before[keys.Collection] || after["signatures"] != before["signatures"] {
				t.Errorf("documents before %v, after %v; want nothing written", before, after)
			}
		})
	}
}

func TestCheckRecordsEachActiveKey(t *testing.T) {
	ctx := context.Background()
	db := dbs.Database(t)
	path := filepath.Join(t.TempDir(), "keys")
	writeSecret(t, path, goldSecret, 0o600)
	load := func() keys.Keys {
		k, err := keys.Load(keys.Options{File: path, DataDir: t.TempDir(), Getenv: env(nil), Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if err := keys.Check(ctx, db, load(), clock()); err != nil {
		t.Fatal(err)
	}
	f, err := keys.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := f.Rotate(clock())
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := keys.Check(ctx, db, load(), clock()); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := keys.Recorded(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
		if !r.FirstUsed.Equal(clock()) {
			t.Errorf("%s first used %v, want %v", r.ID, r.FirstUsed, clock())
		}
	}
	if strings.Join(ids, ",") != goldDataKey+","+nk.ID {
		t.Errorf("recorded %v, want %s and %s once each", ids, goldDataKey, nk.ID)
	}

	// Retiring the old key without forgetting it stops the next start;
	// forgetting it lets it start again.
	if err := f.Retire(goldDataKey); err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	if err := keys.Check(ctx, db, load(), clock()); !errors.Is(err, keys.ErrWrongKeys) {
		t.Errorf("check without a recorded key: %v, want ErrWrongKeys", err)
	}
	if err := keys.Forget(ctx, db, goldDataKey); err != nil {
		t.Fatal(err)
	}
	if err := keys.Check(ctx, db, load(), clock()); err != nil {
		t.Errorf("check after forgetting the retired key: %v", err)
	}
}
