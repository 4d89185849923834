package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/claim"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// pendingCollection holds the signatures that wait for their supporter to
// confirm the address (pending.go). Being a collection of its own keeps
// them out of everything that reads signatures: counts, recounts, the
// console's index, exports, bundles and moderation.
const pendingCollection = "pending_signatures"

// pendingSweepsCollection holds the claims of the cleanup's periods and
// the cleanup's cursor (SweepPending).
const pendingSweepsCollection = "pending_sweeps"

// pendingCountsCollection counts the pending signatures of each campaign
// made in each slot (pendingSlot), one small document per campaign and
// slot, so that the console counts a campaign's pending signatures by
// reading at most PendingKeep / pendingSlotSize of them. Counting the
// pending signatures themselves decodes each: 11 s for 20,000 in one
// campaign on the embedded database (BenchmarkPendingCleanup).
const pendingCountsCollection = "pending_counts"

// pendingClaimsCollection holds the claim records of the confirmation
// messages' worker (package claim).
const pendingClaimsCollection = "pending_claims"

// storedPending is a pending signature as the database keeps it: what Sign
// needs to store the signature once confirmed, every personal field
// sealed, bound to the pending document's _id and the field's name, and the
// address it is confirmed through, sealed too.
type storedPending struct {
	ID         string `bson:"_id"` // PendingID
	CampaignID string `bson:"campaign_id"`
	// Bucket is the creation time's slot (pendingSlot), by which the
	// cleanup deletes: an equality on an indexed string is an index
	// search on the embedded database, any other filter a scan.
	Bucket    string    `bson:"bucket"`
	CreatedAt time.Time `bson:"created_at"`
	// SentAt is when the last message was sent; zero before the first.
	SentAt time.Time `bson:"sent_at"`
	// Secrets are the SHA-256 (hex) of the secrets of the links sent,
	// newest last; never the secrets themselves.
	Secrets     []string `bson:"secrets,omitempty"`
	Lang        string   `bson:"lang,omitempty"`
	SignatureID string   `bson:"signature"`
	// RecipientID is the recipient of a drive's card, who gets it once
	// confirmed.
	RecipientID string      `bson:"recipient_id,omitempty"`
	Source      Source      `bson:"source"`
	Updates     bool        `bson:"updates"`
	Marks       []Mark      `bson:"marks,omitempty"`
	Network     string      `bson:"net,omitempty"`
	DomainKey   string      `bson:"domain_key,omitempty"`
	RefKey      string      `bson:"ref_key,omitempty"`
	Country     string      `bson:"country"`
	Display     NameDisplay `bson:"display,omitempty"`
	// Partner and PartnerText are the partner the supporter let contact
	// them on its embedded form, and the words of that box, sealed (that
	// a supporter of this campaign sought that partner's contact is
	// theirs to tell): the consent is given, with the address and the
	// time, once confirmed.
	Partner     sealed.Text `bson:"partner,omitempty"`
	PartnerText sealed.Text `bson:"partner_text,omitempty"`
	Email       sealed.Text `bson:"email"`
	Name        sealed.Text `bson:"name"`
	City        sealed.Text `bson:"city,omitempty"`
	Referrer    sealed.Text `bson:"referrer,omitempty"`
	Greeting    sealed.Text `bson:"greeting,omitempty"`
	// Send is sendDue while a confirmation message waits for the worker
	// (confirm_worker.go), absent otherwise; indexed, so that the worker
	// finds the waiting ones by an index search. SendDue is when a worker
	// may take the message (the end of the lease of the one that took
	// it), SendTry how many times one did, MailLang the language to write
	// it in, and Link the address it asks to open, sealed: its secret
	// confirms the signature.
	Send     string      `bson:"send,omitempty"`
	SendDue  time.Time   `bson:"send_due,omitempty"`
	SendTry  int         `bson:"send_try,omitempty"`
	MailLang string      `bson:"mail_lang,omitempty"`
	Link     sealed.Text `bson:"link,omitempty"`
	// Filler changes at every decoy update, since a database may skip a
	// write that changes nothing (decoy.go).
	Filler string `bson:"filler,omitempty"`
}

