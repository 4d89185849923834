package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Errors of reading and restoring a backup; callers branch with errors.Is.
var (
	// ErrWrongIdentity: none of the identities given opens the backup.
	ErrWrongIdentity = errors.New("the identity does not open this backup: it was encrypted to other public keys")
	// ErrNotBackup: the file is not an age-encrypted solidarity backup, or
	// its beginning is damaged.
	ErrNotBackup = errors.New("not a solidarity backup")
	// ErrDamaged: the file is cut short or was changed after it was
	// written.
	ErrDamaged = errors.New("the backup is damaged or incomplete")
	// ErrNewer: the backup was written by a newer solidarity, in a format
	// or of a schema version this one cannot restore.
	ErrNewer = errors.New("the backup is newer than this version of solidarity")
	// ErrNotEmpty: the database to restore into holds data.
	ErrNotEmpty = errors.New("the database is not empty")
	// ErrPartial: a restore failed after it had begun to write.
	ErrPartial = errors.New("the database is partly restored")
)

// archiveReader reads an archive's records and hashes them.
type archiveReader struct {
	r   *bufio.Reader
	sum hash.Hash
	n   int64
}

// openArchive decrypts and decompresses src and reads the magic line.
func openArchive(src io.Reader, ids []age.Identity) (*archiveReader, func(), error) {
	if len(ids) == 0 {
		return nil, nil, errors.New("no identity to open the backup with")
	}
	dec, err := age.Decrypt(src, ids...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, nil, ErrWrongIdentity
		}
		return nil, nil, fmt.Errorf("%w: it is not an age-encrypted file, or its beginning is damaged (%v)", ErrNotBackup, err)
	}
	zr, err := zstd.NewReader(dec, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	a := &archiveReader{r: bufio.NewReaderSize(zr, 256<<10), sum: sha256.New()}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(a.r, head); err != nil {
		zr.Close()
		if errors.Is(err, zstd.ErrMagicMismatch) {
			return nil, nil, fmt.Errorf("%w: the file decrypts, but is not a solidarity backup", ErrNotBackup)
		}
		return nil, nil, damaged(err)
	}
	if string(head) != magic {
		zr.Close()
		return nil, nil, fmt.Errorf("%w: the file decrypts, but is not a solidarity backup", ErrNotBackup)
	}
	a.sum.Write(head)
	a.n = int64(len(head))
	return a, zr.Close, nil
}

// damaged describes an error met inside the encrypted stream: age's
// authentication failing (a changed byte), or an early end (a cut file).
func damaged(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the file ends too early (cut short)", ErrDamaged)
	}
	return fmt.Errorf("%w: %v", ErrDamaged, err)
}

// next reads one record. At the end of the archive it returns io.EOF; the
// trailer is returned unhashed, with the hash of what came before it.
func (a *archiveReader) next() (kind byte, doc bson.Raw, sumBefore []byte, err error) {
	kind, err = a.r.ReadByte()
	if err == io.EOF {
		return 0, nil, nil, io.EOF
	}
	if err != nil {
		return 0, nil, nil, damaged(err)
	}
	var length [4]byte
	if _, err := io.ReadFull(a.r, length[:]); err != nil {
		return 0, nil, nil, damaged(err)
	}
	n := int(binary.LittleEndian.Uint32(length[:]))
	if n < 5 || n > maxRecord {
		return 0, nil, nil, fmt.Errorf("%w: a record of %d bytes at byte %d", ErrDamaged, n, a.n)
	}
	doc = make(bson.Raw, n)
	copy(doc, length[:])
	if _, err := io.ReadFull(a.r, doc[4:]); err != nil {
		return 0, nil, nil, damaged(err)
	}
	if err := doc.Validate(); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: a record at byte %d is not valid BSON: %v", ErrDamaged, a.n, err)
	}
	if kind == recTrailer {
		sumBefore = a.sum.Sum(nil)
	} else {
		a.sum.Write([]byte{kind})
		a.sum.Write(doc)
	}
	a.n += int64(1 + n)
	return kind, doc, sumBefore, nil
}

// visitor is told of an archive's parts as they are read; nil funcs are
// skipped. An error from one stops the reading.
type visitor struct {
	header     func(Header) error
	collection func(name string, indexes []bson.Raw) error
	document   func(bson.Raw) error
	end        func(name string, count int64) error
}

