package mail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// aboutOf is the stored form of a reference of Message.About: a keyed
// hash, so that the queue does not name the signature a message is for.
func (q *Queue) aboutOf(ref string) string {
	m := hmac.New(sha256.New, q.idKey)
	m.Write([]byte("about\x00" + ref))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Cancel deletes the messages still queued that are about ref (one of
// their Message.About), those waiting and those claimed by a worker that
// has not handed them to the transport yet, and returns how many it
// deleted. A message already handed over goes out all the same. Their
// keys are not marked as sent: a message enqueued again later is sent.
func (q *Queue) Cancel(ctx context.Context, ref string) (int, error) {
	// The queue holds only waiting messages: a scan on the embedded
	// database, but a short one.
	cur, err := q.store.queue.Find(ctx, bson.M{"about": q.aboutOf(ref)},
		options.Find().SetProjection(bson.M{"_id": 1, "kind": 1, "attempt": 1, "claim": 1}))
	if err != nil {
		return 0, fmt.Errorf("find messages to cancel: %w", err)
	}
	var found []stored
	if err := cur.All(ctx, &found); err != nil {
		return 0, fmt.Errorf("find messages to cancel: %w", err)
	}
	n := 0
	for i := range found {
		d := &found[i]
		if err := q.store.drop(ctx, d); err != nil {
			return n, fmt.Errorf("cancel: %w", err)
		}
		q.opts.Log.Info("mail cancelled", "kind", d.Kind, "id", d.ID)
		n++
	}
	return n, nil
}