// The sealed fields of a pending signature.
const (
	pendingEmail    = "email"
	pendingName     = "name"
	pendingCity     = "city"
	pendingReferrer = "referrer"
	pendingGreeting = "greeting"
	pendingPartner  = "partner"
	pendingConsent  = "partner_text"
	pendingLink     = "link"
)

// PendingFields names the sealed fields of the pending signatures, for key
// rotation (package reseal).
func (s *Store) PendingFields() sealed.Fields {
	return sealed.Fields{Collection: s.pending(), Paths: []string{pendingEmail, pendingName, pendingCity, pendingReferrer, pendingGreeting,
		pendingPartner, pendingConsent, pendingLink}}
}

// SealPendingConsents seals the partner consents that pending signatures
// stored by an earlier version hold in the clear. Safe to repeat: a pass
// finds nothing plain the second time.
func (s *Store) SealPendingConsents(ctx context.Context) error {
	if _, err := sealed.Reseal(ctx, s.keys, s.PendingFields(), true, nil); err != nil {
		return fmt.Errorf("seal the partner consents of pending signatures: %w", err)
	}
	return nil
}

func (s *Store) pending() *mongo.Collection {
	return s.signatures.Database().Collection(pendingCollection)
}

func (s *Store) decoyPending() *mongo.Collection {
	return s.signatures.Database().Collection(DecoyPrefix + pendingCollection)
}

func (s *Store) pendingSweeps() *mongo.Collection {
	return s.signatures.Database().Collection(pendingSweepsCollection)
}

func (s *Store) pendingClaims() *claim.Records {
	return claim.New(s.signatures.Database().Collection(pendingClaimsCollection))
}

func (s *Store) pendingCounts() *mongo.Collection {
	return s.signatures.Database().Collection(pendingCountsCollection)
}

func (s *Store) decoyPendingCounts() *mongo.Collection {
	return s.signatures.Database().Collection(DecoyPrefix + pendingCountsCollection)
}

// EnsurePending creates the pending signatures' index by bucket, for the
// cleanup; their counts' indexes, by campaign for the console and by slot
// for the cleanup; and the collection of the cleanup's claims, so that the
// first claims do not make it at once. Safe to repeat.
func (s *Store) EnsurePending(ctx context.Context) error {
	if err := database.EnsureCollection(ctx, s.signatures.Database(), pendingSweepsCollection); err != nil {
		return fmt.Errorf("make the pending signature cleanup's collection: %w", err)
	}
	if _, err := s.pending().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "bucket", Value: 1}}, Options: options.Index().SetName("bucket"),
	}); err != nil {
		return fmt.Errorf("create pending signature index: %w", err)
	}
	for _, ix := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "campaign_id", Value: 1}}, Options: options.Index().SetName("campaign")},
		{Keys: bson.D{{Key: "slot", Value: 1}}, Options: options.Index().SetName("slot")},
	} {
		if _, err := s.pendingCounts().Indexes().CreateOne(ctx, ix); err != nil {
			return fmt.Errorf("create pending count index: %w", err)
		}
	}
	return nil
}

// EnsureConfirmQueue creates the index by which the worker finds the
// pending signatures whose confirmation message waits (confirm_worker.go),
// and the collection of its claims, so that the first claims do not make
// it at once. Safe to repeat.
func (s *Store) EnsureConfirmQueue(ctx context.Context) error {
	if err := database.EnsureCollection(ctx, s.signatures.Database(), pendingClaimsCollection); err != nil {
		return fmt.Errorf("make the confirmation messages' claims collection: %w", err)
	}
	if _, err := s.pending().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "send", Value: 1}}, Options: options.Index().SetName("send"),
	}); err != nil {
		return fmt.Errorf("create pending signature index: %w", err)
	}
	return nil
}

