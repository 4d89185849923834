package sealed

import (
	"errors"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type doc struct {
	Name Text `bson:"name,omitempty"`
}

func testKeys(t *testing.T, active string) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring([]seal.Key{
		{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")},
		{ID: "k2", Secret: []byte("fedcba9876543210fedcba9876543210")},
	}, active)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTextRoundTrip(t *testing.T) {
	k1 := testKeys(t, "k1")
	aad := AAD("signatures", "id", "person.name")
	sealedName, err := Seal(k1, "Алесь", aad)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		stored    any // what the database holds
		want      string
		keyID     string
		staleFor1 bool
	}{
		{"sealed", doc{Name: sealedName}, "Алесь", "k1", false},
		{"plain string of an old document", bson.D{{Key: "name", Value: "Алесь"}}, "Алесь", Plain, true},
		{"plain binary of an old document", bson.D{{Key: "name", Value: []byte("Алесь")}}, "Алесь", Plain, true},
		{"absent", bson.D{}, "", "", false},
		{"null", bson.D{{Key: "name", Value: nil}}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := bson.Marshal(tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			var d doc
			if err := bson.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			got, err := d.Name.Open(k1, aad)
			if err != nil || got != tt.want {
				t.Errorf("Open = %q, %v; want %q", got, err, tt.want)
			}
			if id := d.Name.KeyID(); id != tt.keyID {
				t.Errorf("KeyID = %q, want %q", id, tt.keyID)
			}
			if s := d.Name.Stale(k1); s != tt.staleFor1 {
				t.Errorf("Stale = %v, want %v", s, tt.staleFor1)
			}
		})
	}
	if !sealedName.Stale(testKeys(t, "k2")) {
		t.Error("a value under k1 is not stale once k2 is active")
	}
	if _, err := sealedName.Open(k1, AAD("signatures", "other", "person.name")); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("Open with another document's AAD = %v, want ErrCorrupt", err)
	}
}

func TestPlainIsNeverWritten(t *testing.T) {
	raw, err := bson.Marshal(bson.D{{Key: "name", Value: "Алесь"}})
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := bson.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if _, err := bson.Marshal(d); !errors.Is(err, ErrPlain) {
		t.Errorf("Marshal of a plain value = %v, want ErrPlain", err)
	}
}
