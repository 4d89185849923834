package posts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The collections: posts, one document a post with a unique slug; and
// post_scans, one document a scan by its content's hash.
const (
	postsCollection = "posts"
	scansCollection = "post_scans"
)

// ErrDuplicate: another post has that slug.
var ErrDuplicate = errors.New("another post has this slug")

// Store keeps posts and scans in MongoDB. Lists are read whole (posts are
// few); single posts and scans by _id.
type Store struct {
	posts, scans *mongo.Collection
	// keys seal who consented to publication, a person's name.
	keys *seal.Keyring
}

// NewStore returns the store of db, sealing personal fields with keys.
func NewStore(db *mongo.Database, keys *seal.Keyring) *Store {
	return &Store{posts: db.Collection(postsCollection), scans: db.Collection(scansCollection), keys: keys}
}

// EnsureCollections creates the collections and the unique index on the
// posts' slugs; it is safe to call again (a migration).
func (s *Store) EnsureCollections(ctx context.Context) error {
	for _, c := range []*mongo.Collection{s.posts, s.scans} {
		if err := database.EnsureCollection(ctx, c.Database(), c.Name()); err != nil {
			return err
		}
	}
	_, err := s.posts.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "slug", Value: 1}}, Options: options.Index().SetUnique(true).SetName("slug_unique"),
	})
	if err != nil {
		return fmt.Errorf("create index on posts' slugs: %w", err)
	}
	return nil
}

// Fields names the sealed fields of the posts, for key rotation (package
// reseal).
func (s *Store) Fields() sealed.Fields {
	return sealed.Fields{Collection: s.posts, Paths: []string{"consent_by"}}
}

// doc is a post as stored.
type doc struct {
	Post      `bson:",inline"`
	ConsentBy sealed.Text `bson:"consent_by,omitempty"`
}

func consentAAD(id string) []byte { return sealed.AAD(postsCollection, id, "consent_by") }

func (s *Store) toDoc(p *Post) (doc, error) {
	by, err := sealed.Seal(s.keys, p.ConsentBy, consentAAD(p.ID))
	if err != nil {
		return doc{}, fmt.Errorf("seal consent of post %s: %w", p.ID, err)
	}
	return doc{Post: *p, ConsentBy: by}, nil
}

func (s *Store) fromDoc(d *doc) (Post, error) {
	p := d.Post
	by, err := d.ConsentBy.Open(s.keys, consentAAD(p.ID))
	if err != nil {
		return Post{}, fmt.Errorf("open consent of post %s: %w", p.ID, err)
	}
	p.ConsentBy = by
	return p, nil
}

// Create stores a new post; a slug another post has is ErrDuplicate.
func (s *Store) Create(ctx context.Context, p *Post) error {
	d, err := s.toDoc(p)
	if err != nil {
		return err
	}
	_, err = s.posts.InsertOne(ctx, d)
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("create post %q: %w", p.Slug, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("create post %q: %w", p.Slug, err)
	}
	return nil
}

// Replace stores p over the stored post of version prev; p.Version must
// be prev+1. A post saved since is ErrConflict, a slug another post has
// ErrDuplicate.
func (s *Store) Replace(ctx context.Context, p *Post, prev int64) error {
	d, err := s.toDoc(p)
	if err != nil {
		return err
	}
	res, err := s.posts.ReplaceOne(ctx, bson.M{"_id": p.ID, "version": prev}, d)
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("save post %q: %w", p.Slug, ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("save post %q: %w", p.Slug, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("save post %s over version %d: %w", p.ID, prev, ErrConflict)
	}
	return nil
}

// Post returns the post with that ID.
func (s *Store) Post(ctx context.Context, id string) (Post, error) {
	var d doc
	err := s.posts.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Post{}, fmt.Errorf("post %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Post{}, fmt.Errorf("read post %s: %w", id, err)
	}
	return s.fromDoc(&d)
}

// All returns every post, in no order.
func (s *Store) All(ctx context.Context) ([]Post, error) {
	cur, err := s.posts.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read posts: %w", err)
	}
	var docs []doc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read posts: %w", err)
	}
	out := make([]Post, 0, len(docs))
	for i := range docs {
		p, err := s.fromDoc(&docs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// stamp is what the cache compares to know which posts changed.
type stamp struct {
	ID      string `bson:"_id"`
	Version int64  `bson:"version"`
	State   State  `bson:"state"`
}

// stamps returns every post's ID, version and state.
func (s *Store) stamps(ctx context.Context) ([]stamp, error) {
	cur, err := s.posts.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"version": 1, "state": 1}))
	if err != nil {
		return nil, fmt.Errorf("read post versions: %w", err)
	}
	var out []stamp
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read post versions: %w", err)
	}
	return out, nil
}

// slugs is a post's current and old slugs.
type slugs struct {
	ID       string   `bson:"_id"`
	Slug     string   `bson:"slug"`
	OldSlugs []string `bson:"old_slugs"`
}

// slugs returns every post's current and old slugs, for the check that a
// slug is free (posts are few).
func (s *Store) slugs(ctx context.Context) ([]slugs, error) {
	cur, err := s.posts.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"slug": 1, "old_slugs": 1}))
	if err != nil {
		return nil, fmt.Errorf("read post slugs: %w", err)
	}
	var out []slugs
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read post slugs: %w", err)
	}
	return out, nil
}

// scanDoc is a stored scan.
type scanDoc struct {
	ID        string    `bson:"_id"`
	JPEG      []byte    `bson:"jpeg"`
	Width     int       `bson:"w"`
	Height    int       `bson:"h"`
	CreatedAt time.Time `bson:"created_at"`
}

// PutScan stores a scan's JPEG under its ID; storing the same again
// changes nothing.
func (s *Store) PutScan(ctx context.Context, sc Scan, jpeg []byte, now time.Time) error {
	_, err := s.scans.InsertOne(ctx, scanDoc{ID: sc.ID, JPEG: jpeg, Width: sc.Width, Height: sc.Height, CreatedAt: now})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store scan %s: %w", sc.ID, err)
	}
	return nil
}

// ScanJPEG returns a scan's JPEG.
func (s *Store) ScanJPEG(ctx context.Context, id string) ([]byte, error) {
	var d scanDoc
	err := s.scans.FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("scan %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read scan %s: %w", id, err)
	}
	return d.JPEG, nil
}
