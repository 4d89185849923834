package campaign

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
)

// rowGroups holds a row's keys in the burst groupings (store_bursts.go) as
// bytes rather than hex strings, so that they cost the index no pointers:
// the network hash (NetworkHashLen/2 bytes), then the keys of the email
// domain and of the partner (groupHashLen/2 bytes each). A key a signature
// lacks, or that is not hex, is all zeros, which no group key decodes to
// in practice and which rowRule never matches.
type rowGroups [NetworkHashLen/2 + groupHashLen]byte

const (
	netEnd    = NetworkHashLen / 2
	domainEnd = netEnd + groupHashLen/2
)

// groupsOf packs a signature's group keys.
func groupsOf(sig *Signature) rowGroups {
	var g rowGroups
	decodeKey(g[:netEnd], sig.Network)
	decodeKey(g[netEnd:domainEnd], sig.DomainKey)
	decodeKey(g[domainEnd:], sig.RefKey)
	return g
}

// decodeKey writes the hex key into dst when it has exactly dst's size.
func decodeKey(dst []byte, key string) bool {
	if hex.DecodedLen(len(key)) != len(dst) {
		return false
	}
	_, err := hex.Decode(dst, []byte(key))
	return err == nil
}

// rowRule is an invalidation that holds now, ready to test index rows.
type rowRule struct {
	from, until int64 // Unix ms: from <= at < until
	kind        BurstKind
	// key is the group key: the bytes of a hash in the kind's place in
	// rowGroups, or nothing for BurstMinute (the window is the minute).
	key        []byte
	start, end int
}

// rowRules are a campaign's invalidations that hold now.
type rowRules []rowRule

// rowRulesOf compiles the invalidations that hold now; one whose key
// cannot be tested against rows is an error rather than a signature left
// counted in the list but not elsewhere.
func rowRulesOf(rs invalidations) (rowRules, error) {
	var out rowRules
	for i := range rs {
		r := &rs[i]
		if !r.holdsAt(never) {
			continue
		}
		rr := rowRule{from: r.From.UnixMilli(), until: r.Until.UnixMilli(), kind: r.Kind}
		switch r.Kind {
		case BurstMinute:
			m, err := strconv.ParseInt(r.Key, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalidation %s: minute %q: %w", r.ID, r.Key, ErrBurstKey)
			}
			rr.from = max(rr.from, m*60_000)
			rr.until = min(rr.until, (m+1)*60_000)
		case BurstNetwork:
			rr.start, rr.end = 0, netEnd
		case BurstDomain:
			rr.start, rr.end = netEnd, domainEnd
		case BurstPartner:
			rr.start, rr.end = domainEnd, len(rowGroups{})
		default:
			return nil, fmt.Errorf("invalidation %s: kind %q: %w", r.ID, r.Kind, ErrBurstKey)
		}
		if r.Kind != BurstMinute {
			rr.key = make([]byte, rr.end-rr.start)
			// The group of signatures without the key is all zeros.
			if r.Key != "" && !decodeKey(rr.key, r.Key) {
				return nil, fmt.Errorf("invalidation %s: key %q is not a %s key", r.ID, r.Key, r.Kind)
			}
		}
		out = append(out, rr)
	}
	return out, nil
}

// holds reports whether an invalidation holds the row.
func (rs rowRules) holds(r *indexRow) bool {
	for i := range rs {
		rr := &rs[i]
		if r.at < rr.from || r.at >= rr.until {
			continue
		}
		if rr.kind == BurstMinute || string(r.groups[rr.start:rr.end]) == string(rr.key) {
			return true
		}
	}
	return false
}

// invalidRows returns the campaign's invalidations that hold now, for the
// index's readers: invalidated signatures are neither listed nor counted.
func (s *Service) invalidRows(ctx context.Context, campaignID string) (rowRules, error) {
	rs, err := s.store.invalidations(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	return rowRulesOf(rs)
}
