package campaign

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// The console's list, search and statistics read an index of every
// campaign's signatures held in memory, never the database: on the
// embedded database any read but one by _id scans the whole collection
// (103 s a page at 100k signatures), and names and cities are sealed, so
// no database could search them anyway. MongoDB's (campaign_id,
// signed_at) index could serve unsearched pages, but a search would still
// open every row in the range; one way for both backends keeps the
// answers the same everywhere, and the database index serves what the
// memory needs from it: the rows other nodes added (indexsync.go).
//
// The index holds, per signature, its key (signed_at, _id), country,
// source, flags, partner and the name and city in plain text with their
// case-folded form for search. Plain text in memory is acceptable under
// the threat model, whose concern is a seized disk or backup: the index is
// never written anywhere (not to the database, not to a file), and the
// process that holds it holds the data keys too, so whoever can read its
// memory can open every sealed field already; every console page decrypts
// the same names. What it asks of the host: no core dumps and no
// unencrypted swap, as the keys already do.
//
// It is built at start-up by one read of the signatures (BuildIndex; Run
// starts it), while the app serves: until it is built the console says the
// list is being prepared (PreparingError). It is kept current by the
// group commit (commit.go), AddSignatures, paper rows and erasure on this
// node, and by a read of what other nodes stored (indexsync.go).

// RowFlags are yes/no facts about a signature that the list shows or
// filters by; one bit each, so that more (marks, states) cost no memory.
type RowFlags uint8

// The flags of a row.
const (
	FlagGreeting RowFlags = 1 << iota // came with a greeting
	FlagUpdates                       // asked to be kept informed
)

// sources numbers the sources, so that a row keeps one byte.
var sources = []Source{"", SourceWeb, SourceEmbed, SourceAPI, SourcePaper}

func sourceCode(s Source) uint8 {
	if i := slices.Index(sources, s); i > 0 {
		return uint8(i)
	}
	return 0
}

// indexRow is one signature in the index: what a page of the console
// shows and what its filters test.
type indexRow struct {
	// at is signed_at in Unix milliseconds (what BSON keeps).
	at int64
	id string
	// text is the name, the city, then their folded forms (foldText),
	// one after the other: one string instead of four saves their headers.
	text     string
	referrer string // interned: few partners, many rows
	// recipient is a drive's card's recipient, interned too.
	recipient string
	// bytes has bit b%64 set for every byte b of the folded texts: a
	// search skips, without reading text, the rows that lack a byte of
	// its term (most of them), which at a million rows is most of the
	// time a search takes.
	bytes uint64
	// The ends of the name, the city and the folded name in text.
	nameEnd, cityEnd, foldEnd uint16
	country                   [2]byte
	source                    uint8
	flags                     RowFlags
	// groups places the row in the burst groupings, which invalidations
	// name (index_invalid.go).
	groups rowGroups
}

func (r *indexRow) name() string       { return r.text[:r.nameEnd] }
func (r *indexRow) city() string       { return r.text[r.nameEnd:r.cityEnd] }
func (r *indexRow) foldedName() string { return r.text[r.cityEnd:r.foldEnd] }
func (r *indexRow) foldedCity() string { return r.text[r.foldEnd:] }

func (r *indexRow) countryCode() string {
	if r.country == [2]byte{} {
		return ""
	}
	return string(r.country[:])
}

func (r *indexRow) cursor() Cursor { return Cursor{SignedAt: time.UnixMilli(r.at).UTC(), ID: r.id} }

// compareKey orders rows by (at, id), oldest first.
func compareKey(at int64, id string, r *indexRow) int {
	if c := cmp.Compare(at, r.at); c != 0 {
		return c
	}
	return strings.Compare(id, r.id)
}

// newRow makes the index row of a signature; intern shares equal
// referrers.
func newRow(sig *Signature, intern func(string) string) indexRow {
	name, city := sig.Person.Name, sig.Person.City
	fn, fc := foldText(name), foldText(city)
	r := indexRow{
		at: sig.SignedAt.UnixMilli(), id: sig.ID,
		text:      name + city + fn + fc,
		referrer:  intern(sig.Referrer),
		recipient: intern(sig.RecipientID),
		source:    sourceCode(sig.Source),
		groups:    groupsOf(sig),
	}
	r.bytes = byteMask(fn) | byteMask(fc)
	r.nameEnd = uint16(len(name))
	r.cityEnd = r.nameEnd + uint16(len(city))
	r.foldEnd = r.cityEnd + uint16(len(fn))
	if c := sig.Person.Country; len(c) == 2 {
		r.country = [2]byte{c[0], c[1]}
	}
	if sig.HasGreeting {
		r.flags |= FlagGreeting
	}
	if sig.Updates {
		r.flags |= FlagUpdates
	}
	return r
}

