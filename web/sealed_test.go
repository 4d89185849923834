package web_test

import (
	"bytes"
	"context"
	"net/url"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// What a supporter types reaches the database only sealed: the signature,
// its greeting and the moderation queue's copy hold none of it in the
// clear, and the console still shows it.
func TestSigningStoresNothingInTheClear(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, box := confirmingCampaign(t, s, "ales")
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", "Алесь Бяляцкі")
		v.Set("city", "Мінск")
		v.Set("email", "ales@example.org")
		v.Set("updates", "yes")
		v.Set("greeting", "Трымайцеся, сябры!")
	})
	box.confirmLast(t, s)
	ctx := context.Background()
	secrets := []string{"Алесь", "Мінск", "ales@example.org", "Трымайцеся"}
	for _, coll := range []string{"signatures", "greetings", "greeting_queue", "greeting_texts"} {
		cur, err := s.DB.Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for cur.Next(ctx) {
			n++
			for _, w := range secrets {
				if bytes.Contains(cur.Current, []byte(w)) {
					t.Errorf("%s holds %q in the clear", coll, w)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s is empty: nothing was checked", coll)
		}
		cur.Close(ctx)
	}
	sigs := storedSignatures(t, s)
	if len(sigs) != 1 || sigs[0].Person.Name != "Алесь Бяляцкі" || sigs[0].Person.Email != "ales@example.org" {
		t.Fatalf("stored %+v", sigs)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	res := org.get(t, "/admin/campaigns/"+c.ID+"/signatures?q="+url.QueryEscape("бяляц"))
	if !bytes.Contains([]byte(res.Body), []byte("Алесь Бяляцкі")) {
		t.Errorf("the console's search for бяляц does not show the signature:\n%s", res.Body)
	}
}
