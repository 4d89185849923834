// Package backup writes and reads solidarity's backups: every collection of
// the application's database, document by document, in one stream that is
// compressed (zstd) and encrypted with age to one or more X25519 public
// keys, so that a backup kept on another disk reveals nothing without the
// organisation's private key.
//
// The package knows no collection by name: Write lists the database's
// collections, so that a collection a later version adds is backed up too.
// Documents are copied as raw BSON, exactly as stored: the supporters'
// fields stay sealed under the application's data keys, which are not in
// the backup. A restore is of use only with those keys (package keys).
//
// # Format
//
// Inside age and zstd, the archive is the line "solidarity backup\n"
// followed by records, each one type byte and one BSON document (which
// carries its own length):
//
//	'H' header: format version, schema (migration) version, creation
//	    time, database name, server, the collections' names
//	'C' a collection begins: its name and its indexes as the database
//	    lists them
//	'D' one document of that collection, raw
//	'E' the collection ends: its name and how many documents it had
//	'T' trailer: every collection's count and the SHA-256 of every byte
//	    before the trailer
//
// A file cut short or changed anywhere fails age's authentication, and the
// trailer checks, independently of age, that every record arrived: Verify
// and Restore refuse such a file with a clear error.
//
// # Consistency
//
// MongoDB without transactions, and the embedded database, give no
// snapshot of a whole database. A backup reads one collection after the
// other, each with one cursor in a fixed order: by _id on MongoDB (its _id
// index), and on the embedded database in its storage order (SQLite's row
// order), which an update does not change: FerretDB would sort a whole
// collection in memory to give _id order. So each document that existed for the whole backup is in it
// once; a document written, changed or deleted while the backup runs may
// or may not be in it, in its old or new form. Signatures and the counter
// documents are read at different moments, so a backup taken while people
// sign may hold a few signatures the counters do not count yet (or the
// reverse): `solidarity restore` recounts every campaign from the restored
// signatures once the data is in (App.AfterRestore), and the
// greetings' lists are checked again by every start (letters repair).
package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/migrate"
)

// FormatVersion is the version of the archive's layout this code writes;
// it reads this one and none newer.
const FormatVersion = 1

// magic begins every archive, inside the encryption.
const magic = "solidarity backup\n"

// Record types.
const (
	recHeader     = 'H'
	recCollection = 'C'
	recDocument   = 'D'
	recEnd        = 'E'
	recTrailer    = 'T'
)

// maxRecord bounds one record's BSON document: MongoDB's 16 MiB document
// limit and room for a collection's index list.
const maxRecord = 17 << 20

// Header is what a backup says about itself before its data.
type Header struct {
	Format int `bson:"format"`
	// Schema is the database's schema version (internal/migrate) when the
	// backup began.
	Schema   int       `bson:"schema"`
	Created  time.Time `bson:"created"`
	Database string    `bson:"database"`
	// Server names the database server the backup was read from.
	Server      string   `bson:"server"`
	Collections []string `bson:"collections"`
}

// CollectionCount is how many documents one collection had in a backup.
type CollectionCount struct {
	Name  string `bson:"name"`
	Count int64  `bson:"count"`
}

// trailer ends an archive.
type trailer struct {
	Collections []CollectionCount `bson:"collections"`
	Documents   int64             `bson:"documents"`
	SHA256      []byte            `bson:"sha256"`
}

// collectionStart begins a collection's records.
type collectionStart struct {
	Name    string     `bson:"name"`
	Indexes []bson.Raw `bson:"indexes"`
}

// Summary is what a backup holds, as written or as checked.
type Summary struct {
	Header      Header
	Collections []CollectionCount
	Documents   int64
	// Bytes is the size of the encrypted file (Write), or of the archive
	// inside it (Verify, Restore).
	Bytes int64
}

