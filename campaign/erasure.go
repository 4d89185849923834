package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadCode is a self-erasure code that is malformed, or whose MAC does
// not verify: mistyped, or made up.
var ErrBadCode = errors.New("not a valid erasure code")

// Erasures makes and checks the codes with which supporters erase their
// own signature without an account (the thanks page shows one, messages
// carry it in a link).
//
// A code names the campaign and the signature, and a nonce: the
// signature's SignedAt in milliseconds. A code only erases the signature
// whose stored SignedAt is its nonce. The sign answer of a repeat carries a
// code for the same signature with the repeat's own time as nonce: it
// verifies (its shape and answers are those of a real code), but matches
// no stored signature, so typing another person's address never yields
// their erasure code. Nothing is stored per code: signing writes nothing
// more.
type Erasures struct {
	key []byte
}

// NewErasures returns the codes keyed with key (keys.Keys.ErasureKey).
func NewErasures(key []byte) *Erasures { return &Erasures{key: key} }

// ErasureRef is what a verified code names.
type ErasureRef struct {
	CampaignID  string
	SignatureID string
	// Nonce is the SignedAt, in Unix milliseconds, of the signature the
	// code was made for.
	Nonce int64
}

const (
	signatureIDLen = sha256.Size
	nonceLen       = 6 // milliseconds, until the year 10889
	codeMACLen     = 10
	maxCampaignID  = 64
)

// Campaign IDs are ObjectIDs in hex (newID), stored in a code as their 12
// bytes after a 0; any other ID (older data, tests) as its length and
// bytes.
const objectIDLen = 12

var codeEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Code is the erasure code of the signature id of campaignID that was
// signed at signedAt; "" when the IDs are not of a shape codes hold.
func (e *Erasures) Code(campaignID, id string, signedAt time.Time) string {
	sid, err := hex.DecodeString(id)
	if err != nil || len(sid) != signatureIDLen || campaignID == "" || len(campaignID) > maxCampaignID {
		return ""
	}
	b := make([]byte, 0, 1+maxCampaignID+signatureIDLen+nonceLen+codeMACLen)
	if cid, err := hex.DecodeString(campaignID); err == nil && len(cid) == objectIDLen && hex.EncodeToString(cid) == campaignID {
		b = append(append(b, 0), cid...)
	} else {
		b = append(append(b, byte(len(campaignID))), campaignID...)
	}
	b = append(b, sid...)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(signedAt.UnixMilli()))
	b = append(b, n[8-nonceLen:]...)
	b = append(b, e.mac(b)...)
	return codeEncoding.EncodeToString(b)
}

// Link is the address, under baseURL (the site's public address, no
// trailing slash), of the page that erases the signature: the link every
// message to the supporter carries.
func (e *Erasures) Link(baseURL, campaignID, id string, signedAt time.Time) string {
	code := e.Code(campaignID, id, signedAt)
	if code == "" {
		return ""
	}
	return baseURL + "/erase/" + code
}

// Parse checks a code as typed (letter case, spaces and dashes do not
// matter) and returns what it names, or ErrBadCode.
func (e *Erasures) Parse(code string) (ErasureRef, error) {
	code = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\n', '\r':
			return -1
		}
		return r
	}, strings.ToLower(code))
	if len(code) > codeEncoding.EncodedLen(1+maxCampaignID+signatureIDLen+nonceLen+codeMACLen) {
		return ErasureRef{}, ErrBadCode
	}
	b, err := codeEncoding.DecodeString(code)
	if err != nil || len(b) < 1+signatureIDLen+nonceLen+codeMACLen {
		return ErasureRef{}, ErrBadCode
	}
	body, mac := b[:len(b)-codeMACLen], b[len(b)-codeMACLen:]
	if !hmac.Equal(mac, e.mac(body)) { // constant time
		return ErasureRef{}, ErrBadCode
	}
	var ref ErasureRef
	n := int(body[0])
	switch {
	case n == 0 && len(body) == 1+objectIDLen+signatureIDLen+nonceLen:
		ref.CampaignID = hex.EncodeToString(body[1 : 1+objectIDLen])
		body = body[1+objectIDLen:]
	case n > 0 && len(body) == 1+n+signatureIDLen+nonceLen:
		ref.CampaignID = string(body[1 : 1+n])
		body = body[1+n:]
	default:
		return ErasureRef{}, ErrBadCode
	}
	ref.SignatureID = hex.EncodeToString(body[:signatureIDLen])
	var ms [8]byte
	copy(ms[8-nonceLen:], body[signatureIDLen:])
	ref.Nonce = int64(binary.BigEndian.Uint64(ms[:]))
	return ref, nil
}

func (e *Erasures) mac(body []byte) []byte {
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte("solidarity erasure code v1\x00"))
	m.Write(body)
	return m.Sum(nil)[:codeMACLen]
}

// SignatureFor returns the stored signature a verified code was made
// for, or ErrNotFound when there is none: erased already, or the code of
// a repeat, whose nonce is no stored signature's SignedAt. The nonce is
// compared in constant time.
func (s *Service) SignatureFor(ctx context.Context, ref ErasureRef) (*Signature, error) {
	sig, err := s.store.Signature(ctx, ref.SignatureID)
	if err != nil {
		return nil, fmt.Errorf("signature for erasure code: %w", err)
	}
	var want, got [8]byte
	binary.BigEndian.PutUint64(want[:], uint64(ref.Nonce))
	binary.BigEndian.PutUint64(got[:], uint64(sig.SignedAt.UnixMilli()))
	if sig.CampaignID != ref.CampaignID || !hmac.Equal(want[:], got[:]) {
		return nil, fmt.Errorf("signature for erasure code: %w", ErrNotFound)
	}
	return sig, nil
}