// EnsurePendingDecoys gives the decoy collections of the pending
// signatures and their counts the same indexes and the document that
// decoy reads and updates find. It runs at every start, as EnsureDecoys
// does.
func (s *Store) EnsurePendingDecoys(ctx context.Context) error {
	for _, ix := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "bucket", Value: 1}}, Options: options.Index().SetName("bucket")},
		{Keys: bson.D{{Key: "send", Value: 1}}, Options: options.Index().SetName("send")},
	} {
		if _, err := s.decoyPending().Indexes().CreateOne(ctx, ix); err != nil {
			return fmt.Errorf("create pending decoy index: %w", err)
		}
	}
	for _, ix := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "campaign_id", Value: 1}}, Options: options.Index().SetName("campaign")},
		{Keys: bson.D{{Key: "slot", Value: 1}}, Options: options.Index().SetName("slot")},
	} {
		if _, err := s.decoyPendingCounts().Indexes().CreateOne(ctx, ix); err != nil {
			return fmt.Errorf("create pending count decoy index: %w", err)
		}
	}
	d, err := s.sealPending(decoyPending(CollideID))
	if err != nil {
		return err
	}
	if _, err := s.decoyPending().ReplaceOne(ctx, bson.M{"_id": CollideID}, d, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store the pending decoy: %w", err)
	}
	if _, err := s.decoyPendingCounts().ReplaceOne(ctx, bson.M{"_id": CollideID},
		bson.M{"_id": CollideID, "campaign_id": "decoy", "slot": "000000000000", "n": 0}, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store the pending count decoy: %w", err)
	}
	return nil
}

// pendingAAD binds a sealed value to its pending document and field.
func pendingAAD(id, field string) []byte { return sealed.AAD(pendingCollection, id, field) }

// sealPending maps a pending signature to its stored form.
func (s *Store) sealPending(p *Pending) (*storedPending, error) {
	d := &storedPending{
		ID: p.ID, CampaignID: p.CampaignID, Bucket: pendingSlot(p.CreatedAt), CreatedAt: p.CreatedAt,
		SentAt: p.SentAt, Secrets: p.Secrets, Lang: p.Lang, SignatureID: p.Sig.ID, RecipientID: p.Sig.RecipientID, Source: p.Sig.Source,
		Updates: p.Sig.Updates, Marks: p.Sig.Marks, Network: p.Sig.Network, DomainKey: p.Sig.DomainKey,
		RefKey: p.Sig.RefKey, Country: p.Sig.Person.Country, Display: p.Sig.Person.Display,
	}
	var partner, consent string
	if pc := p.Sig.PartnerConsent; pc != nil {
		partner, consent = pc.Partner, pc.Text
	}
	for _, f := range []struct {
		dst   *sealed.Text
		value string
		path  string
	}{
		{&d.Partner, partner, pendingPartner},
		{&d.PartnerText, consent, pendingConsent},
		{&d.Email, p.Email, pendingEmail},
		{&d.Name, p.Sig.Person.Name, pendingName},
		{&d.City, p.Sig.Person.City, pendingCity},
		{&d.Referrer, p.Sig.Referrer, pendingReferrer},
		{&d.Greeting, p.Sig.Greeting, pendingGreeting},
	} {
		t, err := sealed.Seal(s.keys, f.value, pendingAAD(p.ID, f.path))
		if err != nil {
			return nil, fmt.Errorf("seal pending signature: %w", err)
		}
		*f.dst = t
	}
	return d, nil
}

// sealPendings seals each of ps (sealPending).
func (s *Store) sealPendings(ps []*Pending) ([]*storedPending, error) {
	docs := make([]*storedPending, len(ps))
	for i, p := range ps {
		d, err := s.sealPending(p)
		if err != nil {
			return nil, err
		}
		docs[i] = d
	}
	return docs, nil
}

// sealLink seals a confirmation link for the pending signature id.
func (s *Store) sealLink(id, link string) (sealed.Text, error) {
	t, err := sealed.Seal(s.keys, link, pendingAAD(id, pendingLink))
	if err != nil {
		return t, fmt.Errorf("seal confirmation link: %w", err)
	}
	return t, nil
}

