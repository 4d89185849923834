package letters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// shownCollection holds one small document per campaign that has or had
// approved greetings:
//
//	{_id: campaign ID, v: version, ids: [{_id, at}]}
//
// ids are the campaign's newest approved greetings, up to ShownListed,
// newest first; v grows with every write of the document, which every
// change of the campaign's public greetings makes (an approval, an
// erasure, an invalidation, a name decision). Nodes read the collection
// every second to learn which campaigns' greetings to read again, and at
// start-up to read the public greetings by _id instead of scanning the
// greetings (shown.go). It holds greeting IDs and arrival times, nothing
// personal.
//
// A change is written by compare-and-set on v: the list is computed from
// the one stored, and written only if v is still what was read, else
// computed again from the newer one. So a slower node never overwrites a
// newer list, and no change is lost to another written at the same time.
const shownCollection = "shown_versions"

// ShownListed is how many of a campaign's newest approved greetings its
// shown_versions document names: a few times PublicCount, so that the
// page still has PublicCount to show when some of them may not be shown
// (an invalidated signature, a greeting not checked yet).
const ShownListed = 4 * PublicCount

// shownRef names an approved greeting in a campaign's list.
type shownRef struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// shownDoc is a campaign's document in shownCollection.
type shownDoc struct {
	CampaignID string     `bson:"_id"`
	V          int64      `bson:"v"`
	IDs        []shownRef `bson:"ids"`
}

// shownChange is what changed in a campaign's approved greetings: some
// were approved (or stored approved), one was erased. The zero change is
// a change of how they show (an invalidation, a name decision).
type shownChange struct {
	approved []shownRef
	erased   string
	// rebuild reads the newest approved greetings from the greetings and
	// adds them to the list (a repair).
	rebuild bool
}

