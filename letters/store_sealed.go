package letters

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// storedGreeting is a Greeting as the database keeps it, in the greetings
// collection and in each list's copy: the text and the translation's text
// sealed, bound to the collection, the greeting's _id and the field, and
// the duplicate key a keyed hash (see Store.tag).
type storedGreeting struct {
	ID                string             `bson:"_id"`
	CampaignID        string             `bson:"campaign_id"`
	Text              sealed.Text        `bson:"text"`
	Status            Status             `bson:"status"`
	CreatedAt         time.Time          `bson:"created_at"`
	Checked           bool               `bson:"checked"`
	Flags             []Flag             `bson:"flags,omitempty"`
	Flagged           bool               `bson:"flagged"`
	Language          string             `bson:"language,omitempty"`
	LanguageCorrected bool               `bson:"language_corrected,omitempty"`
	TextKey           string             `bson:"text_key,omitempty"`
	NeedsTranslation  bool               `bson:"needs_translation"`
	Reason            Reason             `bson:"reason,omitempty"`
	DecidedAt         time.Time          `bson:"decided_at,omitempty"`
	Translation       *storedTranslation `bson:"translation,omitempty"`
}

type storedTranslation struct {
	Language  string            `bson:"language"`
	Text      sealed.Text       `bson:"text"`
	Status    TranslationStatus `bson:"status"`
	WrittenAt time.Time         `bson:"written_at"`
	DecidedAt time.Time         `bson:"decided_at,omitempty"`
}

// The sealed fields of a greeting document.
const (
	fieldText        = "text"
	fieldTranslation = "translation.text"
)

func greetingAAD(collection, id, field string) []byte { return sealed.AAD(collection, id, field) }

// tag turns a duplicate key (TextKey: an unkeyed hash of the words, which
// anyone could check a guessed text against) into the keyed hash that is
// stored. A key that is a tag already stays as it is.
func (s *Store) tag(key string) string {
	if key == "" || seal.TagKeyID(key) != "" {
		return key
	}
	return s.keys.Tag([]byte(key))
}

