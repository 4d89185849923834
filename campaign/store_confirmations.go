package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The confirmation messages' queue (confirm_worker.go) is the pending
// signatures themselves: a signing that is to send a message sets Send to
// sendDue, with the sealed link and the language, in the update that
// claims the message (claimPending). The worker finds those by the index
// on Send, an index search on the embedded database that reads the
// waiting ones only, and holds the fields until the message is queued.

// sendDue is the value of Send while a message waits.
const sendDue = "due"

// dueConfirmation is a waiting message as the worker's look sees it: the
// pending signature, the message (by the time of its claim) and the try.
type dueConfirmation struct {
	ID     string    `bson:"_id"`
	SentAt time.Time `bson:"sent_at"`
	Try    int       `bson:"send_try"`
}

// confirmMessage is a message a worker took: its pending signature's _id,
// the message's time and try, and what it says, opened.
type confirmMessage struct {
	dueConfirmation
	campaignID string
	to, lang   string
	link       string
}

// key names the message in the mail queue: one per pending signature and
// claim, so that a message queued twice (a worker that stopped before it
// recorded the first) is sent once.
func (m *confirmMessage) key() string {
	return "confirm:" + m.ID + ":" + m.SentAt.UTC().Format("20060102150405.000")
}

// job names the message for the claim records.
func (m *confirmMessage) job() string {
	return m.ID + "@" + m.SentAt.UTC().Format("20060102150405.000")
}

// dueConfirmations returns up to limit messages a worker may take at now:
// waiting, and not held by a worker whose lease runs.
func (s *Store) dueConfirmations(ctx context.Context, now time.Time, limit int) ([]dueConfirmation, error) {
	cur, err := s.pending().Find(ctx, bson.D{{Key: "send", Value: sendDue}, {Key: "send_due", Value: bson.D{{Key: "$lte", Value: now}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "sent_at", Value: 1}, {Key: "send_try", Value: 1}}).
			SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find due confirmation messages: %w", err)
	}
	var out []dueConfirmation
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read due confirmation messages: %w", err)
	}
	return out, nil
}

// confirmFilter matches the pending signature of d while its message is
// the one d names, in the try d saw. Send leads the filter's strings, so
// that the embedded database searches its index.
func confirmFilter(d dueConfirmation) bson.D {
	return bson.D{{Key: "send", Value: sendDue}, {Key: "_id", Value: d.ID}, {Key: "sent_at", Value: d.SentAt}, {Key: "send_try", Value: d.Try}}
}

// takeConfirmation claims the message d for one more try, leased until
// now+lease, and returns it opened; nil when another worker took it
// first, or a signing claimed a newer message meanwhile (a later look
// finds that one). The update is atomic on MongoDB and under the write
// lock on the embedded database; the claim record (package claim) makes
// one worker of several the owner of the try on both.
func (s *Store) takeConfirmation(ctx context.Context, d dueConfirmation, now time.Time, lease time.Duration) (*confirmMessage, error) {
	var doc storedPending
	err := s.withCounterLock(ctx, func(ctx context.Context) error {
		return s.pending().FindOneAndUpdate(ctx, append(confirmFilter(d), bson.E{Key: "send_due", Value: bson.D{{Key: "$lte", Value: now}}}),
			bson.D{{Key: "$set", Value: bson.D{{Key: "send_due", Value: now.Add(lease)}}}, {Key: "$inc", Value: bson.D{{Key: "send_try", Value: 1}}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	})
	if err = mapError(err); errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take confirmation message: %w", err)
	}
	m := &confirmMessage{dueConfirmation: dueConfirmation{ID: doc.ID, SentAt: doc.SentAt, Try: doc.SendTry}, campaignID: doc.CampaignID, lang: doc.MailLang}
	won, err := s.pendingClaims().Own(ctx, m.job(), m.Try)
	if err != nil || !won {
		return nil, err
	}
	if m.to, err = doc.Email.Open(s.keys, pendingAAD(doc.ID, pendingEmail)); err != nil {
		return m, fmt.Errorf("open the address of pending signature %s: %w", doc.ID, err)
	}
	if m.link, err = doc.Link.Open(s.keys, pendingAAD(doc.ID, pendingLink)); err != nil {
		return m, fmt.Errorf("open the link of pending signature %s: %w", doc.ID, err)
	}
	return m, nil
}

// finishConfirmation records that the message m took is queued (or given
// up): the pending signature no longer waits for it, and its link is
// deleted. A newer message claimed meanwhile stays: the filter names m's.
func (s *Store) finishConfirmation(ctx context.Context, m *confirmMessage) error {
	err := s.withCounterLock(ctx, func(ctx context.Context) error {
		_, err := s.pending().UpdateOne(ctx, confirmFilter(m.dueConfirmation), bson.D{{Key: "$unset", Value: bson.D{
			{Key: "send", Value: ""}, {Key: "send_due", Value: ""}, {Key: "send_try", Value: ""},
			{Key: "mail_lang", Value: ""}, {Key: "link", Value: ""},
		}}})
		return err
	})
	if err != nil {
		return fmt.Errorf("record the confirmation message of %s: %w", m.ID, err)
	}
	return s.pendingClaims().Release(ctx, m.job(), m.Try)
}