// newerRef orders references newest first, as Store.Latest does.
func newerRef(a, b shownRef) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// merged returns the newest ShownListed of the references in lists, each
// once.
func merged(lists ...[]shownRef) []shownRef {
	var out []shownRef
	for _, l := range lists {
		for _, r := range l {
			if !slices.ContainsFunc(out, func(x shownRef) bool { return x.ID == r.ID }) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, newerRef)
	return out[:min(len(out), ShownListed)]
}

// without returns list without the reference to id.
func without(list []shownRef, id string) []shownRef {
	return slices.DeleteFunc(slices.Clone(list), func(r shownRef) bool { return r.ID == id })
}

// apply returns the list after the change, from the list right just
// before it, and false when the list cannot say (an erased greeting of a
// full list: the next newest is not named).
func (c shownChange) apply(before []shownRef) ([]shownRef, bool) {
	if c.erased != "" && len(before) >= ShownListed && slices.ContainsFunc(before, func(r shownRef) bool { return r.ID == c.erased }) {
		return nil, false
	}
	// A list shorter than ShownListed names every approved greeting, so an
	// approval older than all of them still belongs; a full one names the
	// newest, and what falls off its end is not among them.
	return merged(without(before, c.erased), c.approved), true
}

// errNeedLatest says that a list cannot be computed from the stored one.
var errNeedLatest = errors.New("the list does not say")

// noteShown records a change of the campaign's public greetings, made in
// the greetings before this call, and returns the document as written.
// The list comes from the one stored; when that cannot say, or for a
// rebuild, from the greetings (Latest: on the embedded database a read of
// all the campaign's greetings) together with what the stored list names.
func (s *Store) noteShown(ctx context.Context, campaignID string, change shownChange) (shownDoc, error) {
	if !change.rebuild {
		doc, err := s.updateShown(ctx, campaignID, func(current []shownRef) ([]shownRef, error) {
			if list, ok := change.apply(current); ok {
				return list, nil
			}
			return nil, errNeedLatest
		})
		if !errors.Is(err, errNeedLatest) {
			return doc, err
		}
	}
	gs, err := s.Latest(ctx, campaignID, ShownListed)
	if err != nil {
		return shownDoc{}, err
	}
	latest := make([]shownRef, len(gs))
	for i := range gs {
		latest[i] = shownRef{ID: gs[i].ID, At: gs[i].CreatedAt}
	}
	// Approvals written since the read are in the stored list; an erasure
	// since leaves a reference that the page passes over.
	return s.updateShown(ctx, campaignID, func(current []shownRef) ([]shownRef, error) {
		return merged(latest, without(current, change.erased)), nil
	})
}

// updateShown writes the campaign's list that next computes from the
// stored one, by compare-and-set on the version, again from the newer
// list when another write came first. The embedded database applies an
// update by reading the document and writing it back, so the read and the
// write are made under the store's write lock (SetWriteLock); MongoDB
// makes the conditional update atomic between nodes.
func (s *Store) updateShown(ctx context.Context, campaignID string, next func(current []shownRef) ([]shownRef, error)) (shownDoc, error) {
	for range 50 {
		written, ok, err := s.casShown(ctx, campaignID, next)
		if err != nil || ok {
			return written, err
		}
	}
	return shownDoc{}, fmt.Errorf("write the public greetings of %s: it kept changing", campaignID)
}

// casShown is one try of updateShown: false when another write came
// first.
func (s *Store) casShown(ctx context.Context, campaignID string, next func(current []shownRef) ([]shownRef, error)) (shownDoc, bool, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	var doc shownDoc
	err := s.shown.FindOne(ctx, bson.M{"_id": campaignID}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return shownDoc{}, false, fmt.Errorf("read the public greetings of %s: %w", campaignID, err)
	}
	list, err := next(doc.IDs)
	if err != nil {
		return shownDoc{}, false, err
	}
	if list == nil {
		list = []shownRef{}
	}
	written := shownDoc{CampaignID: campaignID, V: doc.V + 1, IDs: list}
	if doc.V == 0 {
		_, err = s.shown.InsertOne(ctx, written)
		if mongo.IsDuplicateKeyError(err) {
			return shownDoc{}, false, nil
		}
		if err != nil {
			return shownDoc{}, false, fmt.Errorf("write the public greetings of %s: %w", campaignID, err)
		}
		return written, true, nil
	}
	res, err := s.shown.UpdateOne(ctx, bson.M{"_id": campaignID, "v": doc.V}, bson.M{"$set": bson.M{"v": written.V, "ids": list}})
	if err != nil {
		return shownDoc{}, false, fmt.Errorf("write the public greetings of %s: %w", campaignID, err)
	}
	return written, res.MatchedCount == 1, nil
}

// SetWriteLock makes l guard the compare-and-set writes of the public
// greetings' lists (by default a lock of the store's own): on the
// embedded database, whose only client is this process, its lock
// (database.DB.WriteLock), so that every store of the process shares it.
func (s *Store) SetWriteLock(l sync.Locker) { s.writes = l }

// noteApproved notes greetings stored approved without a decision (demo
// data, imports, the bench), campaign by campaign.
func (s *Store) noteApproved(ctx context.Context, gs []Greeting) error {
	byCampaign := map[string][]shownRef{}
	for i := range gs {
		if g := &gs[i]; g.Status == StatusApproved {
			byCampaign[g.CampaignID] = append(byCampaign[g.CampaignID], shownRef{ID: g.ID, At: g.CreatedAt})
		}
	}
	for id, refs := range byCampaign {
		if _, err := s.noteShown(ctx, id, shownChange{approved: refs}); err != nil {
			return err
		}
	}
	return nil
}

// shownDocs returns every campaign's document. The collection has one per
// campaign at most, each of ShownListed references, so it is read whole.
func (s *Store) shownDocs(ctx context.Context) (map[string]shownDoc, error) {
	cur, err := s.shown.Find(ctx, bson.M{})
	if err != nil {
		return nil, fmt.Errorf("read the public greetings' versions: %w", err)
	}
	var docs []shownDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read the public greetings' versions: %w", err)
	}
	out := make(map[string]shownDoc, len(docs))
	for _, d := range docs {
		out[d.CampaignID] = d
	}
	return out, nil
}

// EnsureShownVersions creates the collection of the public greetings'
// versions; it is safe to call again.
func (s *Store) EnsureShownVersions(ctx context.Context) error {
	return database.EnsureCollection(ctx, s.shown.Database(), shownCollection)
}

// FillShownLists writes the list of every campaign's newest approved
// greetings into its shown_versions document, from one read of every
// greeting: for a database of a version that kept no lists (a
// migration). Campaigns with a document but no approved greeting get an
// empty list. It is safe to repeat, and while other nodes write: each
// list is written by compare-and-set, with what the stored one names.
func (s *Store) FillShownLists(ctx context.Context) error {
	docs, err := s.shownDocs(ctx)
	if err != nil {
		return err
	}
	lists := map[string][]shownRef{}
	for id := range docs {
		lists[id] = nil
	}
	err = s.eachState(ctx, func(g *greetingState) error {
		if g.Status == StatusApproved {
			lists[g.CampaignID] = keepNewest(lists[g.CampaignID], shownRef{ID: g.ID, At: g.CreatedAt})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fill the public greetings' lists: %w", err)
	}
	for id, list := range lists {
		_, err := s.updateShown(ctx, id, func(current []shownRef) ([]shownRef, error) {
			return merged(list, current), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// keepNewest adds r to list, a list kept to a few times ShownListed by
// cutting it to the newest ShownListed when it grows past that.
func keepNewest(list []shownRef, r shownRef) []shownRef {
	list = append(list, r)
	if len(list) > 4*ShownListed {
		slices.SortFunc(list, newerRef)
		list = list[:ShownListed]
	}
	return list
}