// read reads the whole archive, checks its structure, counts and hash,
// and tells v of its parts. Nothing is taken as valid until the trailer
// checked out: a caller that wrote what it was told must say so when read
// fails.
func read(src io.Reader, ids []age.Identity, v visitor) (Summary, error) {
	a, closeFn, err := openArchive(src, ids)
	if err != nil {
		return Summary{}, err
	}
	defer closeFn()
	var s Summary
	kind, doc, _, err := a.next()
	if err != nil {
		return s, damaged(err)
	}
	if kind != recHeader {
		return s, fmt.Errorf("%w: it does not begin with a header", ErrDamaged)
	}
	if err := bson.Unmarshal(doc, &s.Header); err != nil {
		return s, fmt.Errorf("%w: header: %v", ErrDamaged, err)
	}
	if s.Header.Format > FormatVersion || s.Header.Format < 1 {
		return s, fmt.Errorf("%w: archive format %d, this version reads format %d", ErrNewer, s.Header.Format, FormatVersion)
	}
	if v.header != nil {
		if err := v.header(s.Header); err != nil {
			return s, err
		}
	}
	var (
		current string // the open collection; "" between collections
		count   int64
	)
	for {
		kind, doc, sumBefore, err := a.next()
		if err == io.EOF {
			return s, fmt.Errorf("%w: the file ends before its trailer (cut short)", ErrDamaged)
		}
		if err != nil {
			return s, err
		}
		switch {
		case kind == recCollection && current == "":
			var c collectionStart
			if err := bson.Unmarshal(doc, &c); err != nil || c.Name == "" {
				return s, fmt.Errorf("%w: a collection record at byte %d cannot be read", ErrDamaged, a.n)
			}
			current, count = c.Name, 0
			if v.collection != nil {
				if err := v.collection(c.Name, c.Indexes); err != nil {
					return s, err
				}
			}
		case kind == recDocument && current != "":
			count++
			if v.document != nil {
				if err := v.document(doc); err != nil {
					return s, err
				}
			}
		case kind == recEnd && current != "":
			var e CollectionCount
			if err := bson.Unmarshal(doc, &e); err != nil || e.Name != current || e.Count != count {
				return s, fmt.Errorf("%w: collection %s: %d documents read, its end record says otherwise", ErrDamaged, current, count)
			}
			if v.end != nil {
				if err := v.end(current, count); err != nil {
					return s, err
				}
			}
			s.Collections = append(s.Collections, e)
			s.Documents += count
			current = ""
		case kind == recTrailer && current == "":
			var t trailer
			if err := bson.Unmarshal(doc, &t); err != nil {
				return s, fmt.Errorf("%w: the trailer cannot be read", ErrDamaged)
			}
			if !bytes.Equal(t.SHA256, sumBefore) {
				return s, fmt.Errorf("%w: its SHA-256 is not the one its trailer records (changed after it was written)", ErrDamaged)
			}
			if t.Documents != s.Documents || !sameCounts(t.Collections, s.Collections) {
				return s, fmt.Errorf("%w: the trailer's counts are not those of the records", ErrDamaged)
			}
			if _, err := a.r.ReadByte(); err != io.EOF {
				return s, fmt.Errorf("%w: data after the trailer", ErrDamaged)
			}
			s.Bytes = a.n
			return s, nil
		default:
			return s, fmt.Errorf("%w: unexpected record %q at byte %d", ErrDamaged, kind, a.n)
		}
	}
}

func sameCounts(a, b []CollectionCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Verify decrypts the backup in src with ids and checks all of it: its
// structure, every collection's count and the SHA-256 of its trailer. It
// returns what the backup holds.
func Verify(src io.Reader, ids []age.Identity) (Summary, error) {
	return read(src, ids, visitor{})
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// MaxSchema is the newest schema version this binary's migrations
	// know; a backup of a newer one is refused.
	MaxSchema int
	// Replace drops the backup's collections from a database that holds
	// data, instead of refusing it.
	Replace bool
	// Say is told what Restore does that an operator should know (the
	// collections it drops); nil: nothing is said.
	Say func(string)
}

// insertBatch bounds a batch of inserted documents, by count and size.
const (
	insertBatch      = 1000
	insertBatchBytes = 8 << 20
)

// Restore loads the backup that open opens into db. It reads the backup
// twice: once to check all of it (Verify) before anything is written,
// then to load it. It refuses a backup of a schema newer than
// opts.MaxSchema and, unless opts.Replace, a database that holds any
// document. Each collection is created, filled in the backup's order in
// batches, and given the indexes it had when it was backed up. An error
// after the first write is wrapped in ErrPartial: the database then holds
// part of the backup, and a restore with Replace starts over.
func Restore(ctx context.Context, db *mongo.Database, open func() (io.ReadCloser, error), ids []age.Identity, opts RestoreOptions) (Summary, error) {
	if opts.Say == nil {
		opts.Say = func(string) {}
	}
	src, err := open()
	if err != nil {
		return Summary{}, err
	}
	s, err := Verify(src, ids)
	src.Close()
	if err != nil {
		return s, err
	}
	if s.Header.Schema > opts.MaxSchema {
		return s, fmt.Errorf("%w: its database is at schema version %d, this version of solidarity knows up to %d; restore it with a release at least as new",
			ErrNewer, s.Header.Schema, opts.MaxSchema)
	}
	if err := prepareTarget(ctx, db, s.Header.Collections, opts); err != nil {
		return s, err
	}
	src, err = open()
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrPartial, err)
	}
	defer src.Close()
	l := &loader{ctx: ctx, db: db}
	loaded, err := read(src, ids, visitor{collection: l.begin, document: l.add, end: l.finish})
	if err != nil {
		return s, fmt.Errorf("%w (%d of %d documents written): %w", ErrPartial, l.written, s.Documents, err)
	}
	return loaded, nil
}

