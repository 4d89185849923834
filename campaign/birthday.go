package campaign

import (
	"strconv"
	"time"
)

// A recipient's birthday is written MM-DD, or YYYY-MM-DD when the year is
// known; only the day and month are ever shown in public, and only when
// the recipient or their family agreed (Recipient.ShowBirthday).

// ValidBirthday reports whether b is a birthday as recipients store it:
// MM-DD or YYYY-MM-DD, a day that exists (29 February included).
func ValidBirthday(b string) bool {
	_, _, ok := birthdayOf(b)
	return ok
}

// birthdayOf reads the month and day of b (MM-DD or YYYY-MM-DD).
func birthdayOf(b string) (time.Month, int, bool) {
	switch len(b) {
	case 10:
		d, err := time.Parse(time.DateOnly, b)
		if err != nil {
			return 0, 0, false
		}
		return d.Month(), d.Day(), true
	case 5:
		if b[2] != '-' {
			return 0, 0, false
		}
		m, err1 := strconv.Atoi(b[:2])
		d, err2 := strconv.Atoi(b[3:])
		if err1 != nil || err2 != nil || b[0] == '+' || b[3] == '+' || m < 1 || m > 12 || d < 1 {
			return 0, 0, false
		}
		// 2000 is a leap year: 02-29 is a birthday.
		if t := time.Date(2000, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() != d {
			return 0, 0, false
		}
		return time.Month(m), d, true
	}
	return 0, 0, false
}

// BirthdayMonthDay returns the month and day of the recipient's birthday,
// and false when none (or none valid) is recorded.
func (r *Recipient) BirthdayMonthDay() (time.Month, int, bool) {
	return birthdayOf(r.Birthday)
}

// NextBirthday returns the recipient's next birthday on or after the
// calendar day of today (a date at midnight UTC), and false when no
// birthday is recorded. A birthday on 29 February falls on 28 February in
// other years.
func (r *Recipient) NextBirthday(today time.Time) (time.Time, bool) {
	m, d, ok := r.BirthdayMonthDay()
	if !ok {
		return time.Time{}, false
	}
	y, tm, td := today.Date()
	day := time.Date(y, tm, td, 0, 0, 0, 0, time.UTC)
	for year := y; ; year++ {
		b := birthdayIn(year, m, d)
		if !b.Before(day) {
			return b, true
		}
	}
}

// birthdayIn is the day a birthday on m-d falls on in year.
func birthdayIn(year int, m time.Month, d int) time.Time {
	b := time.Date(year, m, d, 0, 0, 0, 0, time.UTC)
	if b.Month() != m { // 29 February in a common year
		b = time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return b
}
