package letters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// shownCollection holds one small document per campaign that has or had
// approved greetings:
//
//	{_id: campaign ID, v: version, ids_v: version, ids: [{_id, at}]}
//
// v grows with every change of the campaign's public greetings (an
// approval, an erasure, an invalidation, a name decision); ids are the
// campaign's newest approved greetings, up to ShownListed, newest first,
// as they were at version ids_v. Nodes read the collection every second
// to learn which campaigns' greetings to read again, and at start-up to
// read the public greetings by _id instead of scanning the greetings
// (shown.go). It holds greeting IDs and arrival times, nothing personal.
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
	CampaignID string `bson:"_id"`
	V          int64  `bson:"v"`
	// IDsV is the version IDs are right at; 0 when none was written. A
	// list behind V is being written, or its writer failed (stale).
	IDsV int64      `bson:"ids_v"`
	IDs  []shownRef `bson:"ids"`
}

// current reports whether the list is right at the document's version.
func (d *shownDoc) current() bool { return d.IDsV != 0 && d.IDsV == d.V }

// shownChange is what changed in a campaign's approved greetings: some
// were approved (or stored approved), one was erased. The zero change is
// a change of how they show (an invalidation, a name decision).
type shownChange struct {
	approved []shownRef
	erased   string
	// rebuild reads the list from the greetings whatever the document
	// says (a repair).
	rebuild bool
}

// newerRef orders references newest first, as Store.Latest does.
func newerRef(a, b shownRef) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// apply returns the list after the change, from the list right just
// before it, and false when the list cannot say (an erased greeting of a
// full list: the next newest is not named).
func (c shownChange) apply(before []shownRef) ([]shownRef, bool) {
	list := slices.Clone(before)
	if c.erased != "" {
		i := slices.IndexFunc(list, func(r shownRef) bool { return r.ID == c.erased })
		if i >= 0 && len(list) >= ShownListed {
			return nil, false
		}
		if i >= 0 {
			list = slices.Delete(list, i, i+1)
		}
	}
	for _, r := range c.approved {
		if !slices.ContainsFunc(list, func(x shownRef) bool { return x.ID == r.ID }) {
			list = append(list, r)
		}
	}
	slices.SortFunc(list, newerRef)
	// A list shorter than ShownListed names every approved greeting, so an
	// approval older than all of them still belongs; a full one names the
	// newest, and what falls off its end is not among them.
	return list[:min(len(list), ShownListed)], true
}

// noteShown records a change of the campaign's public greetings, made in
// the greetings before this call: it increments the campaign's version and
// writes the list at that version, unless another change incremented it
// meanwhile (that one writes a list that includes this change). The list
// comes from the one stored when that was right just before this change,
// else from the greetings (Latest: on the embedded database a read of all
// the campaign's greetings). It returns the document as written.
func (s *Store) noteShown(ctx context.Context, campaignID string, change shownChange) (shownDoc, error) {
	doc, err := s.bumpShown(ctx, campaignID)
	if err != nil {
		return shownDoc{}, err
	}
	list, ok := []shownRef(nil), false
	if !change.rebuild && doc.IDsV != 0 && doc.IDsV == doc.V-1 {
		list, ok = change.apply(doc.IDs)
	}
	if !ok {
		gs, err := s.Latest(ctx, campaignID, ShownListed)
		if err != nil {
			return shownDoc{}, err
		}
		list = make([]shownRef, len(gs))
		for i := range gs {
			list[i] = shownRef{ID: gs[i].ID, At: gs[i].CreatedAt}
		}
	}
	if err := s.writeShown(ctx, campaignID, doc.V, list); err != nil {
		return shownDoc{}, err
	}
	doc.IDsV, doc.IDs = doc.V, list
	return doc, nil
}

// bumpShown increments the campaign's version and returns its document
// after that; one update by _id.
func (s *Store) bumpShown(ctx context.Context, campaignID string) (shownDoc, error) {
	var doc shownDoc
	err := s.shown.FindOneAndUpdate(ctx, bson.M{"_id": campaignID}, bson.M{"$inc": bson.M{"v": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return shownDoc{}, fmt.Errorf("note greetings change of %s: %w", campaignID, err)
	}
	return doc, nil
}

// writeShown stores the campaign's list as right at version v, if v is
// still the campaign's version: a slower writer never overwrites a newer
// list.
func (s *Store) writeShown(ctx context.Context, campaignID string, v int64, list []shownRef) error {
	if list == nil {
		list = []shownRef{}
	}
	_, err := s.shown.UpdateOne(ctx, bson.M{"_id": campaignID, "v": v}, bson.M{"$set": bson.M{"ids_v": v, "ids": list}})
	if err != nil {
		return fmt.Errorf("write the public greetings of %s: %w", campaignID, err)
	}
	return nil
}

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
	err := s.shown.Database().CreateCollection(ctx, shownCollection)
	var cerr mongo.CommandError
	if err != nil && !(errors.As(err, &cerr) && cerr.Name == "NamespaceExists") {
		return fmt.Errorf("create %s: %w", shownCollection, err)
	}
	return nil
}

// FillShownLists writes the list of every campaign's newest approved
// greetings into its shown_versions document, from one read of every
// greeting: for a database of a version that kept no lists (a
// migration). Campaigns with a document but no approved greeting get an
// empty list. It is safe to repeat, and while other nodes write: a list
// is written as right at the version read before the greetings were, and
// only if the version is still that; a campaign changed meanwhile keeps a
// list behind its version, which RefreshShown repairs.
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
		slices.SortFunc(list, newerRef)
		list = list[:min(len(list), ShownListed)]
		if list == nil {
			list = []shownRef{}
		}
		d, ok := docs[id]
		if !ok {
			_, err := s.shown.InsertOne(ctx, shownDoc{CampaignID: id, V: 1, IDsV: 1, IDs: list})
			if err != nil && !mongo.IsDuplicateKeyError(err) {
				return fmt.Errorf("fill the public greetings' list of %s: %w", id, err)
			}
			continue
		}
		if err := s.writeShown(ctx, id, d.V, list); err != nil {
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
