package campaign

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// trimmable are the fields of a signature that retention removes when
// they are there.
var trimmable = []string{"person.email", "person.domain", "net", "domain_key", "ref_key", "marks", "partner_consent"}

// eachTrimmable calls fn, in stored order, with each signature of the
// campaign that holds something retention removes, the fields to unset,
// and whether one is a stored address.
func (s *Store) eachTrimmable(ctx context.Context, campaignID string, fn func(id string, unset bson.M, hadEmail bool) error) error {
	or := bson.A{bson.M{"updates": true}, bson.M{"person.display": NameCountry, "person.name": bson.M{"$exists": true}}}
	for _, f := range trimmable {
		or = append(or, bson.M{f: bson.M{"$exists": true}})
	}
	proj := bson.M{"_id": 1, "updates": 1, "person.display": 1, "person.name": 1}
	for _, f := range trimmable {
		proj[f] = 1
	}
	cur, err := s.signatures.Find(ctx, bson.M{"campaign_id": campaignID, "$or": or}, options.Find().SetProjection(proj))
	if err != nil {
		return fmt.Errorf("find signatures to trim: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d struct {
			ID     string `bson:"_id"`
			Person bson.M `bson:"person"`
			Doc    bson.M `bson:",inline"`
		}
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("read signature to trim: %w", err)
		}
		unset := bson.M{}
		for _, f := range trimmable {
			if len(f) > 7 && f[:7] == "person." {
				if _, ok := d.Person[f[7:]]; ok {
					unset[f] = ""
				}
			} else if _, ok := d.Doc[f]; ok {
				unset[f] = ""
			}
		}
		if d.Person["display"] == string(NameCountry) {
			if _, ok := d.Person["name"]; ok {
				unset["person.name"] = ""
				unset["person.city"] = ""
			}
		}
		_, hadEmail := d.Person["email"]
		if _, consent := d.Doc["partner_consent"]; consent {
			hadEmail = true // the address a partner may write to
		}
		if err := fn(d.ID, unset, hadEmail); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("find signatures to trim: %w", err)
	}
	return nil
}

// trimSignature unsets the fields and the wish for updates of one
// signature.
func (s *Store) trimSignature(ctx context.Context, id string, unset bson.M) error {
	update := bson.M{"$set": bson.M{"updates": false}}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	if _, err := s.signatures.UpdateOne(ctx, bson.M{"_id": id}, update); err != nil {
		return fmt.Errorf("trim signature: %w", err)
	}
	return nil
}

// countAddresses counts the campaign's signatures that hold a stored
// address (a scan: for the console).
func (s *Store) countAddresses(ctx context.Context, campaignID string) (int, error) {
	n, err := s.signatures.CountDocuments(ctx, bson.M{"campaign_id": campaignID, "person.email": bson.M{"$exists": true}})
	if err != nil {
		return 0, fmt.Errorf("count stored addresses: %w", err)
	}
	return int(n), nil
}

// dropGreetingCopy removes the greeting a signature holds, and says it
// has none.
func (s *Store) dropGreetingCopy(ctx context.Context, id string) error {
	if _, err := s.signatures.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$unset": bson.M{"greeting": ""}, "$set": bson.M{"has_greeting": false}}); err != nil {
		return fmt.Errorf("drop greeting of signature: %w", err)
	}
	return nil
}
