package web

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/i18n"
	"github.com/solidarity-letters/solidarity/internal/textnorm"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The directory of recipients, /recipients: everyone listed who has a
// public page (a listed public campaign writes to them, or a listed post
// is about them), with the cards written to them this year, their
// birthday when their family agreed it is shown, and a link to write to
// them. Searchable by name, prison and country; sorted by default so that
// those who got the fewest cards come first. Everything comes from memory
// (the campaign set, the counts, the posts' set): the entries are built
// once per state of those (directoryCache), and the pages without a typed
// search come from the page cache. An unlisted recipient is in none of
// it, not even in a count.

// directoryPerPage is how many recipients a page of the directory lists.
const directoryPerPage = 20

// directorySearchMax is the longest search text, in characters.
const directorySearchMax = 100

// The directory's sorts; the first is the default.
const (
	sortFewest   = "fewest"
	sortName     = "name"
	sortBirthday = "birthday"
)

var directorySorts = []string{sortFewest, sortName, sortBirthday}

// directoryEntry is a recipient as the directory lists them.
type directoryEntry struct {
	r *campaign.Recipient
	// name and translit are the name folded for search, as written and
	// transliterated to Latin letters (campaign.Slugify).
	name, translit string
	// prison is the current address folded for search; "" when letters do
	// not reach them (the public page then gives no address either).
	prison  string
	address []string
	cards   int64
	// month and day are the birthday shown, when it is.
	month    time.Month
	day      int
	birthday bool
	// write is where the button to write leads, and what kind of place
	// it is: "drive", "letter" or "page" (their page; "page" too when
	// letters do not reach them, with reachable false).
	write, writeKind string
	reachable        bool
	situation        campaign.Situation
}

// directoryCache keeps the entries built for one state.
type directoryCache struct {
	mu      sync.Mutex
	key     pageState
	built   bool
	entries []directoryEntry
}

// searchFold folds s for a search that ignores case and the ways of
// writing a letter: NFKC, then Unicode case folding.
func searchFold(s string) string {
	return cases.Fold().String(norm.NFKC.String(s))
}

// directoryKey sums up what the directory is drawn from: content (the
// campaign set, who is shown, the posts, the day, the profile) and counts
// (those of this year's campaigns).
func (s *Server) directoryKey(set *campaign.CampaignSet) pageState {
	now := s.cfg.Now()
	key := s.memoryPageKey(set, dayNumber(now.UTC()))
	var counts []uint64
	for i := range set.All {
		if c := &set.All[i]; s.openedThisYear(c, now) {
			counts = append(counts, s.deps.Signing.CountVersion(c.ID))
		}
	}
	key.counts = cacheKey(counts...)
	return key
}

// openedThisYear reports whether c opened by now, in now's calendar year
// in c's time zone.
func (s *Server) openedThisYear(c *campaign.Campaign, now time.Time) bool {
	if c.OpensAt.IsZero() || c.OpensAt.After(now) {
		return false
	}
	loc, ok := s.zones.Load(c.TimeZone)
	if !ok {
		// time.LoadLocation parses the zone's file on every call.
		loc, _ = s.zones.LoadOrStore(c.TimeZone, c.Location())
	}
	return c.OpensAt.In(loc.(*time.Location)).Year() == now.In(loc.(*time.Location)).Year()
}

// directoryEntries returns the directory's entries for key, by name,
// built from memory when key changed.
func (s *Server) directoryEntries(set *campaign.CampaignSet, key pageState) []directoryEntry {
	d := &s.directoryList
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.built && d.key == key {
		return d.entries
	}
	d.entries, d.key, d.built = s.buildDirectory(set), key, true
	return d.entries
}

