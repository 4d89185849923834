package campaign

import (
	"strings"
	"time"
)

// A drive's cards are counted per recipient in the campaign's own counter
// (counts.go): beside the countries, its country map holds one entry per
// recipient, under recipientKey, which the batches, erasures, bursts and
// recounts keep as they keep the countries. So the counts per recipient
// are exact across nodes for the same reasons, and nothing scans to read
// them. Countries leaves these entries out.

// recipientPrefix starts the key of a recipient's cards in a counter's
// country map; country codes are two capital letters, and recipient IDs
// are hex, so no key is both.
const recipientPrefix = "r_"

// recipientKey is the key of the recipient id's cards in a counter's
// country map.
func recipientKey(id string) string { return recipientPrefix + id }

// isRecipientKey reports whether a key of a counter's country map counts
// a recipient's cards rather than a country's signatures.
func isRecipientKey(k string) bool { return strings.HasPrefix(k, recipientPrefix) }

// addCard adds n signatures (fewer when negative) from country, written
// to the recipient (empty for a letter's signature), to the minute.
func (m minutes) addCard(minute int64, country, recipient string, n int64) {
	tallyOf(m, minute).addCard(country, recipient, n)
}

// addCard adds n signatures (fewer when negative) from country, written
// to the recipient (empty for a letter's signature).
func (t *tally) addCard(country, recipient string, n int64) {
	t.add(country, n)
	if recipient == "" {
		return
	}
	if t.countries == nil {
		t.countries = map[string]int64{}
	}
	k := recipientKey(recipient)
	t.countries[k] += n
	if t.countries[k] == 0 {
		delete(t.countries, k)
	}
}

// CardCounts returns, for each recipient the campaign writes to, how many
// of its signatures or cards go to them: for a drive the cards written to
// each of its recipients (0 for those waiting for a card), for a letter
// {RecipientID: Count(id)}. It reads memory only; an unknown campaign is
// an empty map.
func (s *Service) CardCounts(campaignID string) map[string]int64 {
	c, ok := s.Campaigns().ByID(campaignID)
	if !ok {
		return map[string]int64{}
	}
	out := make(map[string]int64, len(c.Recipients()))
	if !c.IsDrive() {
		if c.RecipientID != "" {
			out[c.RecipientID] = s.Count(campaignID)
		}
		return out
	}
	for _, id := range c.RecipientIDs {
		out[id] = 0
	}
	l := &s.live
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t, ok := l.counts[campaignID]; ok {
		for k, v := range t.countries {
			if id, ok := strings.CutPrefix(k, recipientPrefix); ok {
				if _, listed := out[id]; listed {
					out[id] = v
				}
			}
		}
	}
	return out
}

// Waiting returns how many of the recipients c writes to wait for a
// card: cards reach them today (Recipient.Reachable) and none was written
// to them yet.
func (s *Service) Waiting(c *Campaign) int {
	counts := s.CardCounts(c.ID)
	set := s.Campaigns()
	day := s.now().UTC().Format(time.DateOnly)
	n := 0
	for _, id := range c.Recipients() {
		if r, ok := set.Recipient(id); ok && r.Reachable(day) && counts[id] <= 0 {
			n++
		}
	}
	return n
}
