package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// storedEntry is an Entry as the database keeps it: the detail, which may
// name a person (a bundle's contents, an erased signature), sealed.
type storedEntry struct {
	ID     bson.ObjectID `bson:"_id,omitempty"`
	At     time.Time     `bson:"at"`
	Actor  string        `bson:"actor"`
	Action Action        `bson:"action"`
	Target string        `bson:"target"`
	Detail sealed.Text   `bson:"detail,omitempty"`
}

func detailAAD(id bson.ObjectID) []byte { return sealed.AAD("audit", id.Hex(), "detail") }

// Fields names the sealed fields of the log, for the migration and key
// rotation (see package reseal).
func (l *Log) Fields() sealed.Fields {
	return sealed.Fields{Collection: l.entries, Paths: []string{"detail"}}
}

// Log is the audit log in MongoDB. It has no way to change or delete
// entries.
type Log struct {
	entries *mongo.Collection
	now     func() time.Time
	// keys seal what an entry's detail may say about a person.
	keys *seal.Keyring
}

// NewLog returns the audit log of db, sealing personal details with keys.
func NewLog(db *mongo.Database, keys *seal.Keyring, now func() time.Time) *Log {
	return &Log{entries: db.Collection("audit"), keys: keys, now: now}
}

// Record appends an entry, stamped with the time now.
func (l *Log) Record(ctx context.Context, actor string, action Action, target, detail string) error {
	e := storedEntry{ID: bson.NewObjectID(), At: l.now().UTC(), Actor: actor, Action: action, Target: target}
	var err error
	if e.Detail, err = sealed.Seal(l.keys, detail, detailAAD(e.ID)); err != nil {
		return fmt.Errorf("record %s in audit log: %w", action, err)
	}
	if _, err := l.entries.InsertOne(ctx, e); err != nil {
		return fmt.Errorf("record %s in audit log: %w", action, err)
	}
	return nil
}

// Cursor is where a page of the log ends: the next page holds the entries
// older than it. The zero Cursor asks for the newest entries.
type Cursor struct {
	// before is the ID of the last entry shown. ObjectIDs grow with time,
	// so paging by them needs no skip.
	before bson.ObjectID
}

// ParseCursor reads a cursor as Cursor.String wrote it; "" is the zero
// Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	id, err := bson.ObjectIDFromHex(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("audit log cursor %q: %w", s, err)
	}
	return Cursor{before: id}, nil
}

// String is the cursor as text for a link, "" for the zero Cursor.
func (c Cursor) String() string {
	if c.before.IsZero() {
		return ""
	}
	return c.before.Hex()
}

// IsZero reports whether c is the zero Cursor: for a next page, that there
// is none.
func (c Cursor) IsZero() bool { return c.before.IsZero() }

// Page returns up to limit entries, newest first, older than from (the
// newest when from is zero), and the cursor of the next, older page: zero
// when this page has fewer than limit entries.
func (l *Log) Page(ctx context.Context, from Cursor, limit int) ([]Entry, Cursor, error) {
	filter := bson.M{}
	if !from.before.IsZero() {
		filter["_id"] = bson.M{"$lt": from.before}
	}
	cur, err := l.entries.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("read audit log: %w", err)
	}
	var stored []storedEntry
	if err := cur.All(ctx, &stored); err != nil {
		return nil, Cursor{}, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]Entry, len(stored))
	for i, st := range stored {
		detail, err := st.Detail.Open(l.keys, detailAAD(st.ID))
		if err != nil {
			return nil, Cursor{}, fmt.Errorf("read audit entry %s: %w", st.ID.Hex(), err)
		}
		out[i] = Entry{At: st.At, Actor: st.Actor, Action: st.Action, Target: st.Target, Detail: detail}
	}
	var next Cursor
	if len(stored) == limit && limit > 0 {
		next = Cursor{before: stored[len(stored)-1].ID}
	}
	return out, next, nil
}
