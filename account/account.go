// Package account holds the people who run solidarity: organizers,
// moderators, translators and admins, their passwords and their sessions.
// Supporters have no accounts.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"net/mail"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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

// Store keeps users, sessions and the security settings in MongoDB.
type Store struct {
	users    *mongo.Collection
	sessions *mongo.Collection
	settings *mongo.Collection
	// keys seal the second-factor secrets.
	keys *seal.Keyring
}

// NewStore returns a store over db's collections that seals second-factor
// secrets with keys.
func NewStore(db *mongo.Database, keys *seal.Keyring) *Store {
	return &Store{users: db.Collection(usersCollection), sessions: db.Collection("sessions"), settings: db.Collection("settings"), keys: keys}
}

// EnsureIndexes creates the store's indexes; safe at every start-up.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if _, err := s.users.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "email", Value: 1}},
		Options: options.Index().SetName("email_unique").SetUnique(true),
	}); err != nil {
		return fmt.Errorf("create user email index: %w", err)
	}
	return nil
}

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

func (s *Store) insertUser(ctx context.Context, u *User) error {
	if _, err := s.users.InsertOne(ctx, u); err != nil {
		if database.IsDuplicate(err) {
			return fmt.Errorf("user %s: %w", u.Email, ErrDuplicate)
		}
		return fmt.Errorf("insert user %s: %w", u.Email, err)
	}
	return nil
}

// UserByEmail returns the user with that (normalised) email address.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.users.FindOne(ctx, bson.M{"email": email}).Decode(&u)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", email, err)
	}
	return &u, nil
}

func (s *Store) userByID(ctx context.Context, id string) (*User, error) {
	var u User
	err := s.users.FindOne(ctx, bson.M{"_id": id}).Decode(&u)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return &u, nil
}

// Users returns every user, sorted by email.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	cur, err := s.users.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "email", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []User
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// HasUsers reports whether any account exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	err := s.users.FindOne(ctx, bson.M{}).Err()
	if database.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for users: %w", err)
	}
	return true, nil
}

func (s *Store) updateUser(ctx context.Context, email string, set bson.M) error {
	res, err := s.users.UpdateOne(ctx, bson.M{"email": email}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update user %s: %w", email, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	return nil
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

func (s *Store) insertSession(ctx context.Context, sess *Session) error {
	if _, err := s.sessions.InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

func (s *Store) session(ctx context.Context, id string) (*Session, error) {
	var sess Session
	err := s.sessions.FindOne(ctx, bson.M{"_id": id}).Decode(&sess)
	if database.IsNotFound(err) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	return &sess, nil
}

func (s *Store) touchSession(ctx context.Context, id string, at time.Time) error {
	if _, err := s.sessions.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"last_seen": at}}); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s *Store) deleteSession(ctx context.Context, id string) error {
	if _, err := s.sessions.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s *Store) deleteSessionsOf(ctx context.Context, userID string) error {
	return s.deleteSessionsBut(ctx, userID, "")
}

// deleteSessionsBut ends every session of userID except keep.
func (s *Store) deleteSessionsBut(ctx context.Context, userID, keep string) error {
	filter := bson.M{"user_id": userID}
	if keep != "" {
		filter["_id"] = bson.M{"$ne": keep}
	}
	if _, err := s.sessions.DeleteMany(ctx, filter); err != nil {
		return fmt.Errorf("end sessions of %s: %w", userID, err)
	}
	return nil
}

// updateUserByID sets fields of the user with id, if filter (besides the
// id) matches, and reports whether it did.
func (s *Store) updateUserByID(ctx context.Context, id string, filter, update bson.M) (bool, error) {
	f := bson.M{"_id": id}
	for k, v := range filter {
		f[k] = v
	}
	res, err := s.users.UpdateOne(ctx, f, update)
	if err != nil {
		return false, fmt.Errorf("update user %s: %w", id, err)
	}
	return res.MatchedCount == 1, nil
}

// usersCollection holds the console users.
const usersCollection = "users"

// SealedFields names the users' sealed fields (the second factor's secret),
// for re-sealing after a key rotation (package reseal).
func (s *Store) SealedFields() sealed.Fields {
	return sealed.Fields{Collection: s.users, Paths: []string{"totp_secret", "totp_pending"}}
}

// sealTOTP and openTOTP bind a second-factor secret to its user and field,
// so that a copied value opens nowhere else.
func (s *Store) sealTOTP(userID, field, secret string) (sealed.Text, error) {
	b, err := sealed.Seal(s.keys, secret, sealed.AAD(usersCollection, userID, field))
	if err != nil {
		return sealed.Text{}, fmt.Errorf("seal %s of %s: %w", field, userID, err)
	}
	return b, nil
}

func (s *Store) openTOTP(userID, field string, secret sealed.Text) (string, error) {
	v, err := secret.Open(s.keys, sealed.AAD(usersCollection, userID, field))
	if err != nil {
		return "", fmt.Errorf("open %s of %s: %w", field, userID, err)
	}
	return v, nil
}

// securitySettings is the one settings document of the console's security.
type securitySettings struct {
	ID string `bson:"_id"`
	// RequireTwoFactor makes admins and organizers enrol a second factor.
	RequireTwoFactor bool `bson:"require_two_factor"`
}

const securitySettingsID = "security"

// TwoFactorRequired reports whether admins and organizers must use a
// second factor.
func (s *Store) TwoFactorRequired(ctx context.Context) (bool, error) {
	var set securitySettings
	err := s.settings.FindOne(ctx, bson.M{"_id": securitySettingsID}).Decode(&set)
	if database.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read security settings: %w", err)
	}
	return set.RequireTwoFactor, nil
}

// SetTwoFactorRequired changes whether admins and organizers must use a
// second factor.
func (s *Store) SetTwoFactorRequired(ctx context.Context, required bool) error {
	_, err := s.settings.UpdateOne(ctx, bson.M{"_id": securitySettingsID},
		bson.M{"$set": bson.M{"require_two_factor": required}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save security settings: %w", err)
	}
	return nil
}
