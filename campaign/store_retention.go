package campaign

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/sealed"
	"github.com/solidarity-letters/solidarity/pdf"
)

// Removed counts, kind by kind, what retention removes from a campaign,
// or would remove (Retention.Plan): the job and its preview count the
// same selection (trimOf).
type Removed struct {
	// Signatures is how many signatures lose something.
	Signatures int
	// Addresses is how many of them lose a stored email address: their
	// own or the one a partner may write to.
	Addresses int
	// Domains, Networks, Keys and Marks count the email domains, network
	// hashes, domain or referrer keys, and marks removed.
	Domains, Networks, Keys, Marks int
	// Consents is how many partner consents (with their address) go.
	Consents int
	// Updates is how many wishes for updates go.
	Updates int
	// Names is how many names (and cities) of supporters printed as "a
	// supporter from" their country go; Initials how many full names are
	// cut to the first name and initial the letter printed.
	Names, Initials int
	// Greetings is how many greetings that were never approved go.
	Greetings int
}

// add adds o's counts to r's.
func (r *Removed) add(o Removed) {
	r.Signatures += o.Signatures
	r.Addresses += o.Addresses
	r.Domains += o.Domains
	r.Networks += o.Networks
	r.Keys += o.Keys
	r.Marks += o.Marks
	r.Consents += o.Consents
	r.Updates += o.Updates
	r.Names += o.Names
	r.Initials += o.Initials
	r.Greetings += o.Greetings
}

// trimDoc is what retention reads of a signature: whether each field it
// removes is there, and the sealed name it may cut.
type trimDoc struct {
	ID             string        `bson:"_id"`
	Updates        bool          `bson:"updates"`
	Network        bson.RawValue `bson:"net"`
	DomainKey      bson.RawValue `bson:"domain_key"`
	RefKey         bson.RawValue `bson:"ref_key"`
	Marks          bson.RawValue `bson:"marks"`
	PartnerConsent bson.RawValue `bson:"partner_consent"`
	Person         struct {
		Name    bson.RawValue `bson:"name"`
		City    bson.RawValue `bson:"city"`
		Display NameDisplay   `bson:"display"`
		Email   bson.RawValue `bson:"email"`
		Domain  bson.RawValue `bson:"domain"`
	} `bson:"person"`
}

// there reports whether a field was stored.
func there(v bson.RawValue) bool { return v.Type != 0 && v.Type != bson.TypeNull }

// trimming is what retention does to one signature.
type trimming struct {
	id         string
	set, unset bson.M
	removed    Removed
}

// trimOf decides what retention removes from the signature d: the one
// rule that both the job and its preview follow. A signature with
// nothing to remove gives a trimming whose removed.Signatures is 0.
func (s *Store) trimOf(d *trimDoc) (trimming, error) {
	t := trimming{id: d.ID, set: bson.M{}, unset: bson.M{}}
	r := &t.removed
	drop := func(path string, v bson.RawValue, n *int) {
		if there(v) {
			t.unset[path] = ""
			*n++
		}
	}
	drop(fieldEmail, d.Person.Email, &r.Addresses)
	drop(fieldDomain, d.Person.Domain, &r.Domains)
	drop("net", d.Network, &r.Networks)
	drop("domain_key", d.DomainKey, &r.Keys)
	drop("ref_key", d.RefKey, &r.Keys)
	drop("marks", d.Marks, &r.Marks)
	drop("partner_consent", d.PartnerConsent, &r.Consents)
	if there(d.PartnerConsent) && !there(d.Person.Email) {
		r.Addresses++ // the address a partner may write to
	}
	if d.Updates {
		t.set["updates"] = false
		r.Updates++
	}
	switch d.Person.Display {
	case NameCountry:
		if there(d.Person.Name) || there(d.Person.City) {
			t.unset[fieldName] = ""
			t.unset[fieldCity] = ""
			r.Names++
		}
	case NameFirstInitial:
		cut, changed, err := s.firstInitial(d)
		if err != nil {
			return t, err
		}
		if changed {
			t.set[fieldName] = cut
			r.Initials++
		}
	}
	if len(t.set) > 0 || len(t.unset) > 0 {
		r.Signatures = 1
	}
	return t, nil
}

