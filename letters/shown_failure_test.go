package letters_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A campaign whose public greetings cannot be read does not keep
// RefreshShown from reading the others': each other campaign's change
// shows, the error names the campaigns that failed and no other, and the
// next refresh tries them again.
func TestRefreshShownCarriesOnAfterACampaignFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := []string{"c", "d"}
	for i := range 8 {
		id := fmt.Sprintf("e%d", i)
		c := campaign.Campaign{ID: id, Slug: "slug-" + id, Title: "T", RecipientID: "r", TimeZone: "Europe/Minsk"}
		if err := f.campaigns.CreateCampaign(ctx, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	first := map[string]string{}
	for _, id := range ids {
		first[id] = f.greet(t, id, "Anna", "Трымайся, "+id)
		if _, err := f.svc.Approve(ctx, first[id]); err != nil {
			t.Fatal(err)
		}
	}
	// Another node reads them all, then this one approves a greeting in
	// each campaign.
	node := letters.NewService(f.svc.Store(), f.campaigns, f.clock.Now)
	if err := node.LoadShown(ctx); err != nil {
		t.Fatal(err)
	}
	second := map[string]string{}
	for _, id := range ids {
		second[id] = f.greet(t, id, "Olga", "Жыве, "+id)
		if _, err := f.svc.Approve(ctx, second[id]); err != nil {
			t.Fatal(err)
		}
	}
	// Two campaigns' new greetings cannot be read: their sealed texts
	// are their first greetings', sealed for another document.
	failing := []string{"c", "e3"}
	coll := f.db.Collection("greetings")
	for _, id := range failing {
		var raw bson.M
		if err := coll.FindOne(ctx, bson.M{"_id": first[id]}).Decode(&raw); err != nil {
			t.Fatal(err)
		}
		if _, err := coll.UpdateByID(ctx, second[id], bson.M{"$set": bson.M{"text": raw["text"]}}); err != nil {
			t.Fatal(err)
		}
	}
	failed := func(err error, id string) bool {
		return err != nil && strings.Contains(err.Error(), "public greetings of "+id+":")
	}
	for try := range 2 {
		err := node.RefreshShown(ctx)
		if err == nil {
			t.Fatalf("refresh %d: no error, want one naming %v", try, failing)
		}
		for _, id := range ids {
			shown, _ := node.Latest(ctx, id)
			if slices.Contains(failing, id) {
				if !failed(err, id) {
					t.Errorf("refresh %d: the error does not name %s: %v", try, id, err)
				}
				if len(shown) != 1 || shown[0].ID != first[id] {
					t.Errorf("refresh %d: %s shows %v, want what it showed before, %s", try, id, shown, first[id])
				}
				continue
			}
			if failed(err, id) {
				t.Errorf("refresh %d: the error names %s, which was read: %v", try, id, err)
			}
			if len(shown) != 2 || shown[0].ID != second[id] {
				t.Errorf("refresh %d: %s shows %v, want %s first", try, id, shown, second[id])
			}
		}
	}
}
