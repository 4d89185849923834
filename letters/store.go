package letters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names.
const (
	greetingsCollection = "greetings"
	// textsCollection holds one document per campaign and duplicate key,
	// _id "<campaign>/<key>", naming the first greeting with that text, so
	// that a duplicate is found by an insert that collides, without a query.
	textsCollection = "greeting_texts"
	// queueCollection holds a copy of each pending greeting, and
	// translateCollection of each approved one waiting for an approved
	// translation: small collections that the console's lists read
	// instead of every greeting.
	queueCollection     = "greeting_queue"
	translateCollection = "greeting_translations"
)

// Store keeps greetings in MongoDB.
//
// On the embedded database only reads by _id are pushed down: every other
// filter, sort and count, and every update, scans the collection, and
// even a read by _id takes longer as the collection grows. So the
// console's lists (the moderation queue, the greetings to translate) are
// kept as small collections of their own, holding a copy of each listed
// greeting, which the store updates with each change of a greeting,
// repairs when a change finds it stale, and Service.Repair puts right
// after each start.
type Store struct {
	greetings *mongo.Collection
	texts     *mongo.Collection
	queue     *mongo.Collection
	translate *mongo.Collection
	// shown holds the lists of the campaigns' public greetings, and
	// writes guards their compare-and-set writes (SetWriteLock).
	shown  *mongo.Collection
	writes sync.Locker
	// keys seal greeting texts and every copy of them.
	keys *seal.Keyring
}

// NewStore returns a store over db's collections that seals greeting texts
// with keys.
func NewStore(db *mongo.Database, keys *seal.Keyring) *Store {
	return &Store{
		keys:      keys,
		greetings: db.Collection(greetingsCollection),
		texts:     db.Collection(textsCollection),
		queue:     db.Collection(queueCollection),
		translate: db.Collection(translateCollection),
		shown:     db.Collection(shownCollection),
		writes:    &sync.Mutex{},
	}
}

// EnsureIndexes creates the store's indexes; it is safe to call again. A
// new index comes with a new migration (app/migrations.go).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	// One at a time: the embedded database drops the connection when
	// given several in one command.
	for _, ix := range []struct {
		c *mongo.Collection
		m mongo.IndexModel
	}{
		{s.greetings, mongo.IndexModel{
			Keys:    bson.D{{Key: "campaign_id", Value: 1}, {Key: "status", Value: 1}, {Key: "created_at", Value: 1}},
			Options: options.Index().SetName("campaign_status_created"),
		}},
		{s.queue, mongo.IndexModel{
			Keys:    bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}},
			Options: options.Index().SetName("created_id"),
		}},
		{s.translate, mongo.IndexModel{
			Keys:    bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}},
			Options: options.Index().SetName("created_id"),
		}},
	} {
		if _, err := ix.c.Indexes().CreateOne(ctx, ix.m); err != nil {
			return fmt.Errorf("create greeting index: %w", err)
		}
	}
	return nil
}

// listed reports in which lists a greeting belongs. A greeting not
// checked yet is in none: nobody decides on it before its flags are known
// (Service.Repair).
func listed(g *Greeting) (queue, translate bool) {
	if !g.Checked {
		return false, false
	}
	return g.Status == StatusPending,
		g.Status == StatusApproved && g.NeedsTranslation && !g.Translation.Approved()
}

// sync puts the greeting in the lists it belongs to and takes it out of
// the others.
func (s *Store) sync(ctx context.Context, g *Greeting) error {
	inQueue, inTranslate := listed(g)
	for _, l := range []struct {
		c  *mongo.Collection
		in bool
	}{{s.queue, inQueue}, {s.translate, inTranslate}} {
		var err error
		if l.in {
			var d *storedGreeting
			if d, err = s.sealGreeting(l.c.Name(), g); err != nil {
				return err
			}
			_, err = l.c.ReplaceOne(ctx, bson.M{"_id": g.ID}, d, options.Replace().SetUpsert(true))
		} else {
			_, err = l.c.DeleteOne(ctx, bson.M{"_id": g.ID})
		}
		if err != nil {
			return fmt.Errorf("list greeting: %w", err)
		}
	}
	return nil
}

