// Package seal encrypts supporters' personal fields before they reach the
// database: AES-256-GCM from the standard library, with the ID of the key
// stored in each value so that keys can be rotated, and associated data
// (usually the owning document's _id and the field's name) so that a value
// cannot be moved to another document or field and still open.
//
// A sealed value is
//
//	version (1 byte, 1) | key ID length (1 byte) | key ID | nonce (12 bytes) | ciphertext and tag
//
// Large blobs (stored bundles) use the chunked stream in stream.go.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
)

// KeySize is the length of a data key: AES-256.
const KeySize = 32

const (
	version   = 1
	nonceSize = 12
	maxIDLen  = 64
)

// Errors a caller may branch on.
var (
	// ErrUnknownKey means the value was sealed under a key this keyring
	// does not hold: opening it needs the key it was written with.
	ErrUnknownKey = errors.New("sealed under a key this server does not have")
	// ErrCorrupt means the value is not a sealed value, was altered, or
	// belongs to another document or field.
	ErrCorrupt = errors.New("sealed value is corrupt or belongs elsewhere")
)

// Key is one data key with its ID. IDs are short, printable and never
// secret; they are stored beside every value sealed with the key.
type Key struct {
	ID     string
	Secret []byte // KeySize bytes
}

// Keyring holds the data keys a server can open with and the one it seals
// new values with. It is safe for concurrent use.
type Keyring struct {
	active string
	aeads  map[string]cipher.AEAD
	macs   map[string][]byte // tag keys, see Tag
	ids    []string
}

// NewKeyring builds a keyring from keys; active names the key new values are
// sealed with and must be among them.
func NewKeyring(keys []Key, active string) (*Keyring, error) {
	k := &Keyring{active: active, aeads: make(map[string]cipher.AEAD, len(keys)), macs: make(map[string][]byte, len(keys))}
	for _, key := range keys {
		if key.ID == "" || len(key.ID) > maxIDLen {
			return nil, fmt.Errorf("key ID %q must be 1 to %d bytes", key.ID, maxIDLen)
		}
		if len(key.Secret) != KeySize {
			return nil, fmt.Errorf("key %s is %d bytes, needs %d", key.ID, len(key.Secret), KeySize)
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("key ID %s is listed twice", key.ID)
		}
		block, err := aes.NewCipher(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", key.ID, err)
		}
		k.aeads[key.ID] = aead
		k.macs[key.ID] = tagKey(key.Secret)
		k.ids = append(k.ids, key.ID)
	}
	if _, ok := k.aeads[active]; !ok {
		return nil, fmt.Errorf("the active key %q is not in the keyring", active)
	}
	return k, nil
}

// Active is the ID of the key new values are sealed with.
func (k *Keyring) Active() string { return k.active }

// IDs lists the IDs of every key the keyring holds, in the order given.
func (k *Keyring) IDs() []string { return slices.Clone(k.ids) }

// Has reports whether the keyring holds the key with that ID.
func (k *Keyring) Has(id string) bool { _, ok := k.aeads[id]; return ok }

// Seal encrypts plaintext under the active key, bound to aad.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := k.aeads[k.active]
	out := make([]byte, 0, 2+len(k.active)+nonceSize+len(plaintext)+aead.Overhead())
	out = append(out, version, byte(len(k.active)))
	out = append(out, k.active...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: read random nonce: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts a value made by Seal with the same aad.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	id, rest, err := split(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("open value with key %s: %w", id, ErrUnknownKey)
	}
	if len(rest) < nonceSize+aead.Overhead() {
		return nil, ErrCorrupt
	}
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// KeyID returns the ID of the key a value was sealed with, without opening
// it. Rotation uses it to find values still under an old key.
func KeyID(sealed []byte) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// IsSealed reports whether b has the shape of a sealed value. Migrations use
// it to tell values already sealed from plain ones.
func IsSealed(b []byte) bool {
	_, rest, err := split(b)
	return err == nil && len(rest) >= nonceSize+16
}

func split(sealed []byte) (id string, rest []byte, err error) {
	if len(sealed) < 2 || sealed[0] != version {
		return "", nil, ErrCorrupt
	}
	n := int(sealed[1])
	if n == 0 || n > maxIDLen || len(sealed) < 2+n {
		return "", nil, ErrCorrupt
	}
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}

// SealString seals s; the empty string stays empty (nil), so that optional
// fields keep reading as absent.
func (k *Keyring) SealString(s string, aad []byte) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return k.Seal([]byte(s), aad)
}

// OpenString opens a value made by SealString; nil opens to "".
func (k *Keyring) OpenString(sealed, aad []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := k.Open(sealed, aad)
	return string(b), err
}

// AAD joins the parts that bind a value to its place: typically the
// collection, the document's _id and the field name. Parts are separated by
// a zero byte so that ("ab","c") and ("a","bc") differ.
func AAD(parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			out = append(out, 0)
		}
		out = append(out, p...)
	}
	return out
}
