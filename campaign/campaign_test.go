package campaign_test

import (
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		name, date, tz string
		want           string // RFC 3339 in UTC
	}{
		{"Minsk summer", "2027-07-12", "Europe/Minsk", "2027-07-11T21:00:00Z"},
		{"Stockholm summer time", "2027-07-12", "Europe/Stockholm", "2027-07-11T22:00:00Z"},
		{"Stockholm winter time", "2027-01-12", "Europe/Stockholm", "2027-01-11T23:00:00Z"},
		{"UTC", "2027-07-12", "UTC", "2027-07-12T00:00:00Z"},
		{"New York", "2027-07-12", "America/New_York", "2027-07-12T04:00:00Z"},
		{"Kathmandu quarter hour", "2027-07-12", "Asia/Kathmandu", "2027-07-11T18:15:00Z"},
		{"day of spring change in Europe", "2027-03-28", "Europe/Berlin", "2027-03-27T23:00:00Z"},
		{"day after spring change", "2027-03-29", "Europe/Berlin", "2027-03-28T22:00:00Z"},
		{"day of autumn change", "2026-10-25", "Europe/Berlin", "2026-10-24T22:00:00Z"},
		// Chile moves its clocks from 00:00 to 01:00: the day starts at 01:00 local.
		{"midnight skipped (Santiago)", "2022-09-11", "America/Santiago", "2022-09-11T04:00:00Z"},
		// Cuba moves its clocks from 01:00 back to 00:00: midnight happens twice; the first counts.
		{"midnight twice (Havana)", "2022-11-06", "America/Havana", "2022-11-06T04:00:00Z"},
		{"leap day", "2028-02-29", "Europe/Kyiv", "2028-02-28T22:00:00Z"},
	}
	// Samoa skipped 30 December 2011: "before 30 December" closes as 31 December begins.
	if got, err := campaign.Deadline("2011-12-30", "Pacific/Apia"); err != nil || got.Format(time.RFC3339) != "2011-12-30T10:00:00Z" {
		t.Errorf("Deadline of a skipped day = %v, %v; want the start of the next day, 2011-12-30T10:00:00Z", got, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := campaign.Deadline(tt.date, tt.tz)
			if err != nil {
				t.Fatalf("Deadline: %v", err)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("Deadline(%s, %s) = %s, want %s", tt.date, tt.tz, s, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Deadline is in %v, want UTC", got.Location())
			}
			local := got.In(mustLoad(t, tt.tz))
			if local.Format(time.DateOnly) != tt.date {
				t.Errorf("deadline shows as %s locally, want the day %s", local, tt.date)
			}
			if before := got.Add(-time.Nanosecond).In(mustLoad(t, tt.tz)); before.Format(time.DateOnly) == tt.date {
				t.Errorf("the instant before the deadline, %s, is already on %s", before, tt.date)
			}
		})
	}
}

func TestDeadlineRejectsBadInput(t *testing.T) {
	for _, in := range [][2]string{{"2027-07-32", "UTC"}, {"12 July", "UTC"}, {"2027-07-12", "Mars/Olympus"}, {"2027-07-12", ""}} {
		if _, err := campaign.Deadline(in[0], in[1]); err == nil {
			t.Errorf("Deadline(%q, %q) succeeded, want an error", in[0], in[1])
		}
	}
}

func TestStatus(t *testing.T) {
	closes, _ := campaign.Deadline("2027-07-12", "Europe/Minsk")
	opens := closes.AddDate(0, -1, 0)
	c := campaign.Campaign{OpensAt: opens, ClosesAt: closes, TimeZone: "Europe/Minsk"}
	draft := campaign.Campaign{ClosesAt: closes}
	tests := []struct {
		name string
		c    campaign.Campaign
		now  time.Time
		want campaign.Status
	}{
		{"draft", draft, opens, campaign.StatusDraft},
		{"draft after its deadline", draft, closes.Add(time.Hour), campaign.StatusDraft},
		{"before opening", c, opens.Add(-time.Nanosecond), campaign.StatusScheduled},
		{"at opening", c, opens, campaign.StatusOpen},
		{"last instant of 11 July in Minsk", c, closes.Add(-time.Nanosecond), campaign.StatusOpen},
		{"12 July 00:00 in Minsk", c, closes, campaign.StatusClosed},
		{"later", c, closes.AddDate(1, 0, 0), campaign.StatusClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Status(tt.now); got != tt.want {
				t.Errorf("Status(%s) = %s, want %s", tt.now, got, tt.want)
			}
		})
	}
}

func TestValidSlug(t *testing.T) {
	tests := map[string]bool{
		"ales-bialiatski": true, "a": true, "2027": true,
		"": false, "-a": false, "a-": false, "a--b": false, "Ales": false, "a_b": false, "a b": false, "алесь": false,
		"a23456789012345678901234567890123456789012345678901234567890123456789012345678901": false,
	}
	for in, want := range tests {
		if got := campaign.ValidSlug(in); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", in, got, want)
		}
	}
}
