package campaign

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Stats are a campaign's figures for the console, computed from the stored
// signatures and paper counts, so they match them exactly.
type Stats struct {
	// At is the instant the figures were computed for.
	At time.Time
	// Total is Web + PaperRows + PaperCounted.
	Total int64
	// Web counts signatures made on the campaign page, PaperRows those
	// typed in from paper, PaperCounted those counted per country.
	Web, PaperRows, PaperCounted int64
	// Days counts the signatures of each calendar day in the campaign's
	// time zone, every day from the opening day (or the first signature)
	// to today or the closing day (or the last signature). Paper counts
	// have no date and are not in it.
	Days []DayCount
	// Countries counts signatures by country, most first, then by code.
	Countries []CountryCount
	// LastDay counts the signatures made in the 24 hours up to At.
	LastDay int64
}

// Paper is every signature collected on paper, typed in or counted.
func (s Stats) Paper() int64 { return s.PaperRows + s.PaperCounted }

// PerHour is the average number of signatures per hour over the 24 hours
// up to At.
func (s Stats) PerHour() float64 { return float64(s.LastDay) / 24 }

// DayCount is one calendar day's signatures.
type DayCount struct {
	// Date is the day, as midnight UTC of that date (only its year, month
	// and day count).
	Date       time.Time
	Web, Paper int64
}

// Total is the day's signatures from both sources.
func (d DayCount) Total() int64 { return d.Web + d.Paper }

// CountryCount is one country's signatures.
type CountryCount struct {
	Code       string
	Web, Paper int64
}

// Total is the country's signatures from both sources.
func (c CountryCount) Total() int64 { return c.Web + c.Paper }

// Stats computes the campaign's figures at the service clock's time, from
// the index of signatures in memory (index.go) and the campaign's paper
// counts. While the index is being built the error is a *PreparingError.
func (s *Service) Stats(ctx context.Context, c *Campaign) (Stats, error) {
	now := s.now().UTC()
	loc := c.Location()
	st := Stats{At: now}
	days := map[int64]*DayCount{}
	countries := map[string]*CountryCount{}
	countryOf := func(code string) *CountryCount {
		cc, ok := countries[code]
		if !ok {
			cc = &CountryCount{Code: code}
			countries[code] = cc
		}
		return cc
	}

	rows, err := s.indexed(ctx, c.ID)
	if err != nil {
		return Stats{}, err
	}
	invalid, err := s.invalidRows(ctx, c.ID)
	if err != nil {
		return Stats{}, err
	}
	rows.tally(loc, now, invalid, &st, days, countryOf)

	tallies, err := s.PaperTallies(ctx, c.ID)
	if err != nil {
		return Stats{}, err
	}
	for _, t := range tallies {
		st.PaperCounted += t.Count
		countryOf(t.Country).Paper += t.Count
	}
	st.Total = st.Web + st.PaperRows + st.PaperCounted

	st.Days = dayRange(c, now, days)
	for _, cc := range countries {
		st.Countries = append(st.Countries, *cc)
	}
	slices.SortFunc(st.Countries, func(a, b CountryCount) int {
		if n := cmp.Compare(b.Total(), a.Total()); n != 0 {
			return n
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return st, nil
}

// tally counts the rows that no invalidation holds into st, days and the countries: by source, by
// calendar day in loc and over the 24 hours up to now. The rows come in
// time order, so a day's bounds are worked out once per day, not per row.
func (c *campaignRows) tally(loc *time.Location, now time.Time, invalid rowRules, st *Stats, days map[int64]*DayCount, countryOf func(string) *CountryCount) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	dayAgo, nowMS := now.Add(-24*time.Hour).UnixMilli(), now.UnixMilli()
	var d *DayCount
	var dayEnd int64 = -1 << 63
	var cc *CountryCount
	var ccCode [2]byte
	c.walk(0, 0, false, func(r *indexRow) bool {
		if invalid.holds(r) {
			return true
		}
		if d == nil || r.at >= dayEnd {
			t := time.UnixMilli(r.at)
			date := dateIn(t, loc)
			if d = days[date.Unix()]; d == nil {
				d = &DayCount{Date: date}
				days[date.Unix()] = d
			}
			y, m, dd := t.In(loc).Date()
			dayEnd = time.Date(y, m, dd+1, 0, 0, 0, 0, loc).UnixMilli()
		}
		if cc == nil || r.country != ccCode {
			cc, ccCode = countryOf(r.countryCode()), r.country
		}
		if sources[r.source] == SourcePaper {
			st.PaperRows++
			d.Paper++
			cc.Paper++
		} else {
			st.Web++
			d.Web++
			cc.Web++
		}
		if r.at > dayAgo && r.at <= nowMS {
			st.LastDay++
		}
		return true
	})
}

// dateIn returns the calendar date of t in loc, as midnight UTC.
func dateIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayRange lists every day of the campaign so far, with the counts of
// those that have signatures: from the opening day to today (or the
// closing day, if it is over), widened to the first and last signature.
func dayRange(c *Campaign, now time.Time, counted map[int64]*DayCount) []DayCount {
	loc := c.Location()
	var first, last time.Time
	if !c.OpensAt.IsZero() && !now.Before(c.OpensAt) {
		first = dateIn(c.OpensAt, loc)
		end := now
		if !c.ClosesAt.After(now) {
			end = c.ClosesAt.Add(-time.Millisecond) // the last instant it was open
		}
		last = dateIn(end, loc)
	}
	for _, d := range counted {
		if first.IsZero() || d.Date.Before(first) {
			first = d.Date
		}
		if last.IsZero() || d.Date.After(last) {
			last = d.Date
		}
	}
	if first.IsZero() {
		return nil
	}
	var out []DayCount
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if dc, ok := counted[d.Unix()]; ok {
			out = append(out, *dc)
		} else {
			out = append(out, DayCount{Date: d})
		}
	}
	return out
}