// Write writes a backup of every collection of db to w, encrypted to
// recipients, and returns what it holds. It reads one document at a time:
// memory does not grow with the database. Collections whose names begin
// with "system." are the server's own and are left out.
func Write(ctx context.Context, db *mongo.Database, w io.Writer, recipients []age.Recipient, now time.Time) (Summary, error) {
	if len(recipients) == 0 {
		return Summary{}, errors.New("backup: no recipient to encrypt to (SOLIDARITY_BACKUP_RECIPIENT or --recipient)")
	}
	names, err := collections(ctx, db)
	if err != nil {
		return Summary{}, err
	}
	schema, err := migrate.Version(ctx, db)
	if err != nil {
		return Summary{}, fmt.Errorf("backup: %w", err)
	}
	ferret, server, err := serverOf(ctx, db)
	if err != nil {
		return Summary{}, err
	}
	counted := &countingWriter{w: w}
	enc, err := age.Encrypt(counted, recipients...)
	if err != nil {
		return Summary{}, fmt.Errorf("backup: encrypt: %w", err)
	}
	zw, err := zstd.NewWriter(enc, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return Summary{}, fmt.Errorf("backup: compress: %w", err)
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	aw := &archiveWriter{w: bw, sum: sha256.New()}
	h := Header{Format: FormatVersion, Schema: schema, Created: now.UTC().Truncate(time.Millisecond), Database: db.Name(), Server: server, Collections: names}
	s := Summary{Header: h}
	aw.raw([]byte(magic))
	aw.record(recHeader, h)
	for _, name := range names {
		n, err := writeCollection(ctx, db.Collection(name), aw, ferret)
		if err != nil {
			return s, fmt.Errorf("backup: collection %s: %w", name, err)
		}
		s.Collections = append(s.Collections, CollectionCount{Name: name, Count: n})
		s.Documents += n
	}
	aw.record(recTrailer, trailer{Collections: s.Collections, Documents: s.Documents, SHA256: aw.sum.Sum(nil)})
	if aw.err != nil {
		return s, fmt.Errorf("backup: write: %w", aw.err)
	}
	if err := bw.Flush(); err != nil {
		return s, fmt.Errorf("backup: write: %w", err)
	}
	if err := zw.Close(); err != nil {
		return s, fmt.Errorf("backup: write: %w", err)
	}
	if err := enc.Close(); err != nil {
		return s, fmt.Errorf("backup: write: %w", err)
	}
	s.Bytes = counted.n
	return s, nil
}

// collections lists db's collections, sorted, without the server's own.
func collections(ctx context.Context, db *mongo.Database) ([]string, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("backup: list the collections of %s: %w", db.Name(), err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "system.") })
	slices.Sort(names)
	return names, nil
}

// serverOf tells the embedded database (FerretDB) from MongoDB, and names
// the server and its version.
func serverOf(ctx context.Context, db *mongo.Database) (ferret bool, name string, err error) {
	raw, err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Raw()
	if err != nil {
		return false, "", fmt.Errorf("backup: ask the server's version: %w", err)
	}
	version, _ := raw.Lookup("version").StringValueOK()
	if fv, ok := raw.Lookup("ferretdbVersion").StringValueOK(); ok {
		if fv == "" || fv == "unknown" { // the embedded build sets none
			return true, "FerretDB (embedded)", nil
		}
		return true, "FerretDB " + fv, nil
	}
	return false, "MongoDB " + version, nil
}

// writeCollection writes one collection's records and returns how many
// documents it wrote.
func writeCollection(ctx context.Context, coll *mongo.Collection, aw *archiveWriter, ferret bool) (int64, error) {
	start := collectionStart{Name: coll.Name(), Indexes: []bson.Raw{}}
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		return 0, fmt.Errorf("list indexes: %w", err)
	}
	for cur.Next(ctx) {
		start.Indexes = append(start.Indexes, slices.Clone(cur.Current))
	}
	if err := errors.Join(cur.Err(), cur.Close(ctx)); err != nil {
		return 0, fmt.Errorf("list indexes: %w", err)
	}
	aw.record(recCollection, start)
	find := options.Find().SetBatchSize(500)
	if !ferret {
		find.SetSort(bson.D{{Key: "_id", Value: 1}})
	}
	// FerretDB would sort the whole collection in memory for _id; unsorted,
	// it streams SQLite's rows in their order, which updates keep.
	docs, err := coll.Find(ctx, bson.D{}, find)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer docs.Close(context.WithoutCancel(ctx))
	var n int64
	for docs.Next(ctx) {
		aw.raw([]byte{recDocument})
		aw.raw(docs.Current)
		n++
		if aw.err != nil {
			return n, aw.err
		}
	}
	if err := docs.Err(); err != nil {
		return n, fmt.Errorf("read: %w", err)
	}
	aw.record(recEnd, CollectionCount{Name: coll.Name(), Count: n})
	return n, aw.err
}

// archiveWriter writes records and hashes them; its first error sticks.
type archiveWriter struct {
	w   io.Writer
	sum hash.Hash
	err error
}

func (a *archiveWriter) raw(b []byte) {
	if a.err != nil {
		return
	}
	a.sum.Write(b)
	_, a.err = a.w.Write(b)
}

func (a *archiveWriter) record(kind byte, v any) {
	if a.err != nil {
		return
	}
	b, err := bson.Marshal(v)
	if err != nil {
		a.err = err
		return
	}
	if kind == recTrailer {
		// The trailer is not part of its own hash.
		if _, a.err = a.w.Write([]byte{kind}); a.err == nil {
			_, a.err = a.w.Write(b)
		}
		return
	}
	a.raw([]byte{kind})
	a.raw(b)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
