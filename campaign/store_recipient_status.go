package campaign

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The writes of a recipient change one part of its document each, so that
// organizers who work on one recipient at once lose nothing of each
// other's: a status change is pushed or pulled by its ID, an edit sets the
// form's fields. The embedded database applies an update by reading the
// document and writing it back, so they hold the store's write lock (the
// counter lock, which is the database's write lock there: see
// SetCounterLock); MongoDB applies each atomically.

// pushRecipientChange appends ch to the recipient's status changes and
// returns the recipient as stored then; an unknown ID is ErrNotFound.
func (s *Store) pushRecipientChange(ctx context.Context, id string, ch StatusChange) (*Recipient, error) {
	return s.updateRecipient(ctx, id, bson.M{"$push": bson.M{"status_changes": ch}}, options.After)
}

// pullRecipientChange removes the status change with that ID from the
// recipient and returns the recipient as it was before; an unknown
// recipient is ErrNotFound. It pulls the change's stored value, found by
// its ID: the embedded database pulls equal values only, not those that
// match a condition.
func (s *Store) pullRecipientChange(ctx context.Context, id, changeID string) (*Recipient, error) {
	var r Recipient
	err := s.withCounterLock(ctx, func(ctx context.Context) error {
		raw, err := s.recipients.FindOne(ctx, bson.M{"_id": id}).Raw()
		if err != nil {
			return err
		}
		var value bson.Raw
		if arr, ok := raw.Lookup("status_changes").ArrayOK(); ok {
			vals, err := arr.Values()
			if err != nil {
				return err
			}
			for _, v := range vals {
				if doc, ok := v.DocumentOK(); ok && changeIDOf(doc) == changeID {
					value = doc
				}
			}
		}
		if value == nil {
			return bson.Unmarshal(raw, &r) // no such change: nothing to pull
		}
		return s.recipients.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$pull": bson.M{"status_changes": value}},
			options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&r)
	})
	if err != nil {
		return nil, fmt.Errorf("remove change %s of recipient %s: %w", changeID, id, mapError(err))
	}
	slices.SortFunc(r.Changes, byDay)
	return &r, nil
}

// setRecipient stores the fields of r that the recipient form edits, and
// returns the recipient as stored then; an unknown ID is ErrNotFound.
func (s *Store) setRecipient(ctx context.Context, r *Recipient) (*Recipient, error) {
	set := bson.M{"name": r.Name, "description": r.Description, "address": r.Address, "country": r.Country,
		"language_rules": r.LanguageRules, "languages": r.Languages, "censor_words": r.CensorWords,
		"slug": r.Slug, "old_slugs": r.OldSlugs, "detained_since": r.DetainedSince, "sentence": r.Sentence,
		"unlisted": r.Unlisted, "birthday": r.Birthday, "show_birthday": r.ShowBirthday}
	return s.updateRecipient(ctx, r.ID, bson.M{"$set": set}, options.After)
}

// updateRecipient applies update to the recipient with that ID under the
// write lock and returns the document as it was before or after it, its
// changes by day.
func (s *Store) updateRecipient(ctx context.Context, id string, update bson.M, which options.ReturnDocument) (*Recipient, error) {
	var r Recipient
	err := s.withCounterLock(ctx, func(ctx context.Context) error {
		return s.recipients.FindOneAndUpdate(ctx, bson.M{"_id": id}, update,
			options.FindOneAndUpdate().SetReturnDocument(which)).Decode(&r)
	})
	if err != nil {
		return nil, fmt.Errorf("update recipient %s: %w", id, mapError(err))
	}
	slices.SortFunc(r.Changes, byDay)
	return &r, nil
}

// changeIDOf returns the ID of a stored status change.
func changeIDOf(doc bson.Raw) string {
	id, _ := doc.Lookup("id").StringValueOK()
	return id
}
