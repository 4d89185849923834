// Package sealed maps supporters' personal fields between the plain values
// the application works with and the sealed values the database stores.
//
// A Text is one stored field. New values are always sealed (see seal) and
// stored as BSON binary of subtype BinarySubtype; documents written before
// sealing hold the plain string (or, for byte fields, plain binary of
// another subtype). Reading accepts both, so that the migration can find
// and seal the plain ones; writing a plain value is refused.
package sealed

import (
	"errors"
	"fmt"
	"strings"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// BinarySubtype marks a BSON binary value as sealed (a user-defined
// subtype), which tells it apart from plain binary fields of old documents.
const BinarySubtype byte = 0x80

// Plain is the key ID Usage reports for values that are not sealed at all.
const Plain = "(plain)"

// ErrPlain is returned when a store tries to write a value that is not
// sealed.
var ErrPlain = errors.New("refusing to store a personal field unsealed")

// Text is one stored personal field: sealed, or plain in a document written
// before sealing. The zero Text is an absent field.
type Text struct {
	sealed []byte
	plain  []byte
	isText bool // the plain value was a BSON string
}

// Seal seals s under the keyring's active key, bound to aad. The empty
// string stays absent.
func Seal(k *seal.Keyring, s string, aad []byte) (Text, error) {
	return SealBytes(k, []byte(s), aad)
}

// SealBytes seals b like Seal.
func SealBytes(k *seal.Keyring, b []byte, aad []byte) (Text, error) {
	if len(b) == 0 {
		return Text{}, nil
	}
	out, err := k.Seal(b, aad)
	if err != nil {
		return Text{}, err
	}
	return Text{sealed: out}, nil
}

// Open returns the field's plain text: a sealed value opened with aad, a
// plain one as it is.
func (t Text) Open(k *seal.Keyring, aad []byte) (string, error) {
	b, err := t.OpenBytes(k, aad)
	return string(b), err
}

// OpenBytes returns the field's plain bytes, like Open.
func (t Text) OpenBytes(k *seal.Keyring, aad []byte) ([]byte, error) {
	if t.sealed == nil {
		return t.plain, nil
	}
	return k.Open(t.sealed, aad)
}

// IsZero reports whether the field is absent (for omitempty).
func (t Text) IsZero() bool { return t.sealed == nil && len(t.plain) == 0 }

// KeyID returns the ID of the key the field is sealed with, Plain for a
// plain value, "" for an absent one.
func (t Text) KeyID() string {
	switch {
	case t.sealed != nil:
		id, err := seal.KeyID(t.sealed)
		if err != nil {
			return "(corrupt)"
		}
		return id
	case len(t.plain) > 0:
		return Plain
	}
	return ""
}

// Stale reports whether the field needs sealing again: it is plain, or
// sealed under a key other than the active one.
func (t Text) Stale(k *seal.Keyring) bool {
	id := t.KeyID()
	return id != "" && id != k.Active()
}

// Reseal returns the field sealed under the active key, bound to aad.
func (t Text) Reseal(k *seal.Keyring, aad []byte) (Text, error) {
	b, err := t.OpenBytes(k, aad)
	if err != nil {
		return Text{}, err
	}
	return SealBytes(k, b, aad)
}

// MarshalBSONValue stores a sealed value as binary of BinarySubtype.
func (t Text) MarshalBSONValue() (byte, []byte, error) {
	if t.sealed == nil {
		if len(t.plain) > 0 {
			return 0, nil, ErrPlain
		}
		return byte(bson.TypeNull), nil, nil
	}
	return byte(bson.TypeBinary), bsoncore.AppendBinary(nil, BinarySubtype, t.sealed), nil
}

// UnmarshalBSONValue reads a sealed value, or the plain string or binary
// of an old document.
func (t *Text) UnmarshalBSONValue(typ byte, data []byte) error {
	*t = Text{}
	switch bson.Type(typ) {
	case bson.TypeNull, bson.TypeUndefined:
		return nil
	case bson.TypeString:
		s, _, ok := bsoncore.ReadString(data)
		if !ok {
			return errors.New("read stored text: malformed string")
		}
		t.plain, t.isText = []byte(s), true
		return nil
	case bson.TypeBinary:
		sub, b, _, ok := bsoncore.ReadBinary(data)
		if !ok {
			return errors.New("read stored text: malformed binary")
		}
		b = append([]byte(nil), b...)
		if sub == BinarySubtype {
			t.sealed = b
		} else {
			t.plain = b
		}
		return nil
	}
	return fmt.Errorf("read stored text: unexpected BSON type %s", bson.Type(typ))
}

// FromRaw reads a field from a raw BSON value (the zero RawValue is an
// absent field).
func FromRaw(v bson.RawValue) (Text, error) {
	var t Text
	if v.Type == 0 {
		return t, nil
	}
	return t, t.UnmarshalBSONValue(byte(v.Type), v.Value)
}

// raw is the field as it is stored, for the equality condition of a
// conditional update.
func (t Text) raw() any {
	switch {
	case t.sealed != nil:
		return bson.Binary{Subtype: BinarySubtype, Data: t.sealed}
	case t.isText:
		return string(t.plain)
	}
	return bson.Binary{Subtype: 0, Data: t.plain}
}

// AAD is the associated data of a field: the collection, the owning
// document's _id and the field's dotted path, so that a value copied into
// another document or field does not open.
func AAD(collection, id, field string) []byte {
	return seal.AAD(collection, id, field)
}

// IDString renders a document's _id for AAD: a string as it is, an
// ObjectID in hex.
func IDString(v bson.RawValue) (string, error) {
	switch v.Type {
	case bson.TypeString:
		return v.StringValue(), nil
	case bson.TypeObjectID:
		return v.ObjectID().Hex(), nil
	}
	return "", fmt.Errorf("document _id of type %s cannot bind a sealed field", v.Type)
}

// lookup finds a dotted path in a raw document; a missing path is the zero
// RawValue.
func lookup(doc bson.Raw, path string) bson.RawValue {
	v, err := doc.LookupErr(strings.Split(path, ".")...)
	if err != nil {
		return bson.RawValue{}
	}
	return v
}