// sealGreeting maps a greeting to its stored form in collection.
func (s *Store) sealGreeting(collection string, g *Greeting) (*storedGreeting, error) {
	d := &storedGreeting{
		ID: g.ID, CampaignID: g.CampaignID, Status: g.Status, CreatedAt: g.CreatedAt,
		Checked: g.Checked, Flags: g.Flags, Flagged: g.Flagged, Language: g.Language,
		LanguageCorrected: g.LanguageCorrected, TextKey: s.tag(g.TextKey), NeedsTranslation: g.NeedsTranslation,
		Reason: g.Reason, DecidedAt: g.DecidedAt,
	}
	var err error
	if d.Text, err = sealed.Seal(s.keys, g.Text, greetingAAD(collection, g.ID, fieldText)); err != nil {
		return nil, fmt.Errorf("seal greeting: %w", err)
	}
	if t := g.Translation; t != nil {
		if d.Translation, err = s.sealTranslation(collection, g.ID, t); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Store) sealTranslation(collection, id string, t *Translation) (*storedTranslation, error) {
	st := &storedTranslation{Language: t.Language, Status: t.Status, WrittenAt: t.WrittenAt, DecidedAt: t.DecidedAt}
	var err error
	if st.Text, err = sealed.Seal(s.keys, t.Text, greetingAAD(collection, id, fieldTranslation)); err != nil {
		return nil, fmt.Errorf("seal translation: %w", err)
	}
	return st, nil
}

// openGreeting maps a stored greeting of collection back to the plain one.
func (s *Store) openGreeting(collection string, d *storedGreeting) (Greeting, error) {
	g := Greeting{
		ID: d.ID, CampaignID: d.CampaignID, Status: d.Status, CreatedAt: d.CreatedAt,
		Checked: d.Checked, Flags: d.Flags, Flagged: d.Flagged, Language: d.Language,
		LanguageCorrected: d.LanguageCorrected, TextKey: d.TextKey, NeedsTranslation: d.NeedsTranslation,
		Reason: d.Reason, DecidedAt: d.DecidedAt,
	}
	var err error
	if g.Text, err = d.Text.Open(s.keys, greetingAAD(collection, d.ID, fieldText)); err != nil {
		return Greeting{}, fmt.Errorf("open greeting %s: %w", d.ID, err)
	}
	if t := d.Translation; t != nil {
		g.Translation = &Translation{Language: t.Language, Status: t.Status, WrittenAt: t.WrittenAt, DecidedAt: t.DecidedAt}
		if g.Translation.Text, err = t.Text.Open(s.keys, greetingAAD(collection, d.ID, fieldTranslation)); err != nil {
			return Greeting{}, fmt.Errorf("open translation of greeting %s: %w", d.ID, err)
		}
	}
	return g, nil
}

// sealAll maps greetings to their stored form in collection.
func (s *Store) sealAll(collection string, gs []Greeting) ([]any, error) {
	docs := make([]any, len(gs))
	for i := range gs {
		d, err := s.sealGreeting(collection, &gs[i])
		if err != nil {
			return nil, err
		}
		docs[i] = d
	}
	return docs, nil
}

// decodeGreeting reads one stored greeting of collection and opens it.
func (s *Store) decodeGreeting(collection string, dec interface{ Decode(any) error }) (Greeting, error) {
	var d storedGreeting
	if err := dec.Decode(&d); err != nil {
		return Greeting{}, err
	}
	return s.openGreeting(collection, &d)
}

// decodeGreetings reads every greeting of a cursor over collection.
func (s *Store) decodeGreetings(ctx context.Context, collection string, cur *mongo.Cursor) ([]Greeting, error) {
	defer cur.Close(ctx)
	var out []Greeting
	for cur.Next(ctx) {
		g, err := s.decodeGreeting(collection, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, cur.Err()
}

// SealedFields names the sealed fields of the greetings and of the lists'
// copies, for the migration and key rotation (see package reseal). Sealing
// a greeting's text anew also replaces its duplicate key by one keyed with
// the active key, and claims that key for it.
func (s *Store) SealedFields() []sealed.Fields {
	paths := []string{fieldText, fieldTranslation}
	return []sealed.Fields{
		{Collection: s.greetings, Paths: paths, Extra: s.rekey},
		{Collection: s.queue, Paths: paths, Extra: s.rekey},
		{Collection: s.translate, Paths: paths, Extra: s.rekey},
		s.Names().SealedFields(),
	}
}

// rekey recomputes a greeting's duplicate key from its text, when the text
// is sealed anew, and claims it for the greeting in the greetings
// collection. The claim is an insert that may collide (another greeting of
// the same text got there first), which is what a claim is.
func (s *Store) rekey(ctx context.Context, doc bson.Raw, plain map[string][]byte) (bson.D, error) {
	text, ok := plain[fieldText]
	if !ok {
		return nil, nil
	}
	key := s.tag(TextKey(string(text)))
	if key == "" {
		return bson.D{{Key: "text_key", Value: ""}}, nil
	}
	if id, _ := doc.Lookup("_id").StringValueOK(); id != "" {
		campaignID, _ := doc.Lookup("campaign_id").StringValueOK()
		// The list copies claim for their greeting too: the same claim.
		if _, err := s.texts.InsertOne(ctx, bson.D{{Key: "_id", Value: campaignID + "/" + key}, {Key: "greeting_id", Value: id}}); err != nil && !database.IsDuplicate(err) {
			return nil, fmt.Errorf("claim greeting text: %w", err)
		}
	}
	return bson.D{{Key: "text_key", Value: key}}, nil
}

// DropStaleTextKeys deletes the duplicate keys not made with the active key
// (the unkeyed hashes of old data, the keys of a retired key), once every
// greeting was sealed anew and claimed its key again; with plainOnly, only
// the unkeyed hashes. It returns how many it deleted.
func (s *Store) DropStaleTextKeys(ctx context.Context, plainOnly bool) (int64, error) {
	cur, err := s.texts.Find(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("read greeting text keys: %w", err)
	}
	var rows []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return 0, fmt.Errorf("read greeting text keys: %w", err)
	}
	var stale []string
	for _, r := range rows {
		key := r.ID[strings.LastIndexByte(r.ID, '/')+1:]
		if id := seal.TagKeyID(key); id == s.keys.Active() || plainOnly && id != "" {
			continue
		}
		stale = append(stale, r.ID)
	}
	// In batches: on the embedded database each delete scans the
	// collection, however few documents it names.
	var n int64
	for batch := range slices.Chunk(stale, 1000) {
		res, err := s.texts.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": batch}})
		if err != nil {
			return n, fmt.Errorf("delete greeting text keys: %w", err)
		}
		n += res.DeletedCount
	}
	return n, nil
}

// TextKeyUsage adds to counts how many duplicate keys are stored under
// each key ID (sealed.Plain for unkeyed hashes).
func (s *Store) TextKeyUsage(ctx context.Context, counts map[string]int64) error {
	cur, err := s.texts.Find(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("read greeting text keys: %w", err)
	}
	var rows []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return fmt.Errorf("read greeting text keys: %w", err)
	}
	for _, r := range rows {
		key := r.ID[strings.LastIndexByte(r.ID, '/')+1:]
		id := seal.TagKeyID(key)
		if id == "" {
			id = sealed.Plain
		}
		counts[id]++
	}
	return nil
}