// openPending maps a stored pending signature back to the plain one.
func (s *Store) openPending(d *storedPending) (*Pending, error) {
	p := &Pending{
		ID: d.ID, CampaignID: d.CampaignID, CreatedAt: d.CreatedAt, SentAt: d.SentAt,
		Secrets: d.Secrets, Lang: d.Lang,
		Sig: Signature{
			ID: d.SignatureID, CampaignID: d.CampaignID, RecipientID: d.RecipientID, Source: d.Source, Updates: d.Updates, Lang: d.Lang,
			Marks: d.Marks, Network: d.Network, DomainKey: d.DomainKey, RefKey: d.RefKey,
		},
	}
	p.Sig.Person.Country, p.Sig.Person.Display = d.Country, d.Display
	var partner, consent string
	for _, f := range []struct {
		dst  *string
		src  sealed.Text
		path string
	}{
		{&partner, d.Partner, pendingPartner},
		{&consent, d.PartnerText, pendingConsent},
		{&p.Email, d.Email, pendingEmail},
		{&p.Sig.Person.Name, d.Name, pendingName},
		{&p.Sig.Person.City, d.City, pendingCity},
		{&p.Sig.Referrer, d.Referrer, pendingReferrer},
		{&p.Sig.Greeting, d.Greeting, pendingGreeting},
	} {
		v, err := f.src.Open(s.keys, pendingAAD(d.ID, f.path))
		if err != nil {
			return nil, fmt.Errorf("open %s of pending signature %s: %w", f.path, d.ID, err)
		}
		*f.dst = v
	}
	p.Sig.HasGreeting = p.Sig.Greeting != ""
	if partner != "" {
		p.Sig.PartnerConsent = &PartnerConsent{Partner: partner, Text: consent}
	}
	return p, nil
}

// insertPendingBatch stores pending signatures in one unordered insert,
// into the decoy collection with decoy set, and returns each one's error:
// ErrDuplicate for an _id stored already.
func (s *Store) insertPendingBatch(ctx context.Context, docs []*storedPending, decoy bool) []error {
	coll := s.pending()
	if decoy {
		coll = s.decoyPending()
	}
	all := make([]any, len(docs))
	for i, d := range docs {
		all[i] = d
	}
	return insertEach(ctx, coll, all, "insert pending signature")
}

// pendingByID returns the stored pending signature with that _id, or
// ErrNotFound; with decoy set it reads the decoy collection.
func (s *Store) pendingByID(ctx context.Context, id string, decoy bool) (*storedPending, error) {
	coll := s.pending()
	if decoy {
		coll = s.decoyPending()
	}
	var d storedPending
	if err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, fmt.Errorf("find pending signature: %w", mapError(err))
	}
	return &d, nil
}

// Pending returns the pending signature with that ID, opened, or
// ErrNotFound.
func (s *Store) Pending(ctx context.Context, id string) (*Pending, error) {
	d, err := s.pendingByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	return s.openPending(d)
}