// buildDirectory lists the recipients the directory shows, by name.
func (s *Server) buildDirectory(set *campaign.CampaignSet) []directoryEntry {
	now := s.cfg.Now()
	today := now.UTC().Format(time.DateOnly)
	shown := map[string]bool{}
	cards := map[string]int64{}
	drive, letter := map[string]*campaign.Campaign{}, map[string]*campaign.Campaign{}
	soonest := func(m map[string]*campaign.Campaign, id string, c *campaign.Campaign) {
		if old, ok := m[id]; !ok || c.ClosesAt.Before(old.ClosesAt) {
			m[id] = c
		}
	}
	for i := range set.All {
		c := &set.All[i]
		if s.openedThisYear(c, now) {
			for id, n := range s.deps.Signing.CardCounts(c.ID) {
				if c.WritesTo(id) {
					cards[id] += n
				}
			}
		}
		if !c.Public(now) || c.Unlisted {
			continue
		}
		open := c.Status(now) == campaign.StatusOpen
		for _, id := range c.Recipients() {
			shown[id] = true
			switch {
			case open && c.IsDrive():
				soonest(drive, id, c)
			case open:
				soonest(letter, id, c)
			}
		}
	}
	if s.deps.Posts != nil {
		for _, e := range s.deps.Posts.Posts().Listed(now, "") {
			shown[e.Post.RecipientID] = true
		}
	}
	var out []directoryEntry
	for _, r := range set.Recipients() {
		if r.Unlisted || r.Slug == "" || !shown[r.ID] {
			continue
		}
		e := directoryEntry{r: r, name: searchFold(r.Name), translit: campaign.Slugify(r.Name), cards: cards[r.ID],
			reachable: true, writeKind: "page", write: "/r/" + url.PathEscape(r.Slug)}
		if ch, ok := r.StatusOn(today); ok && ch.Unreachable() {
			e.reachable, e.situation = false, ch.Situation
		}
		if e.reachable {
			e.address = r.AddressOn(today)
			e.prison = searchFold(strings.Join(e.address, "\n"))
			if c, ok := drive[r.ID]; ok {
				e.write, e.writeKind = "/c/"+url.PathEscape(c.Slug)+"?to="+url.QueryEscape(r.Slug), "drive"
			} else if c, ok := letter[r.ID]; ok {
				e.write, e.writeKind = "/c/"+url.PathEscape(c.Slug), "letter"
			}
		}
		if r.ShowBirthday {
			e.month, e.day, e.birthday = r.BirthdayMonthDay()
		}
		out = append(out, e)
	}
	slices.SortFunc(out, byEntryName)
	return out
}

func byEntryName(a, b directoryEntry) int {
	return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.r.ID, b.r.ID))
}

// DirectoryPage is the directory of recipients.
type DirectoryPage struct {
	Page
	// Query, Prison, Country and Sort are the search as asked.
	Query, Prison, Country, Sort string
	// Error says why the search could not be made; the list is empty then.
	Error     string
	Countries []DirectoryOption
	Sorts     []DirectoryOption
	Entries   []DirectoryView
	// Found says how many recipients the search found (all listed ones
	// without a search).
	Found        string
	Searched     bool
	Newer, Older string
	PageNo       string
}

// DirectoryOption is an option of the directory's search form.
type DirectoryOption struct {
	Value, Label string
	Selected     bool
}

// DirectoryView is one recipient in the directory.
type DirectoryView struct {
	Name, Page, Country, Address string
	Cards                        string
	Birthday, BirthdayISO        string
	Status                       string
	Write, WriteLabel, WriteKind string
}

// directorySearch is a search of the directory, read from the query.
type directorySearch struct {
	query, prison, country, sort string
	page                         int
	// foldedQuery, foldedPrison and translit are the texts as matches
	// compares them (folded once, not per recipient).
	foldedQuery, foldedPrison, translit string
}

// readDirectorySearch reads the query; problem is a message ID when the
// query cannot be searched, and notFound is set for a page that is not a
// number.
func readDirectorySearch(c *fiber.Ctx) (q directorySearch, problem string, notFound bool) {
	q.sort = c.Query("sort", sortFewest)
	if !slices.Contains(directorySorts, q.sort) {
		q.sort = sortFewest
	}
	page, err := strconv.Atoi(c.Query("page", "1"))
	if err != nil || page < 1 {
		return q, "", true
	}
	q.page = page
	q.country = strings.ToUpper(strings.TrimSpace(c.Query("country")))
	for _, f := range []struct {
		dst *string
		raw string
	}{{&q.query, c.Query("q")}, {&q.prison, c.Query("prison")}} {
		v, err := textnorm.Line(f.raw)
		switch {
		case err != nil:
			*f.dst = f.raw
			return q, "directory.error.characters", false
		case textnorm.Length(v) > directorySearchMax:
			*f.dst = v
			return q, "directory.error.too_long", false
		}
		*f.dst = v
	}
	q.foldedQuery, q.foldedPrison, q.translit = searchFold(q.query), searchFold(q.prison), campaign.Slugify(q.query)
	return q, "", false
}

