package mail

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// Count is how many messages stand where, of one kind or of all.
type Count struct {
	Kind Kind
	// Waiting are queued for a first try, Retrying queued after a failed
	// one, Sending claimed by a worker.
	Waiting, Retrying, Sending int64
	// Sent and Failed (given up) are counted since the queue began.
	Sent, Failed int64
}

// Status is the queue's state for the console. It holds no address.
type Status struct {
	// Sends is whether this node has a transport; without one, messages
	// wait until a node with one sends them.
	Sends bool
	Total Count
	// Kinds are the counts by kind, by name.
	Kinds []Count
	// OldestWaiting is when the oldest message still to send was queued;
	// zero when none is.
	OldestWaiting time.Time
	// LastError is the last failure, without addresses, and when it was.
	LastError   string
	LastErrorAt time.Time
}

// Status reads the queue's state: the messages still queued (few: sent
// ones leave the queue) and the counters of those that left it.
func (q *Queue) Status(ctx context.Context) (Status, error) {
	st := Status{Sends: q.opts.Transport != nil}
	kinds := map[Kind]*Count{}
	count := func(k Kind) *Count {
		if kinds[k] == nil {
			kinds[k] = &Count{Kind: k}
		}
		return kinds[k]
	}
	cur, err := q.store.queue.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{
		"kind": 1, "state": 1, "attempt": 1, "created_at": 1}))
	if err != nil {
		return st, fmt.Errorf("read the mail queue: %w", err)
	}
	var queued []stored
	if err := cur.All(ctx, &queued); err != nil {
		return st, fmt.Errorf("read the mail queue: %w", err)
	}
	for _, d := range queued {
		c := count(d.Kind)
		switch {
		case d.State == StateSending:
			c.Sending++
		case d.Attempt > 0:
			c.Retrying++
		default:
			c.Waiting++
		}
		if st.OldestWaiting.IsZero() || d.CreatedAt.Before(st.OldestWaiting) {
			st.OldestWaiting = d.CreatedAt
		}
	}
	var totals bson.Raw
	err = q.store.stats.FindOne(ctx, bson.M{"_id": statsID}).Decode(&totals)
	if err != nil && !database.IsNotFound(err) {
		return st, fmt.Errorf("read the mail counters: %w", err)
	}
	if totals != nil {
		for _, state := range []State{StateSent, StateFailed} {
			var byKind map[string]int64
			if v, err := totals.LookupErr(string(state)); err == nil {
				if err := v.Unmarshal(&byKind); err != nil {
					return st, fmt.Errorf("read the mail counters: %w", err)
				}
			}
			for k, n := range byKind {
				if state == StateSent {
					count(Kind(k)).Sent += n
				} else {
					count(Kind(k)).Failed += n
				}
			}
		}
		st.LastError, _ = totals.Lookup("last_error").StringValueOK()
		if v, ok := totals.Lookup("last_error_at").DateTimeOK(); ok {
			st.LastErrorAt = time.UnixMilli(v).UTC()
		}
	}
	for _, c := range kinds {
		st.Kinds = append(st.Kinds, *c)
		st.Total.Waiting += c.Waiting
		st.Total.Retrying += c.Retrying
		st.Total.Sending += c.Sending
		st.Total.Sent += c.Sent
		st.Total.Failed += c.Failed
	}
	slices.SortFunc(st.Kinds, func(a, b Count) int {
		switch {
		case a.Kind < b.Kind:
			return -1
		case a.Kind > b.Kind:
			return 1
		}
		return 0
	})
	return st, nil
}