// Insert stores greetings made elsewhere (demo data, later imports) with
// the status they carry, and names the approved ones in their campaigns'
// lists of public greetings. Those not checked are checked and listed by
// Service.Repair after the next start (or App.Reload), and not shown or
// decided on before.
func (s *Store) Insert(ctx context.Context, gs []Greeting) error {
	if len(gs) == 0 {
		return nil
	}
	docs, err := s.sealAll(greetingsCollection, gs)
	if err != nil {
		return err
	}
	if _, err := s.greetings.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
		return fmt.Errorf("insert greetings: %w", err)
	}
	return s.noteApproved(ctx, gs)
}

// InsertListed stores checked greetings and their list entries in
// unordered batches; greetings (and entries) stored already are skipped.
// Approved ones are named in their campaigns' lists of public greetings
// (no write when none is).
func (s *Store) InsertListed(ctx context.Context, gs []Greeting) error {
	if len(gs) == 0 {
		return nil
	}
	docs, err := s.sealAll(greetingsCollection, gs)
	if err != nil {
		return err
	}
	var queue, translate []any
	for i := range gs {
		inQueue, inTranslate := listed(&gs[i])
		if inQueue {
			d, err := s.sealGreeting(queueCollection, &gs[i])
			if err != nil {
				return err
			}
			queue = append(queue, d)
		}
		if inTranslate {
			d, err := s.sealGreeting(translateCollection, &gs[i])
			if err != nil {
				return err
			}
			translate = append(translate, d)
		}
	}
	for _, b := range []struct {
		c    *mongo.Collection
		docs []any
	}{{s.greetings, docs}, {s.queue, queue}, {s.translate, translate}} {
		if err := database.InsertNew(ctx, b.c, b.docs); err != nil {
			return fmt.Errorf("insert greetings: %w", err)
		}
	}
	return s.noteApproved(ctx, gs)
}

// Greeting returns the greeting of a signature, or ErrNotFound.
func (s *Store) Greeting(ctx context.Context, signatureID string) (*Greeting, error) {
	g, err := s.decodeGreeting(greetingsCollection, s.greetings.FindOne(ctx, bson.M{"_id": signatureID}))
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("find greeting: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find greeting: %w", err)
	}
	return &g, nil
}

// ClaimText records greetingID as the first greeting of the campaign with
// the duplicate key, and reports whether it is: false when another
// greeting claimed the key before. Claiming again for the same greeting is
// true, so recording a greeting is safe to repeat.
func (s *Store) ClaimText(ctx context.Context, campaignID, key, greetingID string) (bool, error) {
	id := campaignID + "/" + s.tag(key)
	_, err := s.texts.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "greeting_id", Value: greetingID}})
	if err != nil && !database.IsDuplicate(err) {
		return false, fmt.Errorf("claim greeting text: %w", err)
	}
	// The claim is read back even when the insert made it: a repeated
	// signature's rehearsal reads it too (store_decoy.go), and the number
	// of reads must not tell whether the text was claimed before.
	var first struct {
		GreetingID string `bson:"greeting_id"`
	}
	if err := s.texts.FindOne(ctx, bson.M{"_id": id}).Decode(&first); err != nil {
		return false, fmt.Errorf("claim greeting text: %w", err)
	}
	return first.GreetingID == greetingID, nil
}

// Latest returns up to n approved greetings of a campaign, newest first.
// On the embedded database it scans the greetings; callers keep what it
// returns.
func (s *Store) Latest(ctx context.Context, campaignID string, n int) ([]Greeting, error) {
	opts := options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(n))
	cur, err := s.greetings.Find(ctx, bson.M{"campaign_id": campaignID, "status": StatusApproved}, opts)
	if err != nil {
		return nil, fmt.Errorf("latest greetings of %s: %w", campaignID, err)
	}
	out, err := s.decodeGreetings(ctx, greetingsCollection, cur)
	if err != nil {
		return nil, fmt.Errorf("latest greetings of %s: %w", campaignID, err)
	}
	return out, nil
}

