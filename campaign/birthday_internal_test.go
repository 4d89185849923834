package campaign

import (
	"testing"
	"time"
)

func TestBirthdays(t *testing.T) {
	today := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		birthday string
		valid    bool
		next     string // from 1 June 2027
	}{
		{"09-25", true, "2027-09-25"},
		{"1962-09-25", true, "2027-09-25"},
		{"06-01", true, "2027-06-01"},
		{"05-31", true, "2028-05-31"},
		{"02-29", true, "2028-02-29"},
		{"2000-02-29", true, "2028-02-29"},
		{"13-01", false, ""},
		{"02-30", false, ""},
		{"00-10", false, ""},
		{"1-1", false, ""},
		{"+1-01", false, ""},
		{"01-+1", false, ""},
		{"2027-13-01", false, ""},
		{"", false, ""},
	} {
		if got := ValidBirthday(tc.birthday); got != tc.valid {
			t.Errorf("ValidBirthday(%q) = %v, want %v", tc.birthday, got, tc.valid)
		}
		r := Recipient{Birthday: tc.birthday}
		next, ok := r.NextBirthday(today)
		if got := ""; ok {
			got = next.Format(time.DateOnly)
			if got != tc.next {
				t.Errorf("next birthday of %q = %s, want %s", tc.birthday, got, tc.next)
			}
		} else if tc.next != "" {
			t.Errorf("no next birthday of %q, want %s", tc.birthday, tc.next)
		}
	}
	// 29 February falls on the 28th in a common year.
	if next, _ := (&Recipient{Birthday: "02-29"}).NextBirthday(time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)); next.Format(time.DateOnly) != "2029-02-28" {
		t.Errorf("02-29 in 2029 falls on %s", next.Format(time.DateOnly))
	}
}

func FuzzValidBirthday(f *testing.F) {
	for _, s := range []string{"09-25", "1962-09-25", "02-29", "13-01", "+1-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidBirthday(s) {
			return
		}
		m, d, ok := birthdayOf(s)
		if !ok || time.Date(2000, m, d, 0, 0, 0, 0, time.UTC).Day() != d {
			t.Errorf("%q is valid but reads as %v %d", s, m, d)
		}
	})
}

func TestNextYearSlug(t *testing.T) {
	for _, tc := range []struct {
		slug     string
		from, to int
		want     string
	}{
		{"greetings-2027", 2027, 2028, "greetings-2028"},
		{"2027-new-year", 2027, 2028, "2028-new-year"},
		{"new-year-2027-cards-2027", 2027, 2028, "new-year-2028-cards-2027"},
		{"cards", 2027, 2028, "cards-2028"},
		{"cards-2025", 2027, 2028, "cards-2025-2028"},
		{"a20271", 2027, 2028, "a20271-2028"},
	} {
		if got := nextYearSlug(tc.slug, tc.from, tc.to); got != tc.want || !ValidSlug(got) {
			t.Errorf("nextYearSlug(%q) = %q, want %q", tc.slug, got, tc.want)
		}
	}
}
