package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A reply to numbers whose part of the bundle's list is gone is refused
// with the reason and the form as typed, not with an error page.
func TestReplyToNumbersWhoseListIsPartlyGoneKeepsTheForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, org, job, _ := closedWithBundle(t, s, "partgone", nil)
	// The first chunk says the bundle numbers 6,000 signatures, whose
	// second chunk is not stored.
	res, err := s.DB.Collection("bundle_numbers").UpdateOne(context.Background(), bson.M{"_id": job + "/0"}, bson.M{"$set": bson.M{"count": 6000}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("update numbers: %v, %v", res, err)
	}
	post := org.post(t, "/admin/campaigns/"+c.ID+"/delivery", url.Values{"kind": {"reply"}, "day": {"2027-09-03"},
		"bundle": {job}, "numbers": {"2, 5001"}, "public_note": {"Thanks to all of you."}})
	if post.Status != 422 || !strings.Contains(post.Body, "no longer has its list of signature numbers") ||
		!strings.Contains(post.Body, ">2, 5001</textarea>") || !strings.Contains(post.Body, ">Thanks to all of you.</textarea>") {
		t.Errorf("a reply to numbers whose list is partly gone: %d, want 422 with the reason and the form as typed", post.Status)
	}
}
