package posts

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/refresh"
)

// The posts visitors may read are held in memory (a Set), as the
// campaigns and the organisation profile are, so that no public page waits
// on the database: Load reads them at start-up, a change made through this
// node's Service is in memory at once, and Run reads every RefreshInterval
// which posts changed on other nodes (their IDs, versions and states only)
// and then those posts by ID. Drafts are not held: nothing public shows
// them.

// RefreshInterval is how often Run looks for posts changed on other nodes.
const RefreshInterval = time.Second

// Entry is a post in memory, with its Markdown rendered once for every
// language it has.
type Entry struct {
	Post Post
	// HTML is the body rendered, by language.
	HTML map[string]template.HTML
}

// Set is the non-draft posts as last read, with this node's changes since.
// Treat it and what it points to as read-only: every request shares it.
type Set struct {
	// Gen grows whenever the set changes.
	Gen    uint64
	all    []*Entry // newest first
	bySlug map[string]*Entry
	// byOldSlug finds a post by a slug it had before.
	byOldSlug map[string]*Entry
	scans     map[string][]*Entry // the posts that show each scan
	// starts are the times the posts go or went public, ascending.
	starts []time.Time
}

func newSet(entries []*Entry) *Set {
	slices.SortFunc(entries, func(a, b *Entry) int { return newerFirst(&a.Post, &b.Post) })
	st := &Set{all: entries, bySlug: make(map[string]*Entry, len(entries)), byOldSlug: map[string]*Entry{},
		scans: map[string][]*Entry{}}
	for _, e := range entries {
		st.bySlug[e.Post.Slug] = e
		for _, old := range e.Post.OldSlugs {
			st.byOldSlug[old] = e
		}
		for _, sc := range e.Post.Scans {
			st.scans[sc.ID] = append(st.scans[sc.ID], e)
		}
		if !e.Post.PublishAt.IsZero() {
			st.starts = append(st.starts, e.Post.PublishAt)
		}
	}
	slices.SortFunc(st.starts, time.Time.Compare)
	return st
}

