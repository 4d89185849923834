package letters

import (
	"context"
	"fmt"
	"slices"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// createBatch stores a batch of new greetings and lists them, and does a
// rehearsal's writes on the decoys (record.go), in one unordered
// InsertMany per collection whatever the batch's size: the texts' claims,
// the greetings and their queue entries, for the real ones and for the
// decoys. It returns each one's result. A greeting whose ID is stored
// already is ErrDuplicate, and the stored one stays as it is.
//
// A new greeting is in no list yet, so its entries are inserted rather
// than upserted as sync does: on the embedded database an update scans
// the whole list, and signing must not slow down as the queue grows.
//
// A claim is read back even when the insert made it, and a rehearsal
// reads the real claim of its text, so that the number of reads does not
// tell whether a text was claimed before.
func (s *Store) createBatch(ctx context.Context, batch []*pendingGreeting) []error {
	errs := make([]error, len(batch))
	// A rehearsal's claim collides when the real one exists.
	var realClaims, decoyClaims insertion
	for i, p := range batch {
		switch {
		case p.rehearsal && p.key != "":
			id := "decoy/" + p.g.TextKey
			err := s.texts.FindOne(ctx, bson.M{"_id": p.campaignID + "/" + s.tag(p.key)}).Err()
			switch {
			case err == nil:
				id = campaign.CollideID
			case !database.IsNotFound(err):
				errs[i] = fmt.Errorf("rehearse greeting claim: %w", err)
				continue
			}
			decoyClaims.add(i, bson.D{{Key: "_id", Value: id}, {Key: "greeting_id", Value: p.g.ID}})
		case !p.rehearsal && p.g.TextKey != "":
			realClaims.add(i, bson.D{{Key: "_id", Value: s.claimID(p.g)}, {Key: "greeting_id", Value: p.g.ID}})
		}
	}
	realClaims.insert(ctx, s.texts, errs, true, "claim greeting text")
	decoyClaims.insert(ctx, s.decoy(s.texts), errs, true, "rehearse greeting claim")
	var greetings, decoys insertion
	for i, p := range batch {
		if errs[i] != nil {
			continue
		}
		coll := greetingsCollection
		if p.rehearsal {
			coll = s.decoy(s.greetings).Name()
		} else if err := s.finishCheck(ctx, p); err != nil {
			errs[i] = err
			continue
		}
		d, err := s.sealGreeting(coll, p.g)
		if err != nil {
			errs[i] = err
			continue
		}
		if p.rehearsal {
			decoys.add(i, d)
		} else {
			greetings.add(i, d)
		}
	}
	greetings.insert(ctx, s.greetings, errs, false, "record greeting")
	decoys.insert(ctx, s.decoy(s.greetings), errs, false, "rehearse greeting")
	// List entries of the greetings just stored (a new greeting is
	// pending: queued, not for translation, but listed says).
	var queue, translate, decoyQueue insertion
	list := func(to *insertion, c *mongo.Collection, i int, g *Greeting) {
		d, err := s.sealGreeting(c.Name(), g)
		if err != nil {
			errs[i] = err
			return
		}
		to.add(i, d)
	}
	for i, p := range batch {
		if errs[i] != nil {
			continue
		}
		if p.rehearsal {
			list(&decoyQueue, s.decoy(s.queue), i, p.g)
			continue
		}
		inQueue, inTranslate := listed(p.g)
		if inQueue {
			list(&queue, s.queue, i, p.g)
		}
		if inTranslate {
			list(&translate, s.translate, i, p.g)
		}
	}
	// An entry left by an earlier failure is the same greeting's.
	queue.insert(ctx, s.queue, errs, true, "list greeting")
	translate.insert(ctx, s.translate, errs, true, "list greeting")
	decoyQueue.insert(ctx, s.decoy(s.queue), errs, true, "rehearse greeting")
	return errs
}

// finishCheck completes a new greeting's check with its text's claim,
// read back: a text claimed by another greeting is flagged a duplicate.
func (s *Store) finishCheck(ctx context.Context, p *pendingGreeting) error {
	g := p.g
	if g.TextKey != "" {
		var first struct {
			GreetingID string `bson:"greeting_id"`
		}
		if err := s.texts.FindOne(ctx, bson.M{"_id": s.claimID(g)}).Decode(&first); err != nil {
			return fmt.Errorf("claim greeting text: %w", err)
		}
		if first.GreetingID != g.ID {
			g.Flags = append(g.Flags, FlagDuplicate)
			slices.SortStableFunc(g.Flags, func(a, b Flag) int { return slices.Index(Flags, a) - slices.Index(Flags, b) })
		}
	}
	g.Flagged = len(g.Flags) > 0
	g.NeedsTranslation = NeedsTranslation(g.Language, g.Flags, p.languages)
	g.Checked = true
	return nil
}

// claimID is the _id of the claim of g's text.
func (s *Store) claimID(g *Greeting) string { return g.CampaignID + "/" + s.tag(g.TextKey) }

// insertion gathers the documents of a batch's items for one collection.
type insertion struct {
	at   []int
	docs []any
}

func (n *insertion) add(i int, doc any) {
	n.at = append(n.at, i)
	n.docs = append(n.docs, doc)
}

// insert writes the documents in one unordered InsertMany and sets the
// errors of the items whose document failed; with dupOK a document
// stored already is no error, else it is ErrDuplicate.
func (n *insertion) insert(ctx context.Context, c *mongo.Collection, errs []error, dupOK bool, what string) {
	for j, err := range database.InsertEach(ctx, c, n.docs) {
		switch {
		case err == nil, dupOK && database.IsDuplicate(err):
		case database.IsDuplicate(err):
			errs[n.at[j]] = fmt.Errorf("%s: %w", what, ErrDuplicate)
		default:
			errs[n.at[j]] = fmt.Errorf("%s: %w", what, err)
		}
	}
}
