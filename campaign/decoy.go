package campaign

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// A repeated signature stores nothing, but if it also did less work than
// a new one, its answer would come sooner and tell that the address had
// signed. So Service.Sign gives both the same database work: the same
// operations, of the same kinds and sizes, on collections with the same
// indexes. Where a new signature's insert succeeds, a repeat's collides;
// so a batch (batch.go) with new signatures also inserts a decoy that
// collides, and for each repeat one that is stored, into a decoy
// collection, in one InsertMany after the batch's own (Store.decoyBatch).
// Likewise for the greeting (letters.RehearseGreeting).
//
// Every call in a batch is answered after both inserts, so a lone request
// costs the same new or repeated. In a batch of several, one limit remains
// on the embedded database: FerretDB writes an unordered batch in one
// transaction, but when one document of it collides it writes the batch
// again one document per transaction. A batch with a repeat among new
// signatures therefore takes longer than one of new signatures only. To
// read that, a prober must fill a batch alone, with new addresses of its
// own, while nobody else signs, and the form tokens and the per-client
// limits bound how often it can. Real MongoDB has no such fallback.
//
// Decoy collections are named DecoyPrefix + the collection they stand in
// for, and hold filler only: random IDs and letters, no times, nothing
// about who signed or when. Service.Run empties them within seconds
// (ClearDecoys).

// DecoyPrefix begins the name of every decoy collection.
const DecoyPrefix = "decoy_"

// CollideID is the _id of the one document that stays in a decoy
// collection, for inserts that are to collide.
var CollideID = strings.Repeat("0", 64)

// DecoyID returns a random ID as long as a signature's (SignatureID), for
// a decoy document.
func DecoyID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// Filler returns n random letters. Decoys are filled with new ones at
// every write, since a database may skip a write that changes nothing.
func Filler(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// decoySignature is a signature-shaped document of filler, as large as a
// typical signature.
func decoySignature(id string) *Signature {
	return &Signature{
		ID:         id,
		CampaignID: "decoy",
		SignedAt:   time.Unix(0, 0).UTC(),
		Source:     SourceWeb,
		Person:     Person{Name: Filler(24), City: Filler(12), Country: "XX", Display: NameFull},
	}
}
