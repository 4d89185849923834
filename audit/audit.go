// Package audit keeps the record of what was done in the console and by
// whom: logins, campaign changes, moderation decisions, exports, erasures
// and bundle downloads. The application only ever appends to it.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Action names what happened.
type Action string

// The recorded actions.
const (
	Login           Action = "login"
	LoginFailed     Action = "login_failed"
	Logout          Action = "logout"
	UserAdded       Action = "user_added"
	UserChanged     Action = "user_changed"
	CampaignCreated Action = "campaign_created"
	CampaignChanged Action = "campaign_changed"
	RecipientSaved  Action = "recipient_saved"
	PaperAdded      Action = "paper_signatures_added"
	GreetingDecided Action = "greeting_moderated"
	NameDecided     Action = "name_moderated"
	TranslationSent Action = "translation_saved"
	Exported        Action = "signatures_exported"
	Erased          Action = "signature_erased"
	BundleBuilt     Action = "bundle_built"
	BundleFetched   Action = "bundle_downloaded"
	BundleRebuilt   Action = "bundle_rebuilt"
	PartnerAdded    Action = "partner_added"
	PartnerKeyAdded Action = "partner_api_key_created"
	PartnerKeyGone  Action = "partner_api_key_revoked"
	PartnerLinkSet  Action = "partner_stats_link_created"
	PartnerLinkGone Action = "partner_stats_link_revoked"
	ProfileChanged  Action = "organisation_profile_changed"

	PasswordChanged   Action = "password_changed"
	TwoFactorEnabled  Action = "two_factor_enabled"
	TwoFactorDisabled Action = "two_factor_disabled"
	TwoFactorReset    Action = "two_factor_reset"
	RecoveryCodeUsed  Action = "recovery_code_used"
	TwoFactorSetting  Action = "two_factor_setting_changed"
)

// Entry is one line of the audit log.
type Entry struct {
	ID     bson.ObjectID `bson:"_id,omitempty"`
	At     time.Time     `bson:"at"`
	Actor  string        `bson:"actor"`  // the account's email, or "cli" / "system"
	Action Action        `bson:"action"` // what was done
	Target string        `bson:"target"` // what it was done to, e.g. a campaign slug; never a supporter
	Detail string        `bson:"detail,omitempty"`
}

// storedEntry is an Entry as the database keeps it: the detail, which may
// name a person (a bundle's contents, an erased signature), sealed.
type storedEntry struct {
	ID     bson.ObjectID `bson:"_id,omitempty"`
	At     time.Time     `bson:"at"`
	Actor  string        `bson:"actor"`
	Action Action        `bson:"action"`
	Target string        `bson:"target"`
	Detail sealed.Text   `bson:"detail,omitempty"`
}

func detailAAD(id bson.ObjectID) []byte { return sealed.AAD("audit", id.Hex(), "detail") }

// Fields names the sealed fields of the log, for the migration and key
// rotation (see package reseal).
func (l *Log) Fields() sealed.Fields {
	return sealed.Fields{Collection: l.entries, Paths: []string{"detail"}}
}

// Log is the audit log in MongoDB. It has no way to change or delete
// entries.
type Log struct {
	entries *mongo.Collection
	now     func() time.Time
	// keys seal what an entry's detail may say about a person.
	keys *seal.Keyring
}

// NewLog returns the audit log of db, sealing personal details with keys.
func NewLog(db *mongo.Database, keys *seal.Keyring, now func() time.Time) *Log {
	return &Log{entries: db.Collection("audit"), keys: keys, now: now}
}

// Record appends an entry, stamped with the time now.
func (l *Log) Record(ctx context.Context, actor string, action Action, target, detail string) error {
	e := storedEntry{ID: bson.NewObjectID(), At: l.now().UTC(), Actor: actor, Action: action, Target: target}
	var err error
	if e.Detail, err = sealed.Seal(l.keys, detail, detailAAD(e.ID)); err != nil {
		return fmt.Errorf("record %s in audit log: %w", action, err)
	}
	if _, err := l.entries.InsertOne(ctx, e); err != nil {
		return fmt.Errorf("record %s in audit log: %w", action, err)
	}
	return nil
}

// Page returns up to limit entries, newest first, older than the entry
// with ID before (all when before is zero). ObjectIDs grow with time, so
// paging by them needs no skip.
func (l *Log) Page(ctx context.Context, before bson.ObjectID, limit int) ([]Entry, error) {
	filter := bson.M{}
	if !before.IsZero() {
		filter["_id"] = bson.M{"$lt": before}
	}
	cur, err := l.entries.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	var stored []storedEntry
	if err := cur.All(ctx, &stored); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]Entry, len(stored))
	for i, st := range stored {
		detail, err := st.Detail.Open(l.keys, detailAAD(st.ID))
		if err != nil {
			return nil, fmt.Errorf("read audit entry %s: %w", st.ID.Hex(), err)
		}
		out[i] = Entry{ID: st.ID, At: st.At, Actor: st.Actor, Action: st.Action, Target: st.Target, Detail: detail}
	}
	return out, nil
}
