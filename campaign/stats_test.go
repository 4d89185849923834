package campaign_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func TestStatsMatchStoredSignatures(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	at := func(day, h, m int) time.Time { return time.Date(2027, 6, day, h, m, 0, 0, time.UTC) }
	sigs := []struct {
		at      time.Time
		source  campaign.Source
		country string
	}{
		{at(17, 3, 0), campaign.SourceWeb, "DE"},
		{at(17, 23, 30), campaign.SourceWeb, "DE"},
		{at(18, 0, 30), campaign.SourcePaper, "PL"},
		{at(19, 12, 0), campaign.SourceWeb, "PL"},                       // exactly 24 h before now: not in the last day
		{at(19, 12, 0).Add(time.Millisecond), campaign.SourceWeb, "BY"}, // just inside
		{at(20, 11, 59), campaign.SourceWeb, "BY"},                      //
		{at(20, 12, 0), campaign.SourcePaper, "BY"},                     // now itself counts
		{at(20, 12, 0).Add(time.Millisecond), campaign.SourceWeb, "SE"}, // after now (a clock ahead): not in the last day
	}
	tests := []struct {
		zone string
		days string // date:web+paper, every day of the range
	}{
		{"UTC", "06-17:2+0 06-18:0+1 06-19:2+0 06-20:2+1"},
		// Opens 16 June 20:00 in New York; 03:00 UTC is still the 16th there.
		{"America/New_York", "06-16:1+0 06-17:1+1 06-18:0+0 06-19:2+0 06-20:2+1"},
		// UTC+12: 12:00 UTC is midnight of the next day, so now is 21 June.
		{"Pacific/Auckland", "06-17:1+0 06-18:1+1 06-19:0+0 06-20:3+0 06-21:1+1"},
	}
	for i, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			c := testCampaign(fmt.Sprintf("stats-%d", i), at(17, 0, 0), time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
			c.TimeZone = tt.zone
			c.Goal = 40
			if err := svc.Store().CreateCampaign(ctx, c); err != nil {
				t.Fatal(err)
			}
			var batch []campaign.Signature
			for j, s := range sigs {
				batch = append(batch, campaign.Signature{ID: fmt.Sprintf("%s-%d", c.ID, j), SignedAt: s.at, Source: s.source,
					Person: campaign.Person{Name: "N", Country: s.country}})
			}
			if _, err := svc.AddSignatures(ctx, c.ID, batch); err != nil {
				t.Fatal(err)
			}
			for _, tally := range []campaign.PaperTallyInput{{Country: "DE", Count: "10"}, {Country: "PL", Count: "5"}, {Country: "PL", Count: "-2"}} {
				if _, err := svc.AddPaperTally(ctx, c, tally); err != nil {
					t.Fatal(err)
				}
			}
			st, err := svc.Stats(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if st.Web != 6 || st.PaperRows != 2 || st.PaperCounted != 13 || st.Paper() != 15 || st.Total != 21 {
				t.Errorf("web %d, paper rows %d, counted %d, paper %d, total %d; want 6, 2, 13, 15, 21",
					st.Web, st.PaperRows, st.PaperCounted, st.Paper(), st.Total)
			}
			if got := svc.Count(c.ID); got != st.Total {
				t.Errorf("in-memory count %d, statistics total %d", got, st.Total)
			}
			if st.LastDay != 3 || st.PerHour() != 3.0/24 {
				t.Errorf("last day %d (%.4f/h), want 3 (0.125/h)", st.LastDay, st.PerHour())
			}
			var days []string
			for _, d := range st.Days {
				days = append(days, fmt.Sprintf("%s:%d+%d", d.Date.Format("01-02"), d.Web, d.Paper))
			}
			if got := strings.Join(days, " "); got != tt.days {
				t.Errorf("days = %s\nwant   %s", got, tt.days)
			}
			var countries []string
			for _, cc := range st.Countries {
				countries = append(countries, fmt.Sprintf("%s:%d+%d", cc.Code, cc.Web, cc.Paper))
			}
			if got, want := strings.Join(countries, " "), "DE:2+10 PL:1+4 BY:2+1 SE:1+0"; got != want {
				t.Errorf("countries = %s, want %s", got, want)
			}
		})
	}

	t.Run("before opening", func(t *testing.T) {
		c := testCampaign("stats-future", now.AddDate(0, 0, 3), now.AddDate(0, 1, 0))
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		st, err := svc.Stats(ctx, c)
		if err != nil || st.Total != 0 || len(st.Days) != 0 || len(st.Countries) != 0 {
			t.Errorf("stats of a campaign not open yet = %+v, %v", st, err)
		}
	})

	t.Run("closed: days end with the closing day", func(t *testing.T) {
		// Closes as 19 June begins in Minsk (21:00 UTC on the 18th).
		c := testCampaign("stats-closed", at(17, 0, 0), campaign.StartOfDay(2027, 6, 19, mustZone(t, "Europe/Minsk")))
		if err := svc.Store().CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		st, err := svc.Stats(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Days) != 2 || st.Days[0].Date.Day() != 17 || st.Days[1].Date.Day() != 18 {
			t.Errorf("days of a closed campaign = %+v, want 17 and 18 June", st.Days)
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
