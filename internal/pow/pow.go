// Package pow is a proof of work for forms, in the manner of ALTCHA,
// written on the standard library: the server issues a challenge it signs
// with HMAC (a random salt, a difficulty, when it was issued and when it
// expires, and what it is bound to, such as a form token), and the browser
// finds a number n such that SHA-256(salt + decimal n) begins with
// Difficulty zero bits. Checking a solution costs one HMAC and one hash.
//
// A browser without JavaScript cannot do the work: it may instead send the
// challenge back without a solution once the challenge is Wait old. A
// challenge is single-use only through what it is bound to: bind it to a
// value the caller spends once (the form token).
package pow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// MaxDifficulty is the hardest challenge Issue makes: 2^24 hashes on
// average would take a phone minutes.
const MaxDifficulty = 24

// Problems with a challenge or its solution.
var (
	// ErrInvalid is a challenge that is malformed, not ours, or bound to
	// something else.
	ErrInvalid = errors.New("proof of work: invalid challenge")
	// ErrExpired is a challenge past its expiry.
	ErrExpired = errors.New("proof of work: challenge expired")
	// ErrWrong is a solution that does not meet the difficulty.
	ErrWrong = errors.New("proof of work: wrong solution")
	// ErrTooSoon is a challenge sent back without a solution before it
	// was Wait old.
	ErrTooSoon = errors.New("proof of work: sent without a solution before the wait")
)

// Challenge is an issued challenge. Its String is what a form carries.
type Challenge struct {
	// Salt is what the solver hashes, followed by the number.
	Salt string
	// Difficulty is how many leading zero bits the hash must have.
	Difficulty int
	// Wait is how old the challenge must be to pass without a solution.
	Wait    time.Duration
	Issued  time.Time
	Expires time.Time
	mac     string
}

// String encodes the challenge: "1.issued.expires.difficulty.wait.salt.mac",
// times in Unix seconds, the wait in seconds.
func (c Challenge) String() string {
	return strings.Join([]string{"1",
		strconv.FormatInt(c.Issued.Unix(), 10), strconv.FormatInt(c.Expires.Unix(), 10),
		strconv.Itoa(c.Difficulty), strconv.Itoa(int(c.Wait / time.Second)), c.Salt, c.mac}, ".")
}

// Issuer makes and checks challenges with one key.
type Issuer struct {
	key []byte
	now func() time.Time
	ttl time.Duration
}

// NewIssuer returns an issuer whose challenges are signed with key and
// live for ttl.
func NewIssuer(key []byte, ttl time.Duration, now func() time.Time) Issuer {
	return Issuer{key: key, now: now, ttl: ttl}
}

// Issue makes a challenge bound to bound (checks must name the same
// value), of the given difficulty (capped at MaxDifficulty) and wait.
func (is Issuer) Issue(bound string, difficulty int, wait time.Duration) Challenge {
	salt := make([]byte, 12)
	_, _ = rand.Read(salt) // never fails
	now := is.now()
	c := Challenge{
		Salt:       base64.RawURLEncoding.EncodeToString(salt),
		Difficulty: min(max(difficulty, 0), MaxDifficulty),
		Wait:       wait.Truncate(time.Second),
		Issued:     time.Unix(now.Unix(), 0),
		Expires:    time.Unix(now.Add(is.ttl).Unix(), 0),
	}
	c.mac = is.sign(c, bound)
	return c
}

// Check reads an encoded challenge bound to bound and checks solution, a
// decimal number, against it; an empty solution passes once the challenge
// is Wait old. It returns the challenge it read, when it could.
func (is Issuer) Check(encoded, bound, solution string) (Challenge, error) {
	c, err := is.parse(encoded, bound)
	if err != nil {
		return c, err
	}
	now := is.now()
	if now.After(c.Expires) {
		return c, ErrExpired
	}
	if solution == "" {
		if now.Sub(c.Issued) < c.Wait {
			return c, ErrTooSoon
		}
		return c, nil
	}
	n, err := strconv.ParseUint(solution, 10, 64)
	if err != nil || !Meets(c.Salt, n, c.Difficulty) {
		return c, ErrWrong
	}
	return c, nil
}

func (is Issuer) parse(encoded, bound string) (Challenge, error) {
	f := strings.Split(encoded, ".")
	if len(f) != 7 || f[0] != "1" || len(encoded) > 200 {
		return Challenge{}, ErrInvalid
	}
	nums := make([]int64, 4)
	for i := range nums {
		v, err := strconv.ParseInt(f[1+i], 10, 64)
		if err != nil || v < 0 {
			return Challenge{}, ErrInvalid
		}
		nums[i] = v
	}
	c := Challenge{
		Issued: time.Unix(nums[0], 0), Expires: time.Unix(nums[1], 0),
		Difficulty: int(nums[2]), Wait: time.Duration(nums[3]) * time.Second,
		Salt: f[5], mac: f[6],
	}
	if c.Difficulty > MaxDifficulty || nums[3] > int64(time.Hour/time.Second) ||
		!hmac.Equal([]byte(c.mac), []byte(is.sign(c, bound))) {
		return Challenge{}, ErrInvalid
	}
	return c, nil
}

func (is Issuer) sign(c Challenge, bound string) string {
	m := hmac.New(sha256.New, is.key)
	fmt.Fprintf(m, "pow1\x00%d\x00%d\x00%d\x00%d\x00%s\x00%s", c.Issued.Unix(), c.Expires.Unix(), c.Difficulty, int(c.Wait/time.Second), c.Salt, bound)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Meets reports whether SHA-256(salt + decimal n) begins with difficulty
// zero bits.
func Meets(salt string, n uint64, difficulty int) bool {
	sum := sha256.Sum256(strconv.AppendUint([]byte(salt), n, 10))
	return leadingZeros(sum[:]) >= difficulty
}

func leadingZeros(b []byte) int {
	n := 0
	for _, x := range b {
		if x != 0 {
			return n + bits.LeadingZeros8(x)
		}
		n += 8
	}
	return n
}

// Solve finds the smallest solution of a challenge, as the browser does;
// for tests and measurements.
func Solve(salt string, difficulty int) uint64 {
	for n := uint64(0); ; n++ {
		if Meets(salt, n, difficulty) {
			return n
		}
	}
}