// claimPending reads the pending signature of j (a decoy for a confirmed
// address), claims its message if one is due (none was sent, or the last
// ResendAfter ago), with j's link added to those that work and stored,
// sealed, for the worker that sends it, and counts a fresh one for the
// console; where there is nothing to claim or count it does the same
// updates on decoys. The caller holds the store's write
// lock (commitPending).
//
// On MongoDB the claim's filter also holds the time of the last message,
// so that of two nodes one claims. The embedded database runs such an
// update as a read and a write, and scans the whole collection for a
// filter of more than _id; as this process is its only client
// (SetCounterLock), the lock is enough, and the update is by _id.
func (s *Store) claimPending(ctx context.Context, j *pendingJob) error {
	id, decoy := j.id, j.confirmed
	if decoy {
		id = CollideID
	}
	stored, err := s.pendingByID(ctx, id, decoy)
	if err != nil {
		return fmt.Errorf("claim confirmation message: %w", err)
	}
	due := !decoy && (stored.SentAt.IsZero() || !j.now.Before(stored.SentAt.Add(ResendAfter)))
	coll, filter := s.pending(), bson.D{{Key: "_id", Value: id}}
	if !due {
		coll, filter = s.decoyPending(), bson.D{{Key: "_id", Value: CollideID}}
	} else if !s.onlyClient {
		filter = append(filter, bson.E{Key: "sent_at", Value: stored.SentAt})
	}
	secrets := append(slices.Clone(stored.Secrets), j.hash)
	secrets = secrets[max(0, len(secrets)-secretsKept):]
	// The message is left to the worker: the claim stores what it needs,
	// the same fields on the decoy, with a link of filler there.
	link := j.link
	if !due {
		link = j.decoyLink
	}
	set := bson.D{
		{Key: "sent_at", Value: j.now}, {Key: "secrets", Value: secrets},
		{Key: "send", Value: sendDue}, {Key: "send_due", Value: j.now}, {Key: "send_try", Value: 0},
		{Key: "mail_lang", Value: cmp.Or(j.lang, stored.Lang)}, {Key: "link", Value: link},
		{Key: "filler", Value: Filler(8)},
	}
	res, err := coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return fmt.Errorf("claim confirmation message: %w", err)
	}
	j.claimed = due && res.MatchedCount == 1
	// A count that fails is only a count: signPending logs it.
	j.countErr = s.countPendingLocked(ctx, j.campaignID, j.now, 1, !j.fresh)
	return nil
}

// deletePending deletes the pending signature with that _id and reports
// whether it did.
func (s *Store) deletePending(ctx context.Context, id string) (bool, error) {
	res, err := s.pending().DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return false, fmt.Errorf("delete pending signature: %w", err)
	}
	return res.DeletedCount == 1, nil
}

// countPending adds d to the count of the campaign's pending signatures
// made in the slot of created; with decoy set it does the same update on
// the decoy collection. The embedded database runs an $inc as a read and
// a write, so it is made under the store's write lock.
func (s *Store) countPending(ctx context.Context, campaignID string, created time.Time, d int, decoy bool) error {
	return s.withCounterLock(ctx, func(ctx context.Context) error {
		return s.countPendingLocked(ctx, campaignID, created, d, decoy)
	})
}

// countPendingLocked is countPending for a caller that holds the lock.
func (s *Store) countPendingLocked(ctx context.Context, campaignID string, created time.Time, d int, decoy bool) error {
	slot := pendingSlot(created)
	coll, id := s.pendingCounts(), campaignID+"/"+slot
	if decoy {
		coll, id = s.decoyPendingCounts(), CollideID
	}
	_, err := coll.UpdateOne(ctx, bson.M{"_id": id},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: d}}}, {Key: "$setOnInsert", Value: bson.D{{Key: "campaign_id", Value: campaignID}, {Key: "slot", Value: slot}}}},
		options.UpdateOne().SetUpsert(d > 0))
	if err != nil {
		return fmt.Errorf("count pending signatures: %w", err)
	}
	return nil
}

