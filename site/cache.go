package site

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/solidarity-letters/solidarity/internal/refresh"
)

// RefreshInterval is how often Cache.Run reads the profile, so that a save
// on one app node shows on the others within about that long.
const RefreshInterval = time.Second

// Cache keeps the profile in memory: pages that show it on every request
// read no database. A save through the cache updates it at once; Run reads
// saves made on other nodes.
type Cache struct {
	store *Store
	// current is the newest profile known; nil when none is saved.
	current atomic.Pointer[Profile]
}

// NewCache returns an empty cache over store; Load fills it.
func NewCache(store *Store) *Cache {
	return &Cache{store: store}
}

// Profile returns the profile in memory, and false when none is saved.
func (c *Cache) Profile() (Profile, bool) {
	p := c.current.Load()
	if p == nil {
		return Profile{}, false
	}
	return *p, true
}

// Load reads the stored profile into memory.
func (c *Cache) Load(ctx context.Context) error {
	p, err := c.store.Profile(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c.offer(p)
	return nil
}

// offer keeps p unless the memory already holds a newer version, which a
// save on this node may have put there while p was being read.
func (c *Cache) offer(p Profile) {
	for {
		old := c.current.Load()
		if old != nil && old.Version >= p.Version {
			return
		}
		if c.current.CompareAndSwap(old, &p) {
			return
		}
	}
}

// Save normalises and validates in, stores it over version prev (0: none
// yet) and keeps it in memory. It returns the profile as it was before
// (zero when there was none) and as stored. Problems with the input are a
// *ValidationError; a profile saved since prev was read is ErrConflict.
func (c *Cache) Save(ctx context.Context, in Input, prev int64) (before, after Profile, err error) {
	p, err := Normalise(in)
	if err != nil {
		return Profile{}, Profile{}, err
	}
	if old, ok := c.Profile(); ok && old.Version == prev {
		before = old
	} else if prev > 0 {
		// This node has not seen version prev yet: read it, for the audit
		// log's list of changes.
		if before, err = c.store.Profile(ctx); err != nil && !errors.Is(err, ErrNotFound) {
			return Profile{}, Profile{}, err
		}
	}
	after, err = c.store.Save(ctx, p, prev)
	if errors.Is(err, ErrConflict) {
		// Learn the newer version now, so that the form shown again
		// carries it.
		if lerr := c.Load(ctx); lerr != nil {
			return Profile{}, Profile{}, errors.Join(err, lerr)
		}
	}
	if err != nil {
		return Profile{}, Profile{}, err
	}
	c.offer(after)
	return before, after, nil
}

// Run reads the profile every RefreshInterval until ctx ends, so that saves
// on other nodes show here. Failures are logged and retried at the next
// tick; it returns when ctx ends.
func (c *Cache) Run(ctx context.Context, log *slog.Logger) {
	refresh.Every(ctx, RefreshInterval, log, "refresh organisation profile", c.Load)
}
