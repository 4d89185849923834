package account

import (
	"container/list"
	"sync"
	"time"
)

// Failure limits, per window of LoginWindow. Following OWASP's "Slow down
// online guessing attacks with device cookies", failures are counted per
// device cookie for a browser the account has signed in from before, and
// per account for every other client. Nothing is counted per network
// address: a Tor exit or an office behind one address would share the
// limit, and an attacker could lock all of them out.
const (
	LoginWindow = 15 * time.Minute
	// MaxFailsPerAccount locks out the untrusted clients of one account
	// (every client without that account's device cookie). The owner's
	// trusted browsers are not locked out by it.
	MaxFailsPerAccount = 5
	// MaxFailsPerDevice makes a device cookie untrusted: after that many
	// failures it counts with the untrusted clients.
	MaxFailsPerDevice = 5
	// MaxTracked bounds how many keys the failure record holds; the one
	// touched least recently is forgotten first. Full, with 254-character
	// addresses and 5 failures each, it takes 5.5 MiB, whatever an attacker
	// sends. Forgetting a locked key early costs an attacker 10,000 other
	// failures, each an Argon2id hash at most maxHashing at a time: 5 more
	// guesses for 10,000 hashes, far fewer than spreading them over accounts.
	MaxTracked = 10000
)

// limiter counts recent failures per key in a bounded amount of memory.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	keys   map[string]*list.Element
	order  *list.List // of *failures, least recently touched first
}

type failures struct {
	key   string
	times []time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, keys: map[string]*list.Element{}, order: list.New()}
}

// reserve counts an attempt against key unless key already has limit
// recent failures, and reports whether the attempt may go on. The attempt
// counts as a failure before it is checked, so that guesses sent in
// parallel meet the limit too; release takes it back after a success.
func (l *limiter) reserve(key string, limit int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recentLocked(key, now) >= limit {
		return false
	}
	el, ok := l.keys[key]
	if !ok {
		for l.order.Len() >= l.max {
			oldest := l.order.Front()
			delete(l.keys, oldest.Value.(*failures).key)
			l.order.Remove(oldest)
		}
		el = l.order.PushBack(&failures{key: key})
		l.keys[key] = el
	}
	f := el.Value.(*failures)
	f.times = append(f.times, now)
	l.order.MoveToBack(el)
	return true
}

// release takes back the last attempt reserved for key.
func (l *limiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if !ok {
		return
	}
	f := el.Value.(*failures)
	if n := len(f.times); n > 0 {
		f.times = f.times[:n-1]
	}
	if len(f.times) == 0 {
		delete(l.keys, key)
		l.order.Remove(el)
	}
}

// limited reports whether key has limit recent failures.
func (l *limiter) limited(key string, limit int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recentLocked(key, now) >= limit
}

// recentLocked forgets key's failures older than the window and returns how
// many are left. l.mu must be held.
func (l *limiter) recentLocked(key string, now time.Time) int {
	el, ok := l.keys[key]
	if !ok {
		return 0
	}
	f := el.Value.(*failures)
	cutoff := now.Add(-l.window)
	recent := f.times[:0]
	for _, t := range f.times {
		if t.After(cutoff) {
			recent = append(recent, t)
		}
	}
	f.times = recent
	if len(recent) == 0 {
		delete(l.keys, key)
		l.order.Remove(el)
	}
	return len(recent)
}

// size returns how many keys are held.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