// matches reports whether e is found by the search q.
func (q *directorySearch) matches(e *directoryEntry) bool {
	if q.country != "" && e.r.Country != q.country {
		return false
	}
	if q.prison != "" && !strings.Contains(e.prison, q.foldedPrison) {
		return false
	}
	if q.query == "" {
		return true
	}
	if strings.Contains(e.name, q.foldedQuery) {
		return true
	}
	// "bialiatski" finds "Алесь Бяляцкі" and "бяляцкі" finds "Ales
	// Bialiatski": both sides transliterated to Latin letters.
	return q.translit != "" && strings.Contains(e.translit, q.translit)
}

func (s *Server) directory(c *fiber.Ctx) error {
	set := s.deps.Signing.Campaigns()
	key := s.directoryKey(set)
	entries := s.directoryEntries(set, key)
	q, problem, notFound := readDirectorySearch(c)
	if notFound {
		return fiber.ErrNotFound
	}
	slot, cached := s.directorySlot(c, q)
	if cached && problem == "" {
		// Only a page drawn without a problem was kept.
		if pg, ok := s.pages.get(slot, key); ok {
			return s.sendPage(c, pg, "", "")
		}
	}
	countries := map[string]bool{}
	for i := range entries {
		countries[entries[i].r.Country] = true
	}
	if problem == "" && q.country != "" && !countries[q.country] {
		problem = "directory.error.country"
	}
	if problem != "" {
		return s.render(c, fiber.StatusBadRequest, "directory", s.directoryData(c, q, problem, nil, countries))
	}
	var found []directoryEntry
	for i := range entries {
		if q.matches(&entries[i]) {
			found = append(found, entries[i])
		}
	}
	if (q.page-1)*directoryPerPage >= max(len(found), 1) {
		return fiber.ErrNotFound
	}
	sortDirectory(found, q.sort, s.cfg.Now())
	if !cached {
		return s.render(c, fiber.StatusOK, "directory", s.directoryData(c, q, "", found, countries))
	}
	return s.sendCached(c, slot, key, "directory", func() (*Page, any, error) {
		p := s.directoryData(c, q, "", found, countries)
		return &p.Page, p, nil
	})
}

// directorySlot names the cache slot of a directory page, and false when
// it is not to come from the cache: a typed search (which would fill the
// cache with one page per text), or a query with anything else than
// what the page's own links carry.
func (s *Server) directorySlot(c *fiber.Ctx, q directorySearch) (string, bool) {
	if c.Path() != "/recipients" || q.query != "" || q.prison != "" {
		return "", false
	}
	vals, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return "", false
	}
	for k, vs := range vals {
		if len(vs) != 1 {
			return "", false
		}
		switch k {
		case "lang", "q", "prison":
		case "page":
			if !smallNumber(vs[0]) {
				return "", false
			}
		case "sort":
			if vs[0] != q.sort {
				return "", false
			}
		case "country":
			if vs[0] != q.country {
				return "", false
			}
		default:
			return "", false
		}
	}
	t := s.localizer(c)
	return strings.Join([]string{"directory", q.sort, q.country, strconv.Itoa(q.page), t.Tag().String(), s.baseURL(c)}, "\x00"), true
}

// sortDirectory orders found (by name already) by sort: the fewest cards
// this year first, by name, or the birthdays coming soonest first (those
// without a birthday shown last).
func sortDirectory(found []directoryEntry, sort string, now time.Time) {
	switch sort {
	case sortFewest:
		slices.SortStableFunc(found, func(a, b directoryEntry) int { return cmp.Compare(a.cards, b.cards) })
	case sortBirthday:
		y, m, d := now.UTC().Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		next := func(e *directoryEntry) int {
			if !e.birthday {
				return 400
			}
			r := campaign.Recipient{Birthday: time.Date(2000, e.month, e.day, 0, 0, 0, 0, time.UTC).Format("01-02")}
			b, _ := r.NextBirthday(today)
			return int(b.Sub(today).Hours() / 24)
		}
		slices.SortStableFunc(found, func(a, b directoryEntry) int { return cmp.Compare(next(&a), next(&b)) })
	}
}

