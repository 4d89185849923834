package abuse

import (
	"math"
	"sync"
	"time"
)

// Policy sets when the sign form asks for work. No rule refuses anyone:
// past a limit a client is asked for a proof of work, which costs a person
// a second and a bot farm a great deal; the work grows when signals agree.
type Policy struct {
	// Window is how far back "recent" reaches.
	Window time.Duration
	// Baseline is how far back a campaign's normal rate is measured
	// (before Window).
	Baseline time.Duration
	// AttackFloor is how many recent signatures a campaign needs, at least,
	// for its rate to look like an attack; AttackFactor how many times its
	// normal rate (per Window) they must be too.
	AttackFloor  int
	AttackFactor float64
	// Hold is how long a campaign stays under attack once it looked so.
	Hold time.Duration
	// NetworkLimit is how many recent signatures one network may send a
	// campaign before it is asked for work.
	NetworkLimit int
	// NetworkShare is the share of a campaign's recent signatures (of at
	// least ShareMin) above which a network is asked for work.
	NetworkShare float64
	ShareMin     int
	// Easy is the work asked on one signal, Hard when the network is
	// heavy on a campaign under attack, or far over its limit.
	Easy, Hard Work
}

// Work is a proof of work to ask for: leading zero bits, or a wait for a
// browser without JavaScript.
type Work struct {
	Difficulty int
	Wait       time.Duration
}

// DefaultPolicy suits a node of a campaign site: a network may send a
// campaign 20 signatures in 10 minutes (a Tor exit, an office, a family)
// before working; a campaign is under attack at 60 signatures in 10
// minutes and 5 times its rate of the hour before. Difficulty 16 is about
// 65,000 hashes, a second or two in a phone's browser.
func DefaultPolicy() Policy {
	return Policy{
		Window: 10 * time.Minute, Baseline: time.Hour,
		AttackFloor: 60, AttackFactor: 5, Hold: 15 * time.Minute,
		NetworkLimit: 20, NetworkShare: 0.5, ShareMin: 20,
		Easy: Work{Difficulty: 16, Wait: 10 * time.Second},
		Hard: Work{Difficulty: 19, Wait: 30 * time.Second},
	}
}

// NeverAsk is a policy that never asks for work: for a site whose proxy
// hides its clients' addresses, and for measuring how many signatures the
// service can store. Its thresholds are out of reach.
func NeverAsk() Policy {
	p := DefaultPolicy()
	p.AttackFloor, p.NetworkLimit, p.ShareMin = math.MaxInt, math.MaxInt, math.MaxInt
	return p
}

// Signal is a reason to ask for work.
type Signal uint8

// Signals, as a set of bits.
const (
	// CampaignRate: the campaign's recent rate is far above its normal one.
	CampaignRate Signal = 1 << iota
	// NetworkBusy: the network sent the campaign more than its limit.
	NetworkBusy
	// NetworkShare: the network sent a large share of the campaign's recent
	// signatures.
	NetworkShare
	// NetworkFlood: the network sent more than 5 times its limit.
	NetworkFlood
)

// Assessment is what the form asks of one request.
type Assessment struct {
	Signals Signal
	// Work is what to ask; zero when nothing is.
	Work Work
}

// Asks reports whether the form asks for work.
func (a Assessment) Asks() bool { return a.Signals != 0 }

// maxNetworks bounds the networks a campaign's minute remembers; beyond
// it, signatures from new networks count for the campaign only.
const maxNetworks = 50000

// Monitor keeps, in memory, per campaign and minute, how many signatures
// arrived and from which hashed networks. It sees only this node's
// signatures: with several nodes behind a balancer each sees its share,
// which leaves a campaign's rate against its normal rate as telling as
// before (both shrink alike), but a network's count is split between the
// nodes unless the balancer keeps a client on one node. Its zero value is
// not ready: use NewMonitor.
type Monitor struct {
	policy Policy
	mu     sync.Mutex
	camps  map[string]*history
}

type history struct {
	first   time.Time
	until   time.Time // under attack until
	minutes []minute  // a ring, by minute number
}

type minute struct {
	at    int64 // minutes since the Unix epoch
	total int
	nets  map[string]int
}

// NewMonitor returns a monitor that applies p.
func NewMonitor(p Policy) *Monitor {
	return &Monitor{policy: p, camps: map[string]*history{}}
}

// Policy returns the policy the monitor applies.
func (m *Monitor) Policy() Policy { return m.policy }

func (m *Monitor) slots() int {
	return int((m.policy.Baseline+m.policy.Window)/time.Minute) + 1
}

// Record counts a signature for campaign from network at now.
func (m *Monitor) Record(campaign, network string, now time.Time) {
	at := now.Unix() / 60
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.camps[campaign]
	if h == nil {
		h = &history{first: now, minutes: make([]minute, m.slots())}
		m.camps[campaign] = h
	}
	s := &h.minutes[at%int64(len(h.minutes))]
	if s.at != at {
		*s = minute{at: at}
	}
	s.total++
	if s.nets == nil {
		s.nets = map[string]int{}
	}
	if _, ok := s.nets[network]; ok || len(s.nets) < maxNetworks {
		s.nets[network]++
	}
	// Networks matter only within Window: older minutes keep their totals.
	window := int64(m.policy.Window / time.Minute)
	for i := range h.minutes {
		if at-h.minutes[i].at >= window {
			h.minutes[i].nets = nil
		}
	}
}

// Assess says whether a signature for campaign from network, at now, is
// asked for work, and which.
func (m *Monitor) Assess(campaign, network string, now time.Time) Assessment {
	p := m.policy
	at := now.Unix() / 60
	window := int64(p.Window / time.Minute)
	baseline := int64(p.Baseline / time.Minute)
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.camps[campaign]
	if h == nil {
		return Assessment{}
	}
	var recent, earlier, mine int
	for _, s := range h.minutes {
		switch age := at - s.at; {
		case age < 0 || age > window+baseline:
		case age < window:
			recent += s.total
			mine += s.nets[network]
		default:
			earlier += s.total
		}
	}
	var a Assessment
	// The normal rate, per Window, over the part of Baseline this node
	// has seen; none seen yet counts as none.
	seen := min(now.Sub(h.first)-p.Window, p.Baseline)
	normal := 0.0
	if seen >= time.Minute {
		normal = float64(earlier) * float64(p.Window) / float64(seen)
	}
	if recent >= p.AttackFloor && float64(recent) >= p.AttackFactor*normal {
		h.until = now.Add(p.Hold)
	}
	if now.Before(h.until) {
		a.Signals |= CampaignRate
	}
	if mine >= p.NetworkLimit {
		a.Signals |= NetworkBusy
	}
	if mine >= 5*p.NetworkLimit {
		a.Signals |= NetworkFlood
	}
	if recent >= p.ShareMin && float64(mine) >= p.NetworkShare*float64(recent) {
		a.Signals |= NetworkShare
	}
	switch {
	case a.Signals&NetworkFlood != 0,
		a.Signals&CampaignRate != 0 && a.Signals&(NetworkBusy|NetworkShare) != 0:
		a.Work = p.Hard
	case a.Signals != 0:
		a.Work = p.Easy
	}
	return a
}
