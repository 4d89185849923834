package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func testKeyring(t *testing.T, active string, ids ...string) *Keyring {
	t.Helper()
	var keys []Key
	for _, id := range ids {
		secret := make([]byte, KeySize)
		copy(secret, id) // deterministic per ID, so two keyrings share keys
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	k, err := NewKeyring(keys, active)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := testKeyring(t, "k1", "k1")
	aad := AAD("signatures", "abc", "name")
	tests := []struct {
		name  string
		plain string
	}{
		{"latin", "Anna Kowalska"},
		{"cyrillic", "Алесь Бяляцкі"},
		{"georgian", "ნინო ბერიძე"},
		{"one byte", "x"},
		{"long", string(bytes.Repeat([]byte("greeting "), 500))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := k.SealString(tc.plain, aad)
			if err != nil {
				t.Fatal(err)
			}
			// A plain text of a byte or two turns up in random bytes by
			// chance; longer ones must not.
			if len(tc.plain) > 3 && bytes.Contains(sealed, []byte(tc.plain)) {
				t.Fatalf("sealed value contains the plain text")
			}
			got, err := k.OpenString(sealed, aad)
			if err != nil || got != tc.plain {
				t.Fatalf("OpenString = %q, %v; want %q", got, err, tc.plain)
			}
			if id, err := KeyID(sealed); err != nil || id != "k1" {
				t.Fatalf("KeyID = %q, %v; want k1", id, err)
			}
			if !IsSealed(sealed) {
				t.Fatalf("IsSealed = false for a sealed value")
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	k := testKeyring(t, "k1", "k1")
	sealed, err := k.SealString("Anna", AAD("signatures", "abc", "name"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	other := testKeyring(t, "k2", "k2")
	tests := []struct {
		name   string
		k      *Keyring
		sealed []byte
		aad    []byte
		want   error
	}{
		{"other document", k, sealed, AAD("signatures", "abd", "name"), ErrCorrupt},
		{"other field", k, sealed, AAD("signatures", "abc", "city"), ErrCorrupt},
		{"altered", k, flipped, AAD("signatures", "abc", "name"), ErrCorrupt},
		{"plain text", k, []byte("Anna Kowalska"), nil, ErrCorrupt},
		{"unknown key", other, sealed, AAD("signatures", "abc", "name"), ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.k.Open(tc.sealed, tc.aad); !errors.Is(err, tc.want) {
				t.Fatalf("Open error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRotationKeepsOldValuesReadable(t *testing.T) {
	old := testKeyring(t, "k1", "k1")
	sealed, err := old.SealString("Anna", nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated := testKeyring(t, "k2", "k1", "k2")
	if got, err := rotated.OpenString(sealed, nil); err != nil || got != "Anna" {
		t.Fatalf("rotated keyring opens %q, %v", got, err)
	}
	fresh, _ := rotated.SealString("Anna", nil)
	if id, _ := KeyID(fresh); id != "k2" {
		t.Fatalf("new values sealed under %s, want k2", id)
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	good := make([]byte, KeySize)
	tests := []struct {
		name   string
		keys   []Key
		active string
	}{
		{"short key", []Key{{ID: "a", Secret: good[:16]}}, "a"},
		{"no id", []Key{{ID: "", Secret: good}}, ""},
		{"active missing", []Key{{ID: "a", Secret: good}}, "b"},
		{"duplicate", []Key{{ID: "a", Secret: good}, {ID: "a", Secret: good}}, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeyring(tc.keys, tc.active); err == nil {
				t.Fatal("NewKeyring accepted it")
			}
		})
	}
}

func TestStream(t *testing.T) {
	k := testKeyring(t, "k1", "k1")
	aad := AAD("bundles", "job-1")
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		plain := make([]byte, size)
		rand.Read(plain)
		var buf bytes.Buffer
		w, err := k.NewWriter(&buf, aad)
		if err != nil {
			t.Fatal(err)
		}
		// Odd write sizes cross chunk borders.
		for rest := plain; len(rest) > 0; {
			n := min(len(rest), 1000+size%7)
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		sealed := buf.Bytes()
		r, err := k.NewReader(bytes.NewReader(sealed), aad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
		}
		if size > chunkSize {
			// Cut off after the first chunk: the reader must not take
			// the first chunk as the whole stream.
			cut := sealed[:len(sealed)-(len(sealed)-(2+2+prefixSize+chunkSize+16))]
			r, _ := k.NewReader(bytes.NewReader(cut), aad)
			if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("size %d: truncated stream read with error %v, want ErrCorrupt", size, err)
			}
		}
		r, _ = k.NewReader(bytes.NewReader(sealed), AAD("bundles", "job-2"))
		if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("size %d: stream opened under another job's aad: %v", size, err)
		}
	}
}
