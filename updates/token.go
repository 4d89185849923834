package updates

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// macLen is how many bytes of the MAC a token carries: 128 bits.
const macLen = 16

// Tokens make and check the tokens of unsubscribe links: a signature's ID
// and a MAC of it, so that a link works without anything stored per
// signature and nobody can make one for a signature whose ID they guess.
type Tokens struct {
	key []byte
}

// NewTokens returns tokens signed with key (keys.Keys.Links).
func NewTokens(key []byte) Tokens { return Tokens{key: key} }

func (t Tokens) mac(purpose, id string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macLen])
}

// Unsubscribe returns the token of the signature's unsubscribe link.
func (t Tokens) Unsubscribe(signatureID string) string {
	return signatureID + "." + t.mac("unsubscribe", signatureID)
}

// CheckUnsubscribe returns the signature ID that token names, and false
// when its MAC is wrong (compared in constant time) or it is not a token.
func (t Tokens) CheckUnsubscribe(token string) (string, bool) {
	id, mac, ok := strings.Cut(token, ".")
	if !ok || id == "" || len(id) > 128 || len(mac) > 64 {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(t.mac("unsubscribe", id))) {
		return "", false
	}
	return id, true
}
