package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

// keyPair makes a backup key; it returns the identity and its recipient.
func keyPair(t *testing.T) (*age.X25519Identity, age.Recipient) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id, id.Recipient()
}

// fill stores a few collections: documents with binaries, nested
// documents and several scripts, a unique index, an empty collection and
// a schema version.
func fill(t *testing.T, db *mongo.Database, schema int) {
	t.Helper()
	ctx := context.Background()
	var docs []any
	for i := range 250 {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("s%04d", i)}, {Key: "campaign_id", Value: "c1"},
			{Key: "person", Value: bson.D{{Key: "name", Value: []string{"Аляксандра", "Zoë", "Ꮎ", "ქეთი"}[i%4]}, {Key: "sealed", Value: bson.Binary{Data: []byte{1, 2, byte(i)}}}}},
			{Key: "signed_at", Value: time.Date(2027, 6, 1, 12, 0, i, 0, time.UTC)}, {Key: "n", Value: int64(i)}})
	}
	if _, err := db.Collection("signatures").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("signatures").Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "campaign_id", Value: 1}, {Key: "n", Value: 1}}, Options: options.Index().SetUnique(true).SetName("campaign_n")}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, "empty_one"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("schema").InsertOne(ctx, bson.D{{Key: "_id", Value: "version"}, {Key: "version", Value: schema}}); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, db *mongo.Database, r age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := backup.Write(context.Background(), db, &buf, []age.Recipient{r}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// A backup restores into an empty database document for document, raw
// BSON equal, with the collection that was empty and the unique index,
// which refuses a duplicate after the restore.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := dbs.Database(t), dbs.Database(t)
	fill(t, src, 3)
	id, r := keyPair(t)
	file := write(t, src, r)
	if bytes.Contains(file, []byte("Аляксандра")) || bytes.Contains(file, []byte("campaign_id")) {
		t.Fatal("the backup file holds plain text of the data")
	}
	sum, err := backup.Restore(ctx, dst, opener(file), []age.Identity{id}, backup.RestoreOptions{MaxSchema: 3})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if sum.Documents != 251 || sum.Header.Schema != 3 || sum.Header.Format != backup.FormatVersion {
		t.Errorf("summary %+v, want 251 documents of schema 3", sum)
	}
	want, got := testdb.Dump(t, src), testdb.Dump(t, dst)
	if len(got) != len(want) {
		t.Errorf("restored collections %v, want %v", keys(got), keys(want))
	}
	for name, docs := range want {
		if len(got[name]) != len(docs) {
			t.Errorf("%s: %d documents restored, want %d", name, len(got[name]), len(docs))
			continue
		}
		for i := range docs {
			if !bytes.Equal(docs[i], got[name][i]) {
				t.Errorf("%s: document %d restored as %s, want %s", name, i, got[name][i], docs[i])
				break
			}
		}
	}
	_, err = dst.Collection("signatures").InsertOne(ctx, bson.D{{Key: "_id", Value: "new"}, {Key: "campaign_id", Value: "c1"}, {Key: "n", Value: int64(7)}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Errorf("insert against the restored unique index: %v, want a duplicate-key error", err)
	}
}

func keys(m map[string][]bson.Raw) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Verify and Restore refuse a backup that another key opens, a file cut
// short, a changed byte, a file that is no backup, and a newer schema;
// none of them writes anything.
func TestRestoreRefuses(t *testing.T) {
	t.Parallel()
	src := dbs.Database(t)
	fill(t, src, 5)
	id, r := keyPair(t)
	other, _ := keyPair(t)
	file := write(t, src, r)
	flipped := slices.Clone(file)
	flipped[len(flipped)/2] ^= 0x01
	var plain bytes.Buffer
	w, err := age.Encrypt(&plain, r)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "not a backup at all")
	w.Close()
	tests := []struct {
		name      string
		file      []byte
		id        age.Identity
		maxSchema int
		want      error
		say       string
	}{
		{"wrong identity", file, other, 5, backup.ErrWrongIdentity, "other public keys"},
		{"truncated", file[:len(file)-100], id, 5, backup.ErrDamaged, "damaged or incomplete"},
		{"cut at half", file[:len(file)/2], id, 5, backup.ErrDamaged, "damaged or incomplete"},
		{"flipped byte", flipped, id, 5, backup.ErrDamaged, "damaged or incomplete"},
		{"flipped byte in the age header", append([]byte("x"), file[1:]...), id, 5, backup.ErrNotBackup, "not a solidarity backup"},
		{"another age file", plain.Bytes(), id, 5, backup.ErrNotBackup, "not a solidarity backup"},
		{"newer schema", file, id, 4, backup.ErrNewer, "schema version 5, this version of solidarity knows up to 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := dbs.Database(t)
			_, err := backup.Restore(context.Background(), dst, opener(tt.file), []age.Identity{tt.id}, backup.RestoreOptions{MaxSchema: tt.maxSchema})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("restore: %v, want %v saying %q", err, tt.want, tt.say)
			}
			if errors.Is(err, backup.ErrPartial) {
				t.Errorf("restore wrote before refusing: %v", err)
			}
			if names, _ := dst.ListCollectionNames(context.Background(), bson.D{}); len(names) > 0 {
				t.Errorf("after the refusal the database holds %v", names)
			}
		})
	}
}

