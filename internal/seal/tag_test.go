package seal

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestTag(t *testing.T) {
	k1 := testKeyring(t, "k1", "k1", "k2")
	k2 := testKeyring(t, "k2", "k1", "k2")
	a, b := k1.Tag([]byte("hello world")), k1.Tag([]byte("hello world"))
	if a != b {
		t.Errorf("Tag differs for the same data: %s, %s", a, b)
	}
	if a == k1.Tag([]byte("hello world!")) {
		t.Error("Tag is the same for different data")
	}
	if c := k2.Tag([]byte("hello world")); c == a || TagKeyID(c) != "k2" {
		t.Errorf("Tag under k2 = %s (key %q), want another tag under k2", c, TagKeyID(c))
	}
	if TagKeyID(a) != "k1" {
		t.Errorf("TagKeyID(%s) = %q, want k1", a, TagKeyID(a))
	}
	// An unkeyed hash, as stored before, is no tag; and a tag is not it.
	sum := sha256.Sum256([]byte("hello world"))
	plain := hex.EncodeToString(sum[:16])
	if TagKeyID(plain) != "" || strings.Contains(a, plain) {
		t.Errorf("tag %s and unkeyed hash %s are confused", a, plain)
	}
}
