package account

import (
	"context"
	"fmt"
	"time"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/seal"
	"github.com/solidarity-letters/solidarity/internal/sealed"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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

// setDisabled disables or enables the account with email.
func (s *Store) setDisabled(ctx context.Context, email string, disabled bool) error {
	res, err := s.users.UpdateOne(ctx, bson.M{"email": email}, bson.M{"$set": bson.M{"disabled": disabled}})
	if err != nil {
		return fmt.Errorf("update user %s: %w", email, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	return nil
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

// setPassword stores hash as the password of the user with id: one its
// user chose, so no longer to be changed, or (unchosen) one someone else
// chose, which its user is asked to change.
func (s *Store) setPassword(ctx context.Context, id, hash string, unchosen bool) error {
	update := bson.M{"$set": bson.M{"password_hash": hash}, "$unset": bson.M{"must_change_password": ""}}
	if unchosen {
		update = bson.M{"$set": bson.M{"password_hash": hash, "must_change_password": true}}
	}
	_, err := s.updateUserByID(ctx, id, nil, update)
	return err
}

// replacePassword stores hash as the password of the user with id, to be
// changed at the next sign-in, if the password is still the one whose
// hash is old.
func (s *Store) replacePassword(ctx context.Context, id, old, hash string) error {
	_, err := s.updateUserByID(ctx, id, bson.M{"password_hash": old},
		bson.M{"$set": bson.M{"password_hash": hash, "must_change_password": true}})
	return err
}

// setPendingTOTP stores a second factor shown for enrolment and not yet
// confirmed.
func (s *Store) setPendingTOTP(ctx context.Context, id string, secret sealed.Text) error {
	_, err := s.updateUserByID(ctx, id, nil, bson.M{"$set": bson.M{"totp_pending": secret}})
	return err
}

// enableTOTP turns on the second factor secret, with the recovery codes'
// hashes and the step of the code that confirmed it, if the user's pending
// secret is still pending and no second factor is on. It reports whether
// it did.
func (s *Store) enableTOTP(ctx context.Context, id string, pending, secret sealed.Text, step int64, recovery []string) (bool, error) {
	return s.updateUserByID(ctx, id, bson.M{"totp_pending": pending, "totp_secret": bson.M{"$exists": false}}, bson.M{
		"$set":   bson.M{"totp_secret": secret, "totp_last_step": step, "recovery_codes": recovery},
		"$unset": bson.M{"totp_pending": ""},
	})
}

// clearTOTP turns the second factor of the user with id off and forgets
// its secrets and recovery codes.
func (s *Store) clearTOTP(ctx context.Context, id string) error {
	_, err := s.updateUserByID(ctx, id, nil, bson.M{"$unset": bson.M{
		"totp_secret": "", "totp_pending": "", "recovery_codes": "",
	}})
	return err
}

// useStep records step as the last time step of an accepted code, if it is
// later than the one before, atomically; it reports whether it was.
func (s *Store) useStep(ctx context.Context, id string, step int64) (bool, error) {
	return s.updateUserByID(ctx, id, bson.M{"totp_last_step": bson.M{"$lt": step}},
		bson.M{"$set": bson.M{"totp_last_step": step}})
}

// useRecoveryCode removes the recovery code with hash from the user's
// unused ones, and reports whether it was one.
func (s *Store) useRecoveryCode(ctx context.Context, id, hash string) (bool, error) {
	return s.updateUserByID(ctx, id, bson.M{"recovery_codes": hash}, bson.M{"$pull": bson.M{"recovery_codes": hash}})
}