// SaveCheck stores what checking an unchecked greeting computed, and
// reports false when the stored greeting is checked already or its
// language was corrected since it was read: it then stays as it is.
func (s *Store) SaveCheck(ctx context.Context, g *Greeting) (bool, error) {
	filter := bson.M{"_id": g.ID, "checked": false}
	if !g.LanguageCorrected {
		filter["language_corrected"] = bson.M{"$ne": true}
	}
	res, err := s.greetings.UpdateOne(ctx, filter, bson.M{"$set": bson.M{
		"checked": true, "flags": g.Flags, "flagged": g.Flagged, "language": g.Language,
		"text_key": s.tag(g.TextKey), "needs_translation": g.NeedsTranslation,
	}})
	if err != nil {
		return false, fmt.Errorf("save greeting check: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// update applies change to the greeting with that ID if ok says the
// stored greeting may change, and lists it anew. A greeting that may not
// change is ErrDecided; one that does not exist ErrNotFound.
//
// The greeting is read by _id first, so that a decision someone made
// before is found without the update (which scans on the embedded
// database); filter repeats ok's condition for the database, so that of
// two moderators deciding at once only one wins.
func (s *Store) update(ctx context.Context, id string, ok func(*Greeting) bool, filter, change bson.M) (*Greeting, error) {
	g, err := s.Greeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok(g) {
		// The console listed it still: a change was cut short. Put the
		// lists right for the next look.
		if err := s.sync(ctx, g); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("greeting: %w", ErrDecided)
	}
	f := bson.M{"_id": id}
	for k, v := range filter {
		f[k] = v
	}
	changed, err := s.decodeGreeting(greetingsCollection, s.greetings.FindOneAndUpdate(ctx, f, change, options.FindOneAndUpdate().SetReturnDocument(options.After)))
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("greeting: %w", ErrDecided)
	}
	if err != nil {
		return nil, fmt.Errorf("update greeting: %w", err)
	}
	if err := s.sync(ctx, &changed); err != nil {
		return nil, err
	}
	return &changed, nil
}

// Decide moves a pending greeting to status (approved or rejected, with
// the reason). With unflaggedOnly a flagged greeting is left pending and
// reported as ErrDecided; so is one not checked yet, whose flags are not
// known (Service.Repair checks it).
func (s *Store) Decide(ctx context.Context, id string, status Status, reason Reason, at time.Time, unflaggedOnly bool) (*Greeting, error) {
	filter := bson.M{"status": StatusPending, "checked": true}
	if unflaggedOnly {
		filter["flagged"] = false
	}
	set := bson.M{"status": status, "decided_at": at.UTC()}
	if reason != "" {
		set["reason"] = reason
	}
	return s.update(ctx, id, func(g *Greeting) bool {
		return g.Status == StatusPending && g.Checked && !(unflaggedOnly && g.Flagged)
	}, filter, bson.M{"$set": set})
}

// SetLanguage stores a moderator's correction of a greeting's language and
// whether the greeting then needs a translation.
func (s *Store) SetLanguage(ctx context.Context, id, language string, needsTranslation bool) (*Greeting, error) {
	return s.update(ctx, id, func(*Greeting) bool { return true }, nil, bson.M{"$set": bson.M{
		"language": language, "language_corrected": true, "needs_translation": needsTranslation,
	}})
}

// SetTranslation stores a translation of an approved greeting that needs
// one, unless one is approved already (ErrDecided).
func (s *Store) SetTranslation(ctx context.Context, id string, t Translation) (*Greeting, error) {
	st, err := s.sealTranslation(greetingsCollection, id, &t)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(g *Greeting) bool {
		return g.Status == StatusApproved && g.NeedsTranslation && !g.Translation.Approved()
	}, bson.M{"status": StatusApproved, "needs_translation": true, "translation.status": bson.M{"$ne": TranslationApproved}},
		bson.M{"$set": bson.M{"translation": st}})
}

// DecideTranslation approves or rejects a submitted translation.
func (s *Store) DecideTranslation(ctx context.Context, id string, status TranslationStatus, at time.Time) (*Greeting, error) {
	return s.update(ctx, id, func(g *Greeting) bool {
		return g.Translation != nil && g.Translation.Status == TranslationSubmitted
	}, bson.M{"translation.status": TranslationSubmitted},
		bson.M{"$set": bson.M{"translation.status": status, "translation.decided_at": at.UTC()}})
}

// Delete removes a greeting (when its signature is erased), its list
// entries and, if it was the first of its text, its duplicate key. A
// greeting not stored is no error.
func (s *Store) Delete(ctx context.Context, id string) error {
	g, err := s.Greeting(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.greetings.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete greeting: %w", err)
	}
	for _, l := range []*mongo.Collection{s.queue, s.translate} {
		if _, err := l.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
			return fmt.Errorf("delete greeting list entry: %w", err)
		}
	}
	if g.TextKey != "" {
		key := g.CampaignID + "/" + s.tag(g.TextKey)
		var first struct {
			GreetingID string `bson:"greeting_id"`
		}
		err := s.texts.FindOne(ctx, bson.M{"_id": key}).Decode(&first)
		if err != nil && !database.IsNotFound(err) {
			return fmt.Errorf("delete greeting text key: %w", err)
		}
		if err == nil && first.GreetingID == id {
			if _, err := s.texts.DeleteOne(ctx, bson.M{"_id": key}); err != nil {
				return fmt.Errorf("delete greeting text key: %w", err)
			}
		}
	}
	return nil
}

