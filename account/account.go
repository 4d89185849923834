// Package account holds the people who run solidarity: organizers,
// moderators, translators and admins, their passwords and their sessions.
// Supporters have no accounts.
package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/sealed"
)

// Sentinel errors; test for them with errors.Is.
var (
	ErrNotFound           = errors.New("not found")
	ErrDuplicate          = errors.New("already exists")
	ErrInvalidCredentials = errors.New("unknown email address or wrong password")
	ErrRateLimited        = errors.New("too many failed logins; try again later")
	ErrNoSession          = errors.New("no valid session")
	// ErrInvalidCode is a wrong, reused or expired second-factor or
	// recovery code.
	ErrInvalidCode = errors.New("wrong or already used code")
	// ErrWrongPassword is a wrong current password where a signed-in user
	// confirms a change.
	ErrWrongPassword = errors.New("wrong password")
	// ErrSamePassword is a new password equal to the current one.
	ErrSamePassword = errors.New("the new password is the current one")
	// ErrTwoFactorOn and ErrTwoFactorOff are enrolment steps that do not fit
	// the account's state.
	ErrTwoFactorOn  = errors.New("two-factor authentication is already on")
	ErrTwoFactorOff = errors.New("two-factor authentication is off")
)

// Role says what a user may do.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"      // everything, including users and the audit log
	RoleOrganizer  Role = "organizer"  // campaigns, signatures, exports, bundles
	RoleModerator  Role = "moderator"  // the moderation queue
	RoleTranslator Role = "translator" // translations of greetings
)

// Roles lists every role, most powerful first.
func Roles() []Role { return []Role{RoleAdmin, RoleOrganizer, RoleModerator, RoleTranslator} }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want admin, organizer, moderator or translator)", s)
}

// User is a person with an account.
type User struct {
	ID           string    `bson:"_id"`
	Email        string    `bson:"email"`
	Role         Role      `bson:"role"`
	PasswordHash string    `bson:"password_hash"`
	Disabled     bool      `bson:"disabled"`
	CreatedAt    time.Time `bson:"created_at"`
	// MustChangePassword marks a password nobody chose (the demo admin's):
	// the console asks for a new one on every page until it is changed.
	MustChangePassword bool `bson:"must_change_password,omitempty"`
	// TOTPSecret is the sealed secret of the second factor, nil while it
	// is off; TOTPPending is one shown for enrolment and not yet confirmed.
	TOTPSecret  sealed.Text `bson:"totp_secret,omitempty"`
	TOTPPending sealed.Text `bson:"totp_pending,omitempty"`
	// TOTPLastStep is the time step of the last accepted code: a code is
	// accepted only for a later step, so it cannot be replayed.
	TOTPLastStep int64 `bson:"totp_last_step"`
	// RecoveryCodes are the hex SHA-256 of the unused recovery codes.
	RecoveryCodes []string `bson:"recovery_codes,omitempty"`
}

// TwoFactor reports whether the account signs in with a second factor.
func (u *User) TwoFactor() bool { return !u.TOTPSecret.IsZero() }

// Session is a signed-in browser. Only the SHA-256 of its token is stored,
// so a copy of the database does not let anyone sign in.
type Session struct {
	ID        string    `bson:"_id"` // hex SHA-256 of the cookie's token
	UserID    string    `bson:"user_id"`
	CreatedAt time.Time `bson:"created_at"`
	LastSeen  time.Time `bson:"last_seen"`
	// Pending marks a session whose password was right but whose second
	// factor is still to be given: it allows nothing but that step.
	Pending bool `bson:"pending,omitempty"`
}

// Session lifetimes.
const (
	// IdleTimeout ends a session nobody used for this long.
	IdleTimeout = 2 * time.Hour
	// AbsoluteTimeout ends every session this long after sign-in.
	AbsoluteTimeout = 12 * time.Hour
	// PendingTimeout ends a session waiting for its second factor.
	PendingTimeout = 10 * time.Minute
	// touchEvery limits how often LastSeen is written.
	touchEvery = time.Minute
)

// NormalizeEmail trims and lower-cases an account's email address and
// checks its form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", fmt.Errorf("%q is not an email address", email)
	}
	return e, nil
}

// newToken returns a random 256-bit token and the hex SHA-256 under which
// it is stored.
func newToken() (token, id string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generate token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenID(token), nil
}

func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
