package account

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestMatchStep(t *testing.T) {
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Date(2027, 6, 1, 12, 0, 10, 0, time.UTC)
	step := now.Unix() / totpPeriod
	for _, tt := range []struct {
		name string
		at   time.Time
		ok   bool
		want int64
	}{
		{"now", now, true, step},
		{"one step early", now.Add(-30 * time.Second), true, step - 1},
		{"one step late", now.Add(30 * time.Second), true, step + 1},
		{"two steps early", now.Add(-60 * time.Second), false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, err := totp.GenerateCode(secret, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := matchStep(secret, code[:3]+" "+code[3:], now)
			if ok != tt.ok || got != tt.want {
				t.Errorf("matchStep = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzCodes feeds the code field's parsing anything a person or a bot may
// type: it never panics and never accepts a code of the wrong shape.
func FuzzCodes(f *testing.F) {
	for _, s := range []string{"123 456", "abcd-efgh-ijkl-mnop", "", "-", " \t", "ÄÖÜ123", "1234567"} {
		f.Add(s)
	}
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		c := normalizeCode(in)
		if strings.ContainsAny(c, " -\t") {
			t.Errorf("normalizeCode(%q) = %q", in, c)
		}
		if _, ok := matchStep(secret, in, now); ok && len(c) != 6 {
			t.Errorf("a code of %d characters matched", len(c))
		}
	})
}
