package campaign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Marks. A signature that looked suspicious when it was made is stored
// with the reasons, never dropped: it counts like any other until an
// organizer invalidates it, alone or with its burst (bursts.go). Each
// signature also keeps what groups it into bursts without saying who
// signed: a short hash of its network (the web layer's, with a key of the
// day that only the node's memory holds), and keyed hashes of its email
// domain and its partner; the domain itself is sealed with the person.

// Mark is a reason a signature looked suspicious.
type Mark string

// The reasons.
const (
	// MarkCampaignRate: the campaign was signed far faster than usual.
	MarkCampaignRate Mark = "campaign_rate"
	// MarkNetworkBusy: its network had sent the campaign many signatures.
	MarkNetworkBusy Mark = "network_busy"
	// MarkNetworkShare: its network had sent a large share of the
	// campaign's recent signatures.
	MarkNetworkShare Mark = "network_share"
	// MarkFast: the form was sent back sooner than a person fills it in.
	MarkFast Mark = "fast"
)

// Marks lists the reasons in the order the console shows them.
func Marks() []Mark { return []Mark{MarkCampaignRate, MarkNetworkBusy, MarkNetworkShare, MarkFast} }

// NetworkHashLen is how many hex digits of a network's hash a signature
// keeps: 32 bits, enough to tell a campaign's networks apart, and with a
// key that is gone the next day, no way back to an address.
const NetworkHashLen = 8

// groupHashLen is how many hex digits of a domain's or partner's keyed
// hash a signature keeps.
const groupHashLen = 12

// groupKeys makes the keyed hashes that group signatures by email domain
// and partner. Its key is derived from the email key, so every node
// shares it and the groups hold across nodes and days.
type groupKeys struct{ key []byte }

func newGroupKeys(emailKey []byte) groupKeys {
	m := hmac.New(sha256.New, emailKey)
	m.Write([]byte("signature groups"))
	return groupKeys{key: m.Sum(nil)}
}

// hash is the keyed hash of a kind's value ("domain", "ref"); empty for
// an empty value.
func (g groupKeys) hash(kind, value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:groupHashLen]
}

// EmailDomain is the domain of a normalised email address; empty when it
// has none.
func EmailDomain(normalisedEmail string) string {
	at := strings.LastIndexByte(normalisedEmail, '@')
	if at < 0 {
		return ""
	}
	return normalisedEmail[at+1:]
}

// truncate keeps the first n bytes of an ASCII s.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