// A database with data is refused and keeps it; --replace drops the
// backup's collections and loads the backup in their place.
func TestRestoreIntoADatabaseWithData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := dbs.Database(t), dbs.Database(t)
	fill(t, src, 2)
	id, r := keyPair(t)
	file := write(t, src, r)
	if _, err := dst.Collection("signatures").InsertOne(ctx, bson.D{{Key: "_id", Value: "keep-me"}}); err != nil {
		t.Fatal(err)
	}
	_, err := backup.Restore(ctx, dst, opener(file), []age.Identity{id}, backup.RestoreOptions{MaxSchema: 2})
	if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), "--replace") || !strings.Contains(err.Error(), "signatures") {
		t.Fatalf("restore into a database with data: %v, want it refused, naming signatures and --replace", err)
	}
	if n, _ := dst.Collection("signatures").CountDocuments(ctx, bson.D{}); n != 1 {
		t.Errorf("after the refusal signatures holds %d documents, want the 1 it had", n)
	}
	var said []string
	_, err = backup.Restore(ctx, dst, opener(file), []age.Identity{id}, backup.RestoreOptions{MaxSchema: 2, Replace: true, Say: func(s string) { said = append(said, s) }})
	if err != nil {
		t.Fatalf("restore --replace: %v", err)
	}
	if len(said) != 1 || !strings.Contains(said[0], "dropped 1 collections") {
		t.Errorf("restore --replace said %q, want that it dropped 1 collection", said)
	}
	if n, _ := dst.Collection("signatures").CountDocuments(ctx, bson.D{}); n != 250 {
		t.Errorf("after --replace signatures holds %d documents, want the backup's 250", n)
	}
}