// LastStart is the latest time at or before now at which a post went
// public, zero for none. It changes when a scheduled post goes live,
// which Gen does not: with Gen, it keys the caches of pages that show
// posts.
func (st *Set) LastStart(now time.Time) time.Time {
	i, _ := slices.BinarySearchFunc(st.starts, now, func(t, now time.Time) int {
		if t.After(now) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return time.Time{}
	}
	return st.starts[i-1]
}

// Listed returns the posts that lists and feeds show at now, newest
// first; with a tag, only those that carry it.
func (st *Set) Listed(now time.Time, tag string) []*Entry {
	var out []*Entry
	for _, e := range st.all {
		if e.Post.Listed(now) && (tag == "" || e.Post.HasTag(tag)) {
			out = append(out, e)
		}
	}
	return out
}

// Public returns the post with that slug if visitors may read it at now,
// listed or not.
func (st *Set) Public(slug string, now time.Time) (*Entry, bool) {
	e, ok := st.bySlug[slug]
	if !ok || !e.Post.Live(now) {
		return nil, false
	}
	return e, true
}

// Moved returns the current slug of the post that had slug before, if
// visitors may read it at now: its old links lead there.
func (st *Set) Moved(slug string, now time.Time) (string, bool) {
	if _, ok := st.bySlug[slug]; ok {
		return "", false
	}
	e, ok := st.byOldSlug[slug]
	if !ok || !e.Post.Live(now) {
		return "", false
	}
	return e.Post.Slug, true
}

// ScanShown reports whether a post visitors may read at now shows the
// scan: the scans of drafts and of posts not yet public are not served.
func (st *Set) ScanShown(id string, now time.Time) bool {
	for _, e := range st.scans[id] {
		if e.Post.Live(now) {
			return true
		}
	}
	return false
}

// memory holds the set.
type memory struct {
	set atomic.Pointer[Set]
	// mu orders replacements of set; edits counts this node's changes, so
	// that a read of the database that overlapped one is not kept.
	mu    sync.Mutex
	edits uint64
	// skipped are the posts Load could not read, by ID, with the version
	// it failed on: read again only once that changes.
	skipped map[string]int64
}

// Posts returns the posts in memory; never nil.
func (s *Service) Posts() *Set {
	if st := s.mem.set.Load(); st != nil {
		return st
	}
	return &Set{bySlug: map[string]*Entry{}, byOldSlug: map[string]*Entry{}}
}

// Published returns the post with that slug, or that had it before, if
// visitors may read it now, from memory: for pages that link a post by
// the slug it had when they recorded it (a reply received, in a
// campaign's delivery log). Link it by the post's Slug.
func (s *Service) Published(slug string) (*Post, bool) {
	set, now := s.Posts(), s.now()
	if to, ok := set.Moved(slug, now); ok {
		slug = to
	}
	e, ok := set.Public(slug, now)
	if !ok {
		return nil, false
	}
	return &e.Post, true
}

// entry renders p's bodies.
func (s *Service) entry(p Post) (*Entry, error) {
	// Who consented is for the console only: no public path may reach it.
	p.ConsentBy = ""
	e := &Entry{Post: p, HTML: make(map[string]template.HTML, 1+len(p.Translations))}
	for _, lang := range p.Languages() {
		text, _ := p.TextIn(lang)
		h, err := s.md.Render(text.Body)
		if err != nil {
			return nil, err
		}
		e.HTML[lang] = h
	}
	return e, nil
}

// Load reads the non-draft posts into memory, reading again only those
// whose version or state differ from memory's. A post that cannot be read
// while the database can (its consent cannot be unsealed, say) is left
// out, not shown, and not read again until its version changes: the
// others are loaded, and the error wraps ErrSkipped and names it.
func (s *Service) Load(ctx context.Context) error {
	m := &s.mem
	m.mu.Lock()
	edits := m.edits
	skipped := maps.Clone(m.skipped)
	m.mu.Unlock()
	if skipped == nil {
		skipped = map[string]int64{}
	}
	var problems []error
	stamps, err := s.store.stamps(ctx)
	if err != nil {
		return err
	}
	old := s.Posts()
	byID := make(map[string]*Entry, len(old.all))
	for _, e := range old.all {
		byID[e.Post.ID] = e
	}
	var entries []*Entry
	changed := false
	for _, st := range stamps {
		e, had := byID[st.ID]
		delete(byID, st.ID)
		if st.State == Draft || st.State == "" {
			changed = changed || had
			continue
		}
		if had && e.Post.Version == st.Version && e.Post.State == st.State {
			entries = append(entries, e)
			continue
		}
		if v, ok := skipped[st.ID]; ok && v == st.Version {
			changed = changed || had
			continue
		}
		delete(skipped, st.ID)
		p, err := s.store.Post(ctx, st.ID)
		if err == nil {
			e, err = s.entry(p)
		}
		if err != nil {
			if ctx.Err() != nil || database.Unavailable(err) {
				return err
			}
			skipped[st.ID] = st.Version
			problems = append(problems, fmt.Errorf("post %s version %d: %w", st.ID, st.Version, err))
			changed = changed || had
			continue
		}
		entries = append(entries, e)
		changed = true
	}
	for id := range skipped {
		if !slices.ContainsFunc(stamps, func(st stamp) bool { return st.ID == id }) {
			delete(skipped, id)
		}
	}
	var skipErr error
	if len(problems) > 0 {
		skipErr = fmt.Errorf("%w: %w", ErrSkipped, errors.Join(problems...))
	}
	if len(byID) > 0 {
		changed = true // deleted elsewhere
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.skipped = skipped
	if m.edits != edits || (!changed && m.set.Load() != nil) {
		// This node changed a post while the database was read: memory
		// has it and the read may not; the next refresh reads again.
		return skipErr
	}
	s.replace(newSet(entries))
	return skipErr
}

// replace stores st as the current set. Call it with mem.mu held.
func (s *Service) replace(st *Set) {
	if old := s.mem.set.Load(); old != nil {
		st.Gen = old.Gen + 1
	}
	s.mem.set.Store(st)
}

// remember puts a post this node has just stored into memory, or takes
// it out when it is a draft.
func (s *Service) remember(p Post) error {
	var e *Entry
	if p.State != Draft {
		var err error
		if e, err = s.entry(p); err != nil {
			return err
		}
	}
	m := &s.mem
	m.mu.Lock()
	defer m.mu.Unlock()
	m.edits++
	old := s.Posts()
	entries := make([]*Entry, 0, len(old.all)+1)
	for _, x := range old.all {
		if x.Post.ID != p.ID {
			entries = append(entries, x)
		}
	}
	if e != nil {
		entries = append(entries, e)
	}
	s.replace(newSet(entries))
	return nil
}

// Run reads the posts changed on other nodes every RefreshInterval until
// ctx ends; failures are logged and retried at the next tick. It returns
// when ctx ends.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	refresh.Every(ctx, RefreshInterval, log, "refresh posts", s.Load)
}