// firstInitial is the signature's name sealed again as the letter prints
// it for NameFirstInitial, and whether that is less than is stored.
func (s *Store) firstInitial(d *trimDoc) (sealed.Text, bool, error) {
	if !there(d.Person.Name) {
		return sealed.Text{}, false, nil
	}
	stored, err := sealed.FromRaw(d.Person.Name)
	if err != nil {
		return sealed.Text{}, false, fmt.Errorf("read name of signature %s: %w", d.ID, err)
	}
	aad := sigAAD(d.ID, fieldName)
	full, err := stored.Open(s.keys, aad)
	if err != nil {
		return sealed.Text{}, false, fmt.Errorf("open name of signature %s: %w", d.ID, err)
	}
	cut := pdf.FirstInitial(full)
	if cut == full {
		return sealed.Text{}, false, nil
	}
	t, err := sealed.Seal(s.keys, cut, aad)
	if err != nil {
		return sealed.Text{}, false, fmt.Errorf("seal name of signature %s: %w", d.ID, err)
	}
	return t, true, nil
}

// trimFilter selects the signatures of the campaign, signed before
// before (any time when zero), that may hold something retention
// removes; trimOf decides.
func trimFilter(campaignID string, before time.Time) bson.M {
	or := bson.A{
		bson.M{"updates": true},
		bson.M{"person.display": NameCountry, "person.name": bson.M{"$exists": true}},
		bson.M{"person.display": NameCountry, "person.city": bson.M{"$exists": true}},
		bson.M{"person.display": NameFirstInitial},
	}
	for _, f := range []string{fieldEmail, fieldDomain, "net", "domain_key", "ref_key", "marks", "partner_consent"} {
		or = append(or, bson.M{f: bson.M{"$exists": true}})
	}
	filter := bson.M{"campaign_id": campaignID, "$or": or}
	if !before.IsZero() {
		filter["signed_at"] = bson.M{"$lt": before.UTC()}
	}
	return filter
}

// eachTrimmable calls fn, in stored order, with what retention removes
// from each signature of the campaign signed before before (any time
// when zero) that holds something it removes.
func (s *Store) eachTrimmable(ctx context.Context, campaignID string, before time.Time, fn func(t *trimming) error) error {
	proj := bson.M{"_id": 1, "updates": 1, "net": 1, "domain_key": 1, "ref_key": 1, "marks": 1, "partner_consent": 1,
		fieldName: 1, fieldCity: 1, "person.display": 1, fieldEmail: 1, fieldDomain: 1}
	cur, err := s.signatures.Find(ctx, trimFilter(campaignID, before), options.Find().SetProjection(proj).SetBatchSize(scanPage))
	if err != nil {
		return fmt.Errorf("find signatures to trim: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d trimDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("read signature to trim: %w", err)
		}
		t, err := s.trimOf(&d)
		if err != nil {
			return err
		}
		if t.removed.Signatures == 0 {
			continue
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("find signatures to trim: %w", err)
	}
	return nil
}

// trimSignature applies t to its signature.
func (s *Store) trimSignature(ctx context.Context, t *trimming) error {
	update := bson.M{}
	if len(t.set) > 0 {
		update["$set"] = t.set
	}
	if len(t.unset) > 0 {
		update["$unset"] = t.unset
	}
	if _, err := s.signatures.UpdateOne(ctx, bson.M{"_id": t.id}, update); err != nil {
		return fmt.Errorf("trim signature: %w", err)
	}
	return nil
}

// dropGreetingCopy removes the greeting a signature holds, and says it
// has none.
func (s *Store) dropGreetingCopy(ctx context.Context, id string) error {
	if _, err := s.signatures.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": bson.M{"greeting": ""}, "$set": bson.M{"has_greeting": false}}); err != nil {
		return fmt.Errorf("drop greeting of signature: %w", err)
	}
	return nil
}
