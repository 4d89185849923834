package campaign

// CardCounts returns, for the campaign with that ID, how many cards (or
// signatures) each of its recipients has had: recipient ID -> count, from
// memory. A letter campaign's one recipient has the campaign's count; an
// unknown campaign, or one without a recipient, gives an empty map.
//
// This is the letter-only version: a drive's cards are counted per
// recipient by the drives' counters, which this version does not know, so
// a drive gives an empty map here.
func (s *Service) CardCounts(campaignID string) map[string]int64 {
	out := map[string]int64{}
	c, ok := s.Campaigns().ByID(campaignID)
	if !ok || c.IsDrive() || c.RecipientID == "" {
		return out
	}
	out[c.RecipientID] = s.Count(c.ID)
	return out
}
