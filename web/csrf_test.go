package web

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tk := tokens{key: []byte("0123456789abcdef0123456789abcdef"), now: clock, ttl: time.Hour}
	tok := tk.issue("sign:a")
	tests := []struct {
		name    string
		token   string
		purpose string
		at      time.Time
		want    error
	}{
		{"valid", tok, "sign:a", now.Add(59 * time.Minute), nil},
		{"other purpose", tok, "sign:b", now, errTokenInvalid},
		{"expired", tok, "sign:a", now.Add(61 * time.Minute), errTokenExpired},
		{"from the future", tok, "sign:a", now.Add(-2 * time.Minute), errTokenExpired},
		{"empty", "", "sign:a", now, errTokenInvalid},
		{"truncated", tok[:10], "sign:a", now, errTokenInvalid},
		{"not base64", "!!!!", "sign:a", now, errTokenInvalid},
		{"random part changed", flipByte(tok, 9), "sign:a", now, errTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := tokens{key: tk.key, now: func() time.Time { return tt.at }, ttl: time.Hour}
			issued, err := check.check(tt.token, tt.purpose)
			if !errors.Is(err, tt.want) {
				t.Fatalf("check = %v, want %v", err, tt.want)
			}
			if err == nil && !issued.Equal(now) {
				t.Errorf("issued = %v, want %v", issued, now)
			}
		})
	}
}

// flipByte changes one byte of a token.
func flipByte(token string, i int) string {
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	raw[i] ^= 1
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Two forms issued in the same second get different tokens, since each
// signs only once.
func TestTokensDiffer(t *testing.T) {
	t.Parallel()
	tk := tokens{key: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return time.Unix(1e9, 0) }, ttl: time.Hour}
	if a, b := tk.issue("sign:a"), tk.issue("sign:a"); a == b {
		t.Errorf("two tokens issued in one second are both %q", a)
	}
}

func FuzzTokenCheck(f *testing.F) {
	tk := tokens{key: []byte("0123456789abcdef0123456789abcdef"), now: time.Now, ttl: time.Hour}
	issued := tk.issue("sign:a")
	f.Add(issued, "sign:a")
	f.Add("", "")
	f.Add("AAAAAGsGphUGXA0kpb2Yth97CMnewe-w", "sign:a")
	f.Fuzz(func(t *testing.T, token, purpose string) {
		if _, err := tk.check(token, purpose); err == nil && (token != issued || purpose != "sign:a") {
			// Only the token issued may pass, for its purpose.
			t.Fatalf("forged token %q accepted for %q", token, purpose)
		}
	})
}
