// Package abuse holds the signing form's defences against bots that do
// not lock out people who share an address (Tor exits, office and mobile
// NATs): form tokens spent once (Spent), and signals of how the signing
// looks (Monitor), from which the form asks for a proof of work
// (internal/pow) rather than refusing anyone for their address alone.
package abuse

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"sync"
	"time"
)

// Networks hashes a client's network (its IPv4 /24 or IPv6 /48) with a key
// that is made at random each UTC day and kept in memory only: it is never
// stored or logged, so yesterday's hashes cannot be linked to today's, nor
// any hash to an address once the day is over. Each app node has its own
// key, so the same network hashes differently on each node; the signals
// built on it are per node (see Monitor). At midnight UTC a network's
// recent count starts again under its new hash.
//
// Signatures keep the first campaign.NetworkHashLen digits of it, so that
// the console can group bursts by network. The key stays per node on
// purpose: a key shared by the nodes would have to be stored, or derived
// from a secret that is, and whoever seized a server or a backup could then
// hash all 2^24 IPv4 /24s and map every stored hash back to its network.
// With a key that only one process's memory held for one day, a stored
// hash says nothing once the day is over. The cost: with several nodes,
// one network's burst shows as one group per node (the page says so).
type Networks struct {
	mu  sync.Mutex
	day string
	key []byte
}

// Hash returns the hash of addr's network for the day of now, as 16 hex
// digits. An address that is not valid hashes as one network of its own.
func (n *Networks) Hash(addr netip.Addr, now time.Time) string {
	m := hmac.New(sha256.New, n.keyFor(now))
	m.Write(Network(addr))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

func (n *Networks) keyFor(now time.Time) []byte {
	day := now.UTC().Format(time.DateOnly)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.day != day {
		n.key = make([]byte, 32)
		_, _ = rand.Read(n.key) // never fails
		n.day = day
	}
	return n.key
}

// Network is the network an address belongs to for the limits: the
// first 3 bytes of an IPv4 address (a /24) or 6 of an IPv6 one (a /48, a
// site), with a byte for the family.
func Network(addr netip.Addr) []byte {
	addr = addr.Unmap()
	switch {
	case addr.Is4():
		b := addr.As4()
		return []byte{4, b[0], b[1], b[2]}
	case addr.Is6():
		b := addr.As16()
		return append([]byte{6}, b[:6]...)
	}
	return []byte{0}
}