// prepareTarget refuses a database with data unless opts.Replace, and
// then drops the backup's collections from it.
func prepareTarget(ctx context.Context, db *mongo.Database, backedUp []string, opts RestoreOptions) error {
	names, err := collections(ctx, db)
	if err != nil {
		return err
	}
	var full []string
	for _, n := range names {
		err := db.Collection(n).FindOne(ctx, bson.D{}).Err()
		switch {
		case err == nil:
			full = append(full, n)
		case !database.IsNotFound(err):
			return fmt.Errorf("restore: look into %s: %w", n, err)
		}
	}
	if len(full) == 0 {
		return nil
	}
	if !opts.Replace {
		shown := full
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		return fmt.Errorf("%w: %s holds data in %d collections (%s); restore loads into an empty database only, "+
			"or run it again with --replace to drop the backup's collections from it first (what they hold now is lost)",
			ErrNotEmpty, db.Name(), len(full), strings.Join(shown, ", "))
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	dropped := 0
	for _, n := range backedUp {
		if !have[n] {
			continue
		}
		if err := db.Collection(n).Drop(ctx); err != nil {
			return fmt.Errorf("restore: drop %s: %w", n, err)
		}
		dropped++
	}
	opts.Say(fmt.Sprintf("--replace: dropped %d collections of %s that the backup holds, before loading it", dropped, db.Name()))
	return nil
}

// loader writes a backup's collections as read.
type loader struct {
	ctx     context.Context
	db      *mongo.Database
	coll    *mongo.Collection
	indexes []bson.Raw
	batch   []any
	size    int
	written int64
}

func (l *loader) begin(name string, indexes []bson.Raw) error {
	if err := database.EnsureCollection(l.ctx, l.db, name); err != nil {
		return err
	}
	l.coll, l.indexes, l.batch, l.size = l.db.Collection(name), indexes, l.batch[:0], 0
	return nil
}

func (l *loader) add(doc bson.Raw) error {
	l.batch = append(l.batch, doc)
	l.size += len(doc)
	if len(l.batch) >= insertBatch || l.size >= insertBatchBytes {
		return l.flush()
	}
	return nil
}

func (l *loader) flush() error {
	if len(l.batch) == 0 {
		return nil
	}
	res, err := l.coll.InsertMany(l.ctx, l.batch)
	if res != nil {
		l.written += int64(len(res.InsertedIDs))
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", l.coll.Name(), err)
	}
	clear(l.batch)
	l.batch, l.size = l.batch[:0], 0
	return nil
}

// finish writes what is left of the collection and creates its indexes,
// after the data: faster on both databases than keeping them up to date
// document by document.
func (l *loader) finish(name string, _ int64) error {
	if err := l.flush(); err != nil {
		return err
	}
	var specs bson.A
	for _, ix := range l.indexes {
		spec, ok, err := indexSpec(ix)
		if err != nil {
			return fmt.Errorf("index of %s: %w", name, err)
		}
		if ok {
			specs = append(specs, spec)
		}
	}
	if len(specs) == 0 {
		return nil
	}
	cmd := bson.D{{Key: "createIndexes", Value: name}, {Key: "indexes", Value: specs}}
	if err := l.db.RunCommand(l.ctx, cmd).Err(); err != nil {
		return fmt.Errorf("create the indexes of %s: %w", name, err)
	}
	return nil
}

// indexSpec turns an index as listIndexes described it into one for
// createIndexes: without the server's own fields (v, ns). The _id index
// comes with every collection: ok is false for it.
func indexSpec(ix bson.Raw) (bson.D, bool, error) {
	if name, _ := ix.Lookup("name").StringValueOK(); name == "_id_" {
		return nil, false, nil
	}
	elems, err := ix.Elements()
	if err != nil {
		return nil, false, err
	}
	var spec bson.D
	for _, e := range elems {
		switch e.Key() {
		case "v", "ns":
			continue
		}
		spec = append(spec, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return spec, true, nil
}
