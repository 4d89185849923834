package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
)

// A letter the prison's rules would stop is not printed by accident: the
// bundle page warns of its language, of the printed texts' language and of
// censor words, proposes a language the prison lets through, and builds
// only with a ticked confirmation.
func TestBundleWarnsOfWhatThePrisonStops(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	ctx := context.Background()
	c := s.addCampaign(t, "ales", nil) // written in English
	c.Letter = "Dear Ales,\n\nFreedom for all political prisoners!"
	if _, err := s.Service.UpdateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	r, err := s.Service.Recipient(ctx, c.RecipientID)
	if err != nil {
		t.Fatal(err)
	}
	r.Languages, r.CensorWords = []string{"be", "ru"}, []string{"political prisoners", "regime"}
	if err := s.Service.Store().ReplaceRecipient(ctx, r); err != nil {
		t.Fatal(err)
	}

	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
	for _, want := range []string{
		"The letter is written in English. The recipient&#39;s prison lets letters through only in: Belarusian, Russian.",
		"censors are known to reject: political prisoners.",
		`<option value="be" selected>`,
		`name="confirm"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the bundle page lacks %s", want)
		}
	}
	if strings.Contains(page.Body, "regime") {
		t.Error("a censor word the letter does not contain is listed")
	}

	build := url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}}
	res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", build)
	if res.Status != 422 || !strings.Contains(res.Body, "Tick the box under the warnings") {
		t.Errorf("building without the confirmation: %d, want 422 asking for it", res.Status)
	}
	if !strings.Contains(res.Body, "The printed texts (headings, page numbers, the count on the cover letter) are set to English.") {
		t.Error("printed texts in English for a prison that takes Belarusian and Russian: no warning")
	}
	if jobs, err := s.Bundles.ForCampaign(ctx, c.ID); err != nil || len(jobs) != 0 {
		t.Fatalf("%d bundles queued without the confirmation (%v)", len(jobs), err)
	}
	build.Set("confirm", "yes")
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", build); res.Status != 303 {
		t.Errorf("building with the confirmation: %d, want 303", res.Status)
	}
}
