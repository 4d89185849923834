package sealed

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Fields names the sealed fields of one collection's documents, by dotted
// path (e.g. "person.name"). Each is bound to the collection's name, the
// document's _id and its path (see AAD).
type Fields struct {
	Collection *mongo.Collection
	Paths      []string
	// Extra, when set, is called with each document whose fields are being
	// sealed again and the plain values of its paths; what it returns is
	// set in the same conditional update. The greetings use it to re-key
	// their duplicate keys.
	Extra func(ctx context.Context, doc bson.Raw, plain map[string][]byte) (bson.D, error)
	// Stale, when set, reports whether a document needs Extra even though
	// its sealed fields are current.
	Stale func(doc bson.Raw) bool
}
