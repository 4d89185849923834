package updates

import (
	"strings"
	"testing"
)

func TestUnsubscribeTokens(t *testing.T) {
	tokens := NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	other := NewTokens([]byte("fedcba9876543210fedcba9876543210"))
	good := tokens.Unsubscribe("sig-1")
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"its own", good, true},
		{"another signature's ID with its MAC", strings.Replace(good, "sig-1", "sig-2", 1), false},
		{"a changed MAC", good[:len(good)-1] + "x", false},
		{"a MAC cut short", good[:len(good)-3], false},
		{"another key's", other.Unsubscribe("sig-1"), false},
		{"no MAC", "sig-1", false},
		{"no ID", "." + strings.SplitN(good, ".", 2)[1], false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, ok := tokens.CheckUnsubscribe(tc.token)
			if ok != tc.ok || (ok && id != "sig-1") {
				t.Errorf("CheckUnsubscribe(%q) = %q, %v; want ok %v", tc.token, id, ok, tc.ok)
			}
		})
	}
}

// Only a token made by Unsubscribe passes, and it names its signature.
func FuzzCheckUnsubscribe(f *testing.F) {
	tokens := NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	f.Add(tokens.Unsubscribe("abc"))
	f.Add("abc.def")
	f.Add("..")
	f.Fuzz(func(t *testing.T, token string) {
		id, ok := tokens.CheckUnsubscribe(token)
		if ok && tokens.Unsubscribe(id) != token {
			t.Errorf("%q passed but is not the token of %q", token, id)
		}
	})
}