// signature is the row as a Signature: the fields the console shows.
func (r *indexRow) signature(campaignID string) Signature {
	return Signature{
		ID: r.id, CampaignID: campaignID, SignedAt: time.UnixMilli(r.at).UTC(),
		Source: sources[r.source], Referrer: r.referrer, RecipientID: r.recipient,
		Updates: r.flags&FlagUpdates != 0, HasGreeting: r.flags&FlagGreeting != 0,
		Person: Person{Name: r.name(), City: r.city(), Country: r.countryCode()},
	}
}

// byteMask sets bit b%64 for every byte b of s.
func byteMask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

// foldText maps every letter to one representative of its case-folding
// orbit (the smallest), so that two texts are equal in any case exactly
// when their folds are equal: what the regexp flag (?i) that searched the
// opened rows before compared, rune by rune.
func foldText(s string) string { return strings.Map(foldRune, s) }

func foldRune(r rune) rune {
	if r < 0x80 {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// rowFilter is a SignatureFilter ready to test rows.
type rowFilter struct {
	search      string // folded; empty: any
	searchBytes uint64 // byteMask(search)
	country     [2]byte
	anyCountry  bool
	from, until int64 // Unix ms; zero: unbounded
	source      uint8
	anySource   bool
	greeting    Presence
	// invalid are the invalidations that hold: their rows are left out.
	invalid rowRules
}

func newRowFilter(f SignatureFilter, search string) rowFilter {
	rf := rowFilter{search: foldText(search), anyCountry: f.Country == "", anySource: f.Source == "", greeting: f.Greeting}
	rf.searchBytes = byteMask(rf.search)
	if len(f.Country) == 2 {
		rf.country = [2]byte{f.Country[0], f.Country[1]}
	} else if f.Country != "" {
		rf.country = [2]byte{0xff, 0xff} // matches no row
	}
	if !rf.anySource {
		rf.source = sourceCode(f.Source)
		if rf.source == 0 {
			rf.source = 0xff
		}
	}
	if !f.From.IsZero() {
		rf.from = f.From.UnixMilli()
	}
	if !f.Until.IsZero() {
		rf.until = f.Until.UnixMilli()
	}
	return rf
}

// match tests a row against everything but the time bounds, which the
// walk applies.
func (f *rowFilter) match(r *indexRow) bool {
	if f.invalid.holds(r) {
		return false
	}
	if !f.anyCountry && r.country != f.country {
		return false
	}
	if !f.anySource && r.source != f.source {
		return false
	}
	switch f.greeting {
	case WithGreeting:
		if r.flags&FlagGreeting == 0 {
			return false
		}
	case WithoutGreeting:
		if r.flags&FlagGreeting != 0 {
			return false
		}
	}
	if f.search == "" {
		return true
	}
	if r.bytes&f.searchBytes != f.searchBytes {
		return false
	}
	// One look at both folded texts first, as most rows do not match; a
	// match is then checked not to run from the name into the city.
	if !strings.Contains(r.text[r.cityEnd:], f.search) {
		return false
	}
	return strings.Contains(r.foldedName(), f.search) || strings.Contains(r.foldedCity(), f.search)
}

// chunkMax bounds the rows of one chunk: an insertion moves at most that
// many, whatever the campaign's size.
const chunkMax = 512

// campaignRows is one campaign's rows in key order, oldest first, in
// chunks of at most chunkMax rows, so that a row signed out of order (on
// another node, or typed in from paper) costs a small move.
type campaignRows struct {
	mu     sync.RWMutex
	chunks [][]indexRow
	n      int
}

// locate returns the chunk and the position in it of the first row whose
// key is not below (at, id); the chunk index is len(chunks) past the end.
func (c *campaignRows) locate(at int64, id string) (int, int) {
	ci := firstTrue(len(c.chunks), func(i int) bool {
		last := &c.chunks[i][len(c.chunks[i])-1]
		return compareKey(at, id, last) <= 0
	})
	if ci == len(c.chunks) {
		return ci, 0
	}
	ch := c.chunks[ci]
	return ci, firstTrue(len(ch), func(i int) bool { return compareKey(at, id, &ch[i]) <= 0 })
}

// firstTrue returns the smallest i in [0, n) for which ok is true, or n; ok
// must be false then true.
func firstTrue(n int, ok func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ok(m) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// has reports whether the row with that key is in c.
func (c *campaignRows) has(at int64, id string) bool {
	ci, i := c.locate(at, id)
	return ci < len(c.chunks) && compareKey(at, id, &c.chunks[ci][i]) == 0
}

// insert adds r unless a row with its key is there, and reports whether
// it did.
func (c *campaignRows) insert(r indexRow) bool {
	ci, i := c.locate(r.at, r.id)
	if ci == len(c.chunks) {
		// After every row: the usual case, a new signature.
		if ci == 0 || len(c.chunks[ci-1]) >= chunkMax {
			c.chunks = append(c.chunks, make([]indexRow, 0, chunkMax))
		}
		ci = len(c.chunks) - 1
		c.chunks[ci] = append(c.chunks[ci], r)
		c.n++
		return true
	}
	ch := c.chunks[ci]
	if compareKey(r.at, r.id, &ch[i]) == 0 {
		return false
	}
	if len(ch) >= chunkMax {
		// Split in halves, each with room to grow.
		left := make([]indexRow, chunkMax/2, chunkMax)
		right := make([]indexRow, len(ch)-chunkMax/2, chunkMax)
		copy(left, ch[:chunkMax/2])
		copy(right, ch[chunkMax/2:])
		c.chunks = slices.Insert(c.chunks, ci+1, right)
		c.chunks[ci] = left
		if i >= len(left) {
			ci, i = ci+1, i-len(left)
		}
		ch = c.chunks[ci]
	}
	c.chunks[ci] = slices.Insert(ch, i, r)
	c.n++
	return true
}

// remove deletes the row with that key, and reports whether it was there.
func (c *campaignRows) remove(at int64, id string) bool {
	ci, i := c.locate(at, id)
	if ci == len(c.chunks) || compareKey(at, id, &c.chunks[ci][i]) != 0 {
		return false
	}
	c.chunks[ci] = slices.Delete(c.chunks[ci], i, i+1)
	if len(c.chunks[ci]) == 0 {
		c.chunks = slices.Delete(c.chunks, ci, ci+1)
	}
	c.n--
	return true
}

// walk calls fn with the rows from the position (ci, i) on, towards older
// rows (back) or newer ones, until fn returns false.
func (c *campaignRows) walk(ci, i int, back bool, fn func(*indexRow) bool) {
	if back {
		for ; ci >= 0; ci-- {
			if i < 0 || i >= len(c.chunks[ci]) {
				i = len(c.chunks[ci]) - 1
			}
			for ch := c.chunks[ci]; i >= 0; i-- {
				if !fn(&ch[i]) {
					return
				}
			}
		}
		return
	}
	for ; ci < len(c.chunks); ci, i = ci+1, 0 {
		for ch := c.chunks[ci]; i < len(ch); i++ {
			if !fn(&ch[i]) {
				return
			}
		}
	}
}

// page reads up to limit rows that pass f, from key on: older than key,
// newest first, or when newer is true newer than key, oldest first. A zero
// key starts at the newest row (or the oldest, for newer).
func (c *campaignRows) page(campaignID string, f *rowFilter, key Cursor, newer bool, limit int) []Signature {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Signature, 0, limit)
	take := func(r *indexRow) bool {
		if newer && f.until != 0 && r.at >= f.until || !newer && f.from != 0 && r.at < f.from {
			return false // past the period's far end
		}
		if f.match(r) {
			out = append(out, r.signature(campaignID))
		}
		return len(out) < limit
	}
	if newer {
		at, id := f.from, ""
		if !key.IsZero() && key.SignedAt.UnixMilli() >= at {
			// The first row strictly after the key: the key's id with a
			// byte appended is the smallest id after it.
			at, id = key.SignedAt.UnixMilli(), key.ID+"\x00"
		}
		ci, i := c.locate(at, id)
		c.walk(ci, i, false, take)
		return out
	}
	// Older: start below the key or the period's end, whichever is lower.
	ci, i := len(c.chunks), 0
	if f.until != 0 {
		ci, i = c.locate(f.until, "")
	}
	if !key.IsZero() {
		if kci, ki := c.locate(key.SignedAt.UnixMilli(), key.ID); f.until == 0 || key.SignedAt.UnixMilli() < f.until {
			ci, i = kci, ki
		}
	}
	// (ci, i) is the first row not below the bound: step back one.
	if i > 0 {
		i--
	} else {
		ci--
		if ci >= 0 {
			i = len(c.chunks[ci]) - 1
		}
	}
	if ci >= 0 {
		c.walk(ci, i, true, take)
	}
	return out
}