// Scheduled backups: one per period whoever asks, the folder keeps Keep
// of them, and the status names the last one, its size and the next.
func TestScheduleKeepsKeep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbs.Database(t)
	fill(t, db, 1)
	if err := backup.Prepare(ctx, db); err != nil {
		t.Fatal(err)
	}
	id, r := keyPair(t)
	dir := filepath.Join(t.TempDir(), "backups")
	t0 := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	opts := backup.ScheduleOptions{Dir: dir, Every: time.Hour, Keep: 2, Recipients: []age.Recipient{r}, Node: "node-a", Now: func() time.Time { return now }}
	a := backup.NewSchedule(db, opts)
	opts.Node = "node-b"
	b := backup.NewSchedule(db, opts)
	for i := range 4 {
		now = t0.Add(time.Duration(i)*time.Hour + time.Minute)
		_, wonA, errA := a.RunOnce(ctx, now)
		_, wonB, errB := b.RunOnce(ctx, now.Add(time.Second))
		if errA != nil || errB != nil || wonA == wonB {
			t.Fatalf("period %d: node a made it %v (%v), node b %v (%v); want exactly one", i, wonA, errA, wonB, errB)
		}
	}
	files, err := a.Files()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"solidarity-20270601T020100Z.backup.age", "solidarity-20270601T030100Z.backup.age"}; !slices.Equal(files, want) {
		t.Errorf("the folder keeps %v, want the newest two %v", files, want)
	}
	f, err := os.Open(filepath.Join(dir, files[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sum, err := backup.Verify(f, []age.Identity{id}); err != nil || sum.Documents == 0 {
		t.Errorf("verify the last scheduled backup: %+v, %v", sum, err)
	}
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.On || st.Keep != 2 || st.Last == nil || st.Last.File != files[1] || st.Last.Size == 0 || st.Failed != nil {
		t.Fatalf("status %+v, want the last backup %s", st, files[1])
	}
	if want := t0.Add(4 * time.Hour); !st.Next.Equal(want) {
		t.Errorf("next backup due %v, want %v", st.Next, want)
	}

	// A folder that cannot be written: the failure is recorded, the last
	// good backup still shown.
	blocked := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocked, nil, 0o600)
	opts.Dir, opts.Node = filepath.Join(blocked, "sub"), "node-c"
	c := backup.NewSchedule(db, opts)
	now = t0.Add(4*time.Hour + time.Minute)
	if _, won, err := c.RunOnce(ctx, now); !won || err == nil {
		t.Fatalf("a backup into a folder that cannot be made: won %v, %v; want an error", won, err)
	}
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Last == nil || st.Last.File != files[1] || st.Failed == nil || st.Failed.Node != "node-c" || !strings.Contains(st.Failed.Error, "backup folder") {
		t.Errorf("status after a failure: last %+v, failed %+v", st.Last, st.Failed)
	}
}

// A load that fails half way (here the file changed between the check and
// the load) says that the database is partly restored; a restore with
// Replace then loads all of it.
func TestRestoreFailingHalfWaySaysSo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, dst := dbs.Database(t), dbs.Database(t)
	fill(t, src, 1)
	// Sealed values do not compress: the file is long enough that a cut
	// comes after the first batches were written.
	var bulk []any
	for i := range 2000 {
		b := make([]byte, 200)
		rand.Read(b)
		bulk = append(bulk, bson.D{{Key: "_id", Value: i}, {Key: "sealed", Value: bson.Binary{Data: b}}})
	}
	if _, err := src.Collection("bulk").InsertMany(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	id, r := keyPair(t)
	file := write(t, src, r)
	opens := 0
	open := func() (io.ReadCloser, error) {
		opens++
		if opens == 2 {
			return io.NopCloser(bytes.NewReader(file[:len(file)*3/4])), nil
		}
		return io.NopCloser(bytes.NewReader(file)), nil
	}
	_, err := backup.Restore(ctx, dst, open, []age.Identity{id}, backup.RestoreOptions{MaxSchema: 1})
	if !errors.Is(err, backup.ErrPartial) || !errors.Is(err, backup.ErrDamaged) || !strings.Contains(err.Error(), "partly restored") ||
		!strings.Contains(err.Error(), "1000 of 2251 documents written") {
		t.Fatalf("restore from a file cut during the load: %v, want it to say the database is partly restored", err)
	}
	if _, err := backup.Restore(ctx, dst, opener(file), []age.Identity{id}, backup.RestoreOptions{MaxSchema: 1}); !errors.Is(err, backup.ErrNotEmpty) {
		t.Errorf("a second restore without Replace: %v, want it refused", err)
	}
	if _, err := backup.Restore(ctx, dst, opener(file), []age.Identity{id}, backup.RestoreOptions{MaxSchema: 1, Replace: true}); err != nil {
		t.Fatalf("restore with Replace after the failure: %v", err)
	}
	if n, _ := dst.Collection("signatures").CountDocuments(ctx, bson.D{}); n != 250 {
		t.Errorf("after the second restore signatures holds %d documents, want 250", n)
	}
}