// CountPending returns how many signatures of the campaign wait for
// confirmation at now: the counts of its slots that end after the
// cut-off of PendingKeep, so that those of the slot that expires now
// count until it has expired whole. An index search on campaign_id in
// a collection of small documents, at most one per slot.
func (s *Store) CountPending(ctx context.Context, campaignID string, now time.Time) (int64, error) {
	cur, err := s.pendingCounts().Find(ctx, bson.D{{Key: "campaign_id", Value: campaignID}})
	if err != nil {
		return 0, fmt.Errorf("count pending signatures of %s: %w", campaignID, err)
	}
	var docs []struct {
		Slot string `bson:"slot"`
		N    int64  `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("count pending signatures of %s: %w", campaignID, err)
	}
	first := pendingSlot(now.Add(-PendingKeep))
	var n int64
	for _, d := range docs {
		if d.Slot >= first {
			n += d.N
		}
	}
	return max(n, 0), nil
}

// dropPendingCounts deletes the counts of the slot that starts at slot,
// whose pending signatures the cleanup deleted.
func (s *Store) dropPendingCounts(ctx context.Context, slot time.Time) error {
	if _, err := s.pendingCounts().DeleteMany(ctx, bson.M{"slot": pendingSlot(slot)}); err != nil {
		return fmt.Errorf("delete the counts of expired pending signatures: %w", err)
	}
	return nil
}

// dropPendingCountsBefore deletes the counts of the slots before slot,
// with a filter on the slot: a scan of the counts on the embedded
// database, for the first cleanup only.
func (s *Store) dropPendingCountsBefore(ctx context.Context, slot time.Time) error {
	if _, err := s.pendingCounts().DeleteMany(ctx, bson.M{"slot": bson.M{"$lt": pendingSlot(slot)}}); err != nil {
		return fmt.Errorf("delete the counts of expired pending signatures: %w", err)
	}
	return nil
}

// pendingSweepCursor is the _id of the document that says up to which
// slot the cleanup has deleted everything.
const pendingSweepCursor = "cursor"

// claimPendingSweep claims the sweep of a period for this node: the first
// node to insert the period's document wins, on any database (see
// bundle/store_claims.go for why not findAndModify).
func (s *Store) claimPendingSweep(ctx context.Context, period int64) (bool, error) {
	_, err := s.pendingSweeps().InsertOne(ctx, bson.M{"_id": fmt.Sprintf("sweep:%d", period)})
	if errors.Is(mapError(err), ErrDuplicate) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim the pending signature cleanup: %w", err)
	}
	// Earlier periods' claims are no longer needed; a failure leaves a few
	// bytes behind.
	_, _ = s.pendingSweeps().DeleteMany(ctx, bson.M{"_id": bson.M{"$lt": fmt.Sprintf("sweep:%d", period), "$gte": "sweep:"}})
	return true, nil
}

// sweepCursor returns the first slot the cleanup has not yet deleted
// entirely, or the zero time before the first cleanup.
func (s *Store) sweepCursor(ctx context.Context) (time.Time, error) {
	var d struct {
		Next time.Time `bson:"next"`
	}
	err := s.pendingSweeps().FindOne(ctx, bson.M{"_id": pendingSweepCursor}).Decode(&d)
	if errors.Is(mapError(err), ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the pending signature cleanup's cursor: %w", err)
	}
	return d.Next.UTC(), nil
}

// setSweepCursor records that every slot before next is deleted.
func (s *Store) setSweepCursor(ctx context.Context, next time.Time) error {
	_, err := s.pendingSweeps().ReplaceOne(ctx, bson.M{"_id": pendingSweepCursor},
		bson.M{"_id": pendingSweepCursor, "next": next.UTC()}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("write the pending signature cleanup's cursor: %w", err)
	}
	return nil
}

// deletePendingSlot deletes the pending signatures of one slot made
// before cutoff. The slot's equality leads the filter, so the embedded
// database searches its index and reads that slot's documents only.
func (s *Store) deletePendingSlot(ctx context.Context, slot time.Time, cutoff time.Time) (int64, error) {
	res, err := s.pending().DeleteMany(ctx, bson.D{
		{Key: "bucket", Value: pendingSlot(slot)},
		{Key: "created_at", Value: bson.D{{Key: "$lte", Value: cutoff.UTC()}}},
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired pending signatures: %w", err)
	}
	return res.DeletedCount, nil
}

// deleteExpiredPending deletes every pending signature made before
// cutoff with a filter on its time: a scan of the collection on the
// embedded database, for the first cleanup only (SweepPending).
func (s *Store) deleteExpiredPending(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.pending().DeleteMany(ctx, bson.D{{Key: "created_at", Value: bson.D{{Key: "$lte", Value: cutoff.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("delete expired pending signatures: %w", err)
	}
	return res.DeletedCount, nil
}
