package web

// Signatures is what the console needs to list, erase, export and count a
// campaign's signatures.
type Signatures interface {
	Count(campaignID string) int64
}
