package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// tagKey derives the key of Tag from a data key, so that the data key
// itself never keys a hash.
func tagKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("solidarity seal tag key v1"))
	return m.Sum(nil)
}

// Tag returns a keyed hash of data, for finding equal values (duplicate
// greetings) without storing a hash anyone could check a guess against:
// HMAC-SHA256 under a key derived from the active data key, truncated to
// 128 bits, as "<key ID>.<hex>". It changes with the active key; TagKeyID
// tells which key made a tag.
func (k *Keyring) Tag(data []byte) string {
	m := hmac.New(sha256.New, k.macs[k.active])
	m.Write(data)
	return k.active + "." + hex.EncodeToString(m.Sum(nil)[:16])
}

// TagKeyID returns the ID of the key a tag made by Tag was made with, or
// "" when tag is not one (an unkeyed hash of old data).
func TagKeyID(tag string) string {
	i := strings.LastIndexByte(tag, '.')
	if i < 1 {
		return ""
	}
	return tag[:i]
}