// CountByStatus counts the greetings of every campaign by moderation
// status, in one pass over the greetings (a scan on the embedded
// database): for statistics, not for every page.
func (s *Store) CountByStatus(ctx context.Context) (map[string]map[Status]int64, error) {
	cur, err := s.greetings.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "c", Value: "$campaign_id"}, {Key: "s", Value: "$status"}}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("count greetings: %w", err)
	}
	var rows []struct {
		ID struct {
			C string `bson:"c"`
			S Status `bson:"s"`
		} `bson:"_id"`
		N int64 `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count greetings: %w", err)
	}
	out := map[string]map[Status]int64{}
	for _, r := range rows {
		if out[r.ID.C] == nil {
			out[r.ID.C] = map[Status]int64{}
		}
		out[r.ID.C][r.ID.S] = r.N
	}
	return out, nil
}

// EachApproved calls fn with every approved greeting of a campaign, in no
// particular order; not those stored approved but not checked yet (demo
// data, imports), whose language and need of a translation are not known
// until Service.Repair checks them after the start. It stops at fn's
// first error.
func (s *Store) EachApproved(ctx context.Context, campaignID string, fn func(*Greeting) error) error {
	cur, err := s.greetings.Find(ctx, bson.M{"campaign_id": campaignID, "status": StatusApproved, "checked": true})
	if err != nil {
		return fmt.Errorf("read approved greetings of %s: %w", campaignID, err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		g, err := s.decodeGreeting(greetingsCollection, cur)
		if err != nil {
			return fmt.Errorf("read approved greetings of %s: %w", campaignID, err)
		}
		if err := fn(&g); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read approved greetings of %s: %w", campaignID, err)
	}
	return nil
}

// UnapprovedIDs returns the IDs of the campaign's greetings that are not
// approved (waiting or rejected): the retention job deletes them once the
// letters are posted.
func (s *Store) UnapprovedIDs(ctx context.Context, campaignID string) ([]string, error) {
	cur, err := s.greetings.Find(ctx, bson.M{"campaign_id": campaignID, "status": bson.M{"$ne": StatusApproved}},
		options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("find unapproved greetings of %s: %w", campaignID, err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read unapproved greetings of %s: %w", campaignID, err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}
