package pow_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/pow"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestCheck(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	now := start
	is := pow.NewIssuer(key, time.Hour, func() time.Time { return now })
	c := is.Issue("token-a", 8, 10*time.Second)
	good := strconv.FormatUint(pow.Solve(c.Salt, c.Difficulty), 10)
	var wrong string
	for n := uint64(0); ; n++ {
		if !pow.Meets(c.Salt, n, c.Difficulty) {
			wrong = strconv.FormatUint(n, 10)
			break
		}
	}
	other := pow.NewIssuer([]byte("another key, another key, another"), time.Hour, func() time.Time { return now }).Issue("token-a", 8, 0)
	tampered := strings.Replace(c.String(), ".8.", ".1.", 1)
	tests := []struct {
		name              string
		encoded, bound, n string
		at                time.Duration
		want              error
	}{
		{"solved", c.String(), "token-a", good, time.Second, nil},
		{"wrong number", c.String(), "token-a", wrong, time.Second, pow.ErrWrong},
		{"not a number", c.String(), "token-a", "12a", time.Second, pow.ErrWrong},
		{"negative", c.String(), "token-a", "-1", time.Second, pow.ErrWrong},
		{"bound to another token", c.String(), "token-b", good, time.Second, pow.ErrInvalid},
		{"easier difficulty claimed", tampered, "token-a", good, time.Second, pow.ErrInvalid},
		{"another key", other.String(), "token-a", "0", time.Second, pow.ErrInvalid},
		{"garbage", "1.2.3", "token-a", good, time.Second, pow.ErrInvalid},
		{"empty", "", "token-a", "", time.Second, pow.ErrInvalid},
		{"expired", c.String(), "token-a", good, time.Hour + time.Second, pow.ErrExpired},
		{"no solution, too soon", c.String(), "token-a", "", 9 * time.Second, pow.ErrTooSoon},
		{"no solution, waited", c.String(), "token-a", "", 10 * time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = start.Add(tt.at)
			if _, err := is.Check(tt.encoded, tt.bound, tt.n); !errors.Is(err, tt.want) {
				t.Errorf("Check: %v, want %v", err, tt.want)
			}
		})
	}
}

// Issue caps the difficulty, and the encoded challenge reads back as
// issued.
func TestIssue(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	is := pow.NewIssuer(key, time.Hour, func() time.Time { return now })
	for _, tt := range []struct{ ask, want int }{{-3, 0}, {0, 0}, {16, 16}, {99, pow.MaxDifficulty}} {
		c := is.Issue("t", tt.ask, 30*time.Second)
		if c.Difficulty != tt.want {
			t.Errorf("difficulty %d: got %d, want %d", tt.ask, c.Difficulty, tt.want)
		}
		got, err := is.Check(c.String(), "t", "")
		if !errors.Is(err, pow.ErrTooSoon) || got.Difficulty != tt.want || got.Salt != c.Salt || !got.Expires.Equal(now.Add(time.Hour)) {
			t.Errorf("read back %+v, %v", got, err)
		}
	}
}

func TestMeets(t *testing.T) {
	t.Parallel()
	// SHA-256("x76") begins with the byte 0x0e: four zero bits.
	for _, tt := range []struct {
		salt string
		n    uint64
		d    int
		want bool
	}{
		{"x", 0, 0, true},
		{"x", pow.Solve("x", 12), 12, true},
		{"x", 76, 4, true},
		{"x", 76, 5, false},
	} {
		if got := pow.Meets(tt.salt, tt.n, tt.d); got != tt.want {
			t.Errorf("Meets(%q, %d, %d) = %v", tt.salt, tt.n, tt.d, got)
		}
	}
	// The smallest solution of difficulty 12 has no smaller one.
	n := pow.Solve("salt", 12)
	for i := range n {
		if pow.Meets("salt", i, 12) {
			t.Fatalf("Solve returned %d, but %d meets too", n, i)
		}
	}
}

// BenchmarkSolve measures the work of a challenge of difficulty 16 in Go
// (a browser's crypto.subtle is several times slower per hash).
func BenchmarkSolve(b *testing.B) {
	for i := range b.N {
		pow.Solve(strconv.Itoa(i), 16)
	}
}