// directoryData lays out the directory's page: the search q, its problem
// (a message ID) or the recipients found, the countries among all listed.
func (s *Server) directoryData(c *fiber.Ctx, q directorySearch, problem string, found []directoryEntry, countries map[string]bool) DirectoryPage {
	t := s.localizer(c)
	title := t.T("directory.title")
	p := DirectoryPage{Page: s.page(c, title), Query: q.query, Prison: q.prison, Country: q.country, Sort: q.sort,
		Searched: q.query != "" || q.prison != "" || q.country != ""}
	if problem != "" {
		p.Error = t.T(problem, "Limit", t.Number(directorySearchMax))
		p.Title = t.T("directory.error_title", "Title", title)
	}
	p.Meta = s.pageMeta(c, t, title, t.T("directory.description"), "/recipients")
	p.Meta.NoIndex = p.Searched
	codes := make([]string, 0, len(countries))
	for code := range countries {
		codes = append(codes, code)
	}
	names := make(map[string]string, len(codes))
	for _, code := range codes {
		names[code] = s.deps.Countries.Name(t.Tag(), code)
	}
	slices.SortFunc(codes, func(a, b string) int { return strings.Compare(searchFold(names[a]), searchFold(names[b])) })
	for _, code := range codes {
		p.Countries = append(p.Countries, DirectoryOption{Value: code, Label: names[code], Selected: code == q.country})
	}
	for _, v := range directorySorts {
		p.Sorts = append(p.Sorts, DirectoryOption{Value: v, Label: t.T(sortLabels[v]), Selected: v == q.sort})
	}
	if problem != "" {
		return p
	}
	p.Found = t.N("directory.found", int64(len(found)))
	from, to := (q.page-1)*directoryPerPage, min(q.page*directoryPerPage, len(found))
	for i := range found[from:to] {
		p.Entries = append(p.Entries, s.directoryView(t, &found[from+i]))
	}
	link := func(n int) string {
		v := url.Values{}
		for _, f := range [][2]string{{"q", q.query}, {"prison", q.prison}, {"country", q.country}} {
			if f[1] != "" {
				v.Set(f[0], f[1])
			}
		}
		if q.sort != sortFewest {
			v.Set("sort", q.sort)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/recipients"
		}
		return "/recipients?" + v.Encode()
	}
	if q.page > 1 {
		p.Newer = link(q.page - 1)
	}
	if to < len(found) {
		p.Older = link(q.page + 1)
	}
	if p.Newer != "" || p.Older != "" {
		p.PageNo = t.T("directory.page_of", "Page", t.Number(int64(q.page)),
			"Pages", t.Number(int64((len(found)+directoryPerPage-1)/directoryPerPage)))
	}
	return p
}

// directoryView words one entry in the reader's language.
func (s *Server) directoryView(t *i18n.Localizer, e *directoryEntry) DirectoryView {
	v := DirectoryView{Name: e.r.Name, Page: "/r/" + url.PathEscape(e.r.Slug), Country: s.deps.Countries.Name(t.Tag(), e.r.Country),
		Address: strings.Join(e.address, ", "), Cards: t.N("directory.cards", e.cards), Write: e.write, WriteKind: e.writeKind}
	if e.birthday {
		v.Birthday = t.T("directory.day_month", "Day", e.day, "Month", t.T("month."+strconv.Itoa(int(e.month))))
		v.BirthdayISO = time.Date(2000, e.month, e.day, 0, 0, 0, 0, time.UTC).Format("--01-02")
	}
	switch {
	case !e.reachable:
		v.Status = t.T(situationLabels[e.situation])
		v.WriteLabel = t.T("directory.write.page_unreachable", "Name", e.r.Name)
	default:
		v.WriteLabel = t.T(writeLabels[e.writeKind], "Name", e.r.Name)
	}
	return v
}

// The messages that word a sort, a situation in which letters do not
// reach someone, and where the button to write leads.
var (
	sortLabels      = map[string]string{sortFewest: "directory.sort.fewest", sortName: "directory.sort.name", sortBirthday: "directory.sort.birthday"}
	situationLabels = map[campaign.Situation]string{
		campaign.SituationReleased:      "directory.situation.released",
		campaign.SituationIncommunicado: "directory.situation.incommunicado",
		campaign.SituationDeceased:      "directory.situation.deceased",
	}
	writeLabels = map[string]string{"drive": "directory.write.drive", "letter": "directory.write.letter", "page": "directory.write.page"}
)
