package account

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor is a time-based one-time password (RFC 6238) as
// authenticator apps make them: SHA-1, six digits, 30-second steps, one
// step of clock drift allowed either way.
const (
	totpIssuer = "Solidarity"
	totpPeriod = 30
	// RecoveryCodeCount is how many recovery codes an enrolment gives.
	RecoveryCodeCount = 10
	// recoveryCodeLen is a recovery code's length in base32 characters
	// (80 bits, so that their stored SHA-256 cannot be reversed).
	recoveryCodeLen = 16
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NeedsTwoFactor reports whether the setting "two-factor authentication
// required" applies to role.
func NeedsTwoFactor(role Role) bool { return role == RoleAdmin || role == RoleOrganizer }

// Enrolment is a second factor being set up: the secret to type into an
// authenticator app, the otpauth:// URL it stands for and that URL as a
// QR code (PNG).
type Enrolment struct {
	Secret string
	URL    string
	QR     []byte
}

// BeginTOTP starts (or shows again) the enrolment of u's second factor. The
// secret is kept sealed as pending until ConfirmTOTP.
func (s *Service) BeginTOTP(ctx context.Context, u *User) (*Enrolment, error) {
	if u.TwoFactor() {
		return nil, ErrTwoFactorOn
	}
	var secret []byte
	if !u.TOTPPending.IsZero() {
		b32, err := s.store.openTOTP(u.ID, "totp_pending", u.TOTPPending)
		if err != nil {
			return nil, err
		}
		if secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32); err != nil {
			return nil, fmt.Errorf("pending second factor of %s: %w", u.ID, err)
		}
	} else {
		secret = make([]byte, 20)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("generate second factor: %w", err)
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Secret: secret,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate second factor: %w", err)
	}
	if u.TOTPPending.IsZero() {
		sealed, err := s.store.sealTOTP(u.ID, "totp_pending", key.Secret())
		if err != nil {
			return nil, err
		}
		if err := s.store.setPendingTOTP(ctx, u.ID, sealed); err != nil {
			return nil, err
		}
		u.TOTPPending = sealed
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("draw second factor QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("draw second factor QR code: %w", err)
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QR: buf.Bytes()}, nil
}

// ConfirmTOTP turns u's pending second factor on when code matches it, and
// returns the recovery codes, which are shown once and stored hashed.
func (s *Service) ConfirmTOTP(ctx context.Context, u *User, code string) ([]string, error) {
	if u.TwoFactor() {
		return nil, ErrTwoFactorOn
	}
	if u.TOTPPending.IsZero() {
		return nil, ErrTwoFactorOff
	}
	key := "sc:" + u.ID
	if !s.fails.reserve(key, MaxFailsPerAccount, s.now()) {
		return nil, ErrRateLimited
	}
	secret, err := s.store.openTOTP(u.ID, "totp_pending", u.TOTPPending)
	if err != nil {
		return nil, err
	}
	step, ok := matchStep(secret, code, s.now())
	if !ok {
		return nil, ErrInvalidCode
	}
	s.fails.release(key)
	sealed, err := s.store.sealTOTP(u.ID, "totp_secret", secret)
	if err != nil {
		return nil, err
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	// Only the pending secret that was checked is turned on: a second
	// enrolment in another tab cannot swap in its own.
	ok, err = s.store.enableTOTP(ctx, u.ID, u.TOTPPending, sealed, step, hashes)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrTwoFactorOn
	}
	return codes, nil
}

// DisableTOTP turns u's second factor off after checking their password
// and a current code (or a recovery code).
func (s *Service) DisableTOTP(ctx context.Context, u *User, password, code string) error {
	if !u.TwoFactor() {
		return ErrTwoFactorOff
	}
	if err := s.confirmPassword(ctx, u, password); err != nil {
		return err
	}
	key := "sc:" + u.ID
	if !s.fails.reserve(key, MaxFailsPerAccount, s.now()) {
		return ErrRateLimited
	}
	if _, err := s.checkCode(ctx, u, code); err != nil {
		return err
	}
	s.fails.release(key)
	return s.store.clearTOTP(ctx, u.ID)
}

// ResetTwoFactor turns the second factor of the account with email off,
// for someone who lost their authenticator and recovery codes; an admin
// does it after making sure who asks. It ends the account's sessions.
func (s *Service) ResetTwoFactor(ctx context.Context, email string) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}
	if err := s.store.clearTOTP(ctx, u.ID); err != nil {
		return err
	}
	return s.store.deleteSessionsOf(ctx, u.ID)
}

// TwoFactorRequired reports whether admins and organizers must use a
// second factor.
func (s *Service) TwoFactorRequired(ctx context.Context) (bool, error) {
	return s.store.TwoFactorRequired(ctx)
}

// SetTwoFactorRequired changes whether admins and organizers must use a
// second factor. Those without one are sent to enrol at their next page.
func (s *Service) SetTwoFactorRequired(ctx context.Context, required bool) error {
	return s.store.SetTwoFactorRequired(ctx, required)
}

// checkCode accepts a current authenticator code not used before, or one of
// u's unused recovery codes, which it uses up; recovery says which it was.
func (s *Service) checkCode(ctx context.Context, u *User, code string) (recovery bool, err error) {
	c := normalizeCode(code)
	switch {
	case len(c) == 6:
		secret, err := s.store.openTOTP(u.ID, "totp_secret", u.TOTPSecret)
		if err != nil {
			return false, err
		}
		step, ok := matchStep(secret, c, s.now())
		if !ok {
			return false, ErrInvalidCode
		}
		// Accepted once: only a later step than the last one used passes,
		// atomically, so a code seen over a shoulder cannot be sent again.
		fresh, err := s.store.useStep(ctx, u.ID, step)
		if err != nil {
			return false, err
		}
		if !fresh {
			return false, ErrInvalidCode
		}
		return false, nil
	case len(c) == recoveryCodeLen:
		used, err := s.store.useRecoveryCode(ctx, u.ID, hashCode(c))
		if err != nil {
			return false, err
		}
		if !used {
			return false, ErrInvalidCode
		}
		return true, nil
	}
	return false, ErrInvalidCode
}

// matchStep returns the time step at which code is secret's code, within
// one step of now.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	code = normalizeCode(code)
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, st := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// normalizeCode drops what people type between a code's characters.
func normalizeCode(code string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code))
}

// newRecoveryCodes returns RecoveryCodeCount codes, as shown (XXXX-XXXX-…)
// and as stored.
func newRecoveryCodes() (codes, hashes []string, err error) {
	for range RecoveryCodeCount {
		raw := rand.Text()[:recoveryCodeLen]
		var parts []string
		for i := 0; i < len(raw); i += 4 {
			parts = append(parts, raw[i:i+4])
		}
		codes = append(codes, strings.Join(parts, "-"))
		hashes = append(hashes, hashCode(raw))
	}
	return codes, hashes, nil
}

func hashCode(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}
