package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/letters"
)

// A drive's bundle page lists its recipients with their approved cards;
// the organizer builds one recipient's bundle, or starts a print run,
// watches it and downloads its archive.
func TestDrivePrintRunFromTheConsole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, dbs.Database(t))
	second := campaign.Recipient{ID: "r-maria", Name: "Maria Kalesnikava", Address: []string{"Gomel colony 4"}, Country: "BY"}
	if err := s.Service.Store().CreateRecipient(ctx, &second); err != nil {
		t.Fatal(err)
	}
	c := s.addCampaign(t, "cards", func(c *campaign.Campaign) {
		c.Kind, c.RecipientIDs, c.RecipientID = campaign.KindDrive, []string{"r-cards", "r-maria"}, ""
	})
	cards := []struct {
		id, to string
		status letters.Status
	}{{"card-1", "r-maria", letters.StatusApproved}, {"card-2", "r-maria", letters.StatusApproved}, {"card-3", "r-maria", letters.StatusPending},
		{"card-4", "r-cards", letters.StatusApproved}}
	for i, k := range cards {
		sig := campaign.Signature{ID: k.id, RecipientID: k.to, SignedAt: s.Clock.Now(), Source: campaign.SourceWeb, HasGreeting: true,
			Person: campaign.Person{Name: "Supporter " + k.id, Country: "LT"}}
		if _, err := s.Service.AddSignatures(ctx, c.ID, []campaign.Signature{sig}); err != nil {
			t.Fatal(err)
		}
		g := letters.Greeting{ID: k.id, CampaignID: c.ID, Text: "Stay strong", Status: k.status, CreatedAt: sig.SignedAt, Checked: true}
		if err := s.Greetings.Insert(ctx, []letters.Greeting{g}); err != nil {
			t.Fatalf("card %d: %v", i, err)
		}
	}
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID
	page := org.get(t, base+"/bundle")
	counts := regexp.MustCompile(`Maria Kalesnikava</td>\s*<td data-label="Approved cards">(\d+)</td>`).FindStringSubmatch(page.Body)
	if page.Status != 200 || counts == nil || counts[1] != "2" {
		t.Fatalf("drive bundle page: %d, Maria's cards %v\n%s", page.Status, counts, page.Body)
	}
	tests := []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"a recipient outside the drive", "/bundle", url.Values{"recipient": {"r-other"}}, 422},
		{"999 sheets", "/printrun", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"999"}}, 422},
		{"one recipient's bundle", "/bundle", url.Values{"recipient": {"r-maria"}}, 303},
		{"a print run", "/printrun", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}}, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := org.post(t, base+tt.path, tt.form); res.Status != tt.want {
				t.Errorf("POST %s: %d, want %d", tt.path, res.Status, tt.want)
			}
		})
	}
	if page := org.get(t, base+"/bundle"); !strings.Contains(page.Body, `http-equiv="refresh"`) || !strings.Contains(page.Body, "Recipients done: 0 of 2") {
		t.Error("a queued print run's page neither refreshes nor shows its progress")
	}
	if ran, err := s.Bundles.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("bundle RunOnce = %v, %v", ran, err)
	}
	if ran, err := s.Core.PrintRuns.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("print run RunOnce = %v, %v", ran, err)
	}
	page = org.get(t, base+"/bundle")
	link := regexp.MustCompile(`href="(/admin/campaigns/[^"]+/printrun/[0-9a-f]+)"`).FindStringSubmatch(page.Body)
	if link == nil || !strings.Contains(page.Body, "Bundles: 2 · cards: 3") || !regexp.MustCompile(`/bundle/[0-9a-f]+"`).MatchString(page.Body) {
		t.Fatalf("finished print run and bundle have no download links:\n%s", page.Body)
	}
	dl := org.get(t, link[1])
	if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", dl.Status, dl.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(dl.Body)), int64(len(dl.Body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "001-ales-bialiatski.zip 002-maria-kalesnikava.zip manifest.csv" {
		t.Errorf("archive holds %s", got)
	}
	if res := org.get(t, base+"/printrun/000000000000000000000000"); res.Status != 404 {
		t.Errorf("an unknown print run: %d, want 404", res.Status)
	}
}

// A drive's delivery log records each event for one of its recipients:
// the console lists whom it is about, and the campaign page's timeline
// shows a public event under its recipient's name, an internal one not at
// all.
func TestDriveDeliveryPerRecipient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, dbs.Database(t))
	second := campaign.Recipient{ID: "r-maria", Name: "Maria Kalesnikava", Address: []string{"Gomel colony 4"}, Country: "BY"}
	if err := s.Service.Store().CreateRecipient(ctx, &second); err != nil {
		t.Fatal(err)
	}
	c := s.addCampaign(t, "posted", func(c *campaign.Campaign) {
		c.Kind, c.RecipientIDs, c.RecipientID = campaign.KindDrive, []string{"r-posted", "r-maria"}, ""
	})
	org := s.loginAs(t, account.RoleOrganizer)
	base := "/admin/campaigns/" + c.ID + "/delivery"
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"no recipient", url.Values{"kind": {"delivered"}, "day": {"2027-08-09"}, "public": {"yes"}}, 422},
		{"someone the drive does not write to", url.Values{"kind": {"delivered"}, "day": {"2027-08-09"}, "public": {"yes"}, "recipient": {"r-other"}}, 422},
		{"Maria's delivered, public", url.Values{"kind": {"delivered"}, "day": {"2027-08-09"}, "public": {"yes"}, "recipient": {"r-maria"}}, 303},
		{"Ales's returned, internal", url.Values{"kind": {"returned"}, "day": {"2027-08-10"}, "reason": {"Moved"}, "recipient": {"r-posted"}}, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := org.post(t, base, tt.form); res.Status != tt.want {
				t.Errorf("POST: %d, want %d\n%s", res.Status, tt.want, res.Body)
			}
		})
	}
	page := org.get(t, base)
	for _, want := range []string{"Delivered</strong> · Maria Kalesnikava", "Returned to sender</strong> · Ales Bialiatski", `<option value="r-maria">Maria Kalesnikava</option>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the console's delivery log lacks %q", want)
		}
	}
	public := s.get(t, "/c/posted")
	if !strings.Contains(public.Body, "<strong>Maria Kalesnikava</strong>: Delivered on 9 August 2027") {
		t.Errorf("the timeline does not show Maria's delivery under her name:\n%s", public.Body)
	}
	if strings.Contains(public.Body, "Returned") || strings.Contains(public.Body, "Moved") {
		t.Error("the timeline shows an internal event")
	}
}
