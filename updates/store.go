package updates

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// The collections: a cursor per campaign, and the claims of its moves.
const (
	cursorsCollection = "update_cursors"
	claimsCollection  = "update_claims"
	// startID is the cursor collection's document that says when updates
	// began to be sent: what was public before is never told.
	startID = "!start"
)

// cursorDoc is a campaign's cursor. Every move raises Version, with a
// replace that names the version it replaces, and is owned through a claim
// record of that version (internal/claim): the embedded database's
// conditional replace is not atomic.
type cursorDoc struct {
	ID      string `bson:"_id"` // the campaign's ID
	Version int    `bson:"version"`
	// Done are the items told of ("e:" or "p:" and an ID).
	Done []string `bson:"done"`
	// Notice numbers the latest notice, from 1.
	Notice int `bson:"notice"`
	// Items are the notice being sent, until it is queued to everyone;
	// LeaseUntil is when another node may take it over.
	Items      []string  `bson:"items,omitempty"`
	LeaseUntil time.Time `bson:"lease_until,omitempty"`
}

// Prepare records when updates began, once: the items public before then
// are never told of, so that a database from before updates does not send
// its whole history. The cursors need no index: they are read by _id.
func (n *Notifier) Prepare(ctx context.Context) error {
	_, err := n.cursors.InsertOne(ctx, bson.M{"_id": startID, "at": n.opts.Now().UTC()})
	if err != nil && !database.IsDuplicate(err) {
		return fmt.Errorf("record when updates began: %w", err)
	}
	return nil
}

// start is when updates began (Prepare).
func (n *Notifier) start(ctx context.Context) (time.Time, error) {
	var d struct {
		At time.Time `bson:"at"`
	}
	if err := n.cursors.FindOne(ctx, bson.M{"_id": startID}).Decode(&d); err != nil {
		return time.Time{}, fmt.Errorf("read when updates began: %w", err)
	}
	return d.At, nil
}

// cursor reads the campaign's cursor; a campaign without one has told of
// nothing.
func (n *Notifier) cursor(ctx context.Context, campaignID string) (*cursorDoc, error) {
	d := &cursorDoc{ID: campaignID}
	err := n.cursors.FindOne(ctx, bson.M{"_id": campaignID}).Decode(d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the cursor: %w", err)
	}
	return d, nil
}

// advance stores cur as the next version of the cursor and reports
// whether this node owns the move; another node's move in between loses
// it, as does a claim record another node inserted first.
func (n *Notifier) advance(ctx context.Context, cur *cursorDoc) (bool, error) {
	prev := cur.Version
	cur.Version++
	res, err := n.cursors.ReplaceOne(ctx, bson.M{"_id": cur.ID, "version": prev}, cur, options.Replace().SetUpsert(true))
	switch {
	case database.IsDuplicate(err):
		return false, nil // the cursor is at another version
	case err != nil:
		return false, fmt.Errorf("move the cursor: %w", err)
	case res.MatchedCount == 0 && res.UpsertedCount == 0:
		return false, nil
	}
	return n.claims.Own(ctx, "update/"+cur.ID, cur.Version)
}
