package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// Service manages accounts and sessions.
type Service struct {
	store *Store
	now   func() time.Time
	// dummyHash is verified against when the account does not exist, so that
	// an unknown address takes as long as a wrong password.
	dummyHash string
	// fails counts failed passwords and codes (see limit.go).
	fails *limiter
	// hashing bounds how many passwords are checked at once: each check
	// takes 19 MiB.
	hashing chan struct{}
}

// maxHashing is how many logins may check a password at the same time.
const maxHashing = 4

// NewService returns a service over store with the clock now.
func NewService(store *Store, now func() time.Time) (*Service, error) {
	dummy, err := HashPassword("not a password anyone has")
	if err != nil {
		return nil, err
	}
	return &Service{store: store, now: now, dummyHash: dummy, fails: newLimiter(MaxTracked, LoginWindow),
		hashing: make(chan struct{}, maxHashing)}, nil
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// AddUser creates an account whose holder chose its password (the first
// admin, `solidarity user add`).
func (s *Service) AddUser(ctx context.Context, email string, role Role, password string) (*User, error) {
	return s.addUser(ctx, email, role, password, false)
}

// InviteUser creates an account with a password someone else chose for
// its holder (an admin on the users page): the holder is asked on every
// page to choose their own until they do.
func (s *Service) InviteUser(ctx context.Context, email string, role Role, password string) (*User, error) {
	return s.addUser(ctx, email, role, password, true)
}

func (s *Service) addUser(ctx context.Context, email string, role Role, password string, unchosen bool) (*User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	_, id, err := newToken()
	if err != nil {
		return nil, err
	}
	u := &User{ID: id[:24], Email: e, Role: role, PasswordHash: hash, CreatedAt: s.now().UTC(), MustChangePassword: unchosen}
	if err := s.store.insertUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword changes a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	return s.setPassword(ctx, email, password, false)
}

// ResetPassword is SetPassword for a password someone else chose for the
// user (an admin on the users page): the user is asked on every page to
// choose their own until they do.
func (s *Service) ResetPassword(ctx context.Context, email, password string) error {
	return s.setPassword(ctx, email, password, true)
}

func (s *Service) setPassword(ctx context.Context, email, password string, unchosen bool) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := s.store.setPassword(ctx, u.ID, hash, unchosen); err != nil {
		return err
	}
	return s.store.deleteSessionsOf(ctx, u.ID)
}

// SetDisabled disables or enables an account; disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, email string, disabled bool) error {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}
	if err := s.store.setDisabled(ctx, u.Email, disabled); err != nil {
		return err
	}
	if disabled {
		return s.store.deleteSessionsOf(ctx, u.ID)
	}
	return nil
}

func (s *Service) userByEmail(ctx context.Context, email string) (*User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err) // no account has that address
	}
	return s.store.UserByEmail(ctx, e)
}

// Device is a browser's device cookie as the web layer verified it: the
// account it was issued to after a successful sign-in, and its own random
// ID. The zero Device is a client without one.
type Device struct {
	UserID string
	ID     string
}

// LoginResult is a sign-in that passed its step.
type LoginResult struct {
	// Token is the session cookie's value.
	Token string
	User  *User
	// Pending means the password was right and the second factor is still
	// to be given: the session allows only SecondFactor.
	Pending bool
	// RecoveryUsed means a recovery code stood in for the second factor and
	// is now used up.
	RecoveryUsed bool
}

// attemptKey is where a sign-in attempt's failures are counted: on the
// device cookie when it belongs to the account and has not failed too
// often itself, otherwise on the account's untrusted clients. prefix
// separates passwords from codes.
func (s *Service) attemptKey(prefix, account string, u *User, dev Device) (key string, limit int) {
	if dev.ID != "" && u != nil && dev.UserID == u.ID {
		k := prefix + "d:" + dev.ID
		if !s.fails.limited(k, MaxFailsPerDevice, s.now()) {
			return k, MaxFailsPerDevice
		}
	}
	return prefix + "a:" + account, MaxFailsPerAccount
}

// Login checks an email address and password from a browser with device
// cookie dev (or none) and opens a session. Unknown addresses, wrong
// passwords and disabled accounts all give ErrInvalidCredentials after the
// same work; too many failures give ErrRateLimited. With a second factor
// the session is pending until SecondFactor.
func (s *Service) Login(ctx context.Context, email, password string, dev Device) (*LoginResult, error) {
	e, _ := NormalizeEmail(email) // a malformed address is just an unknown one
	var u *User
	if e != "" {
		var err error
		if u, err = s.store.UserByEmail(ctx, e); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	key, limit := s.attemptKey("p", e, u, dev)
	if !s.fails.reserve(key, limit, s.now()) {
		return nil, ErrRateLimited
	}
	ok, err := s.verify(ctx, u, password)
	if err != nil {
		return nil, err
	}
	if !ok || u.Disabled {
		return nil, ErrInvalidCredentials
	}
	s.fails.release(key)
	token, err := s.openSession(ctx, u.ID, u.TwoFactor())
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, User: u, Pending: u.TwoFactor()}, nil
}

// verify checks password against u's hash, or against a dummy one when u
// is nil, with at most maxHashing checks at once.
func (s *Service) verify(ctx context.Context, u *User, password string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := VerifyPassword(hash, password)
	return ok && u != nil, err
}

func (s *Service) openSession(ctx context.Context, userID string, pending bool) (string, error) {
	token, id, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	if err := s.store.insertSession(ctx, &Session{ID: id, UserID: userID, CreatedAt: now, LastSeen: now, Pending: pending}); err != nil {
		return "", err
	}
	return token, nil
}

// SecondFactor completes a pending sign-in with a code from the
// authenticator app or an unused recovery code (used up by this). It ends
// the pending session and returns the token of a new, full one. A wrong
// or replayed code is ErrInvalidCode; codes are limited like passwords.
func (s *Service) SecondFactor(ctx context.Context, pendingToken, code string, dev Device) (*LoginResult, error) {
	sess, u, err := s.current(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	if !sess.Pending || !u.TwoFactor() {
		return nil, ErrNoSession
	}
	key, limit := s.attemptKey("c", u.ID, u, dev)
	if !s.fails.reserve(key, limit, s.now()) {
		return nil, ErrRateLimited
	}
	recovery, err := s.checkCode(ctx, u, code)
	if err != nil {
		return nil, err
	}
	s.fails.release(key)
	if err := s.store.deleteSession(ctx, sess.ID); err != nil {
		return nil, err
	}
	token, err := s.openSession(ctx, u.ID, false)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, User: u, RecoveryUsed: recovery}, nil
}

// ChangePassword changes the password of the signed-in user u after
// checking their current one, and ends their other sessions (keep is the
// ID of the session they changed it in). Wrong current passwords are
// limited like sign-ins.
func (s *Service) ChangePassword(ctx context.Context, u *User, keep, current, next string) error {
	if err := CheckPassword(next); err != nil {
		return err
	}
	if err := s.confirmPassword(ctx, u, current); err != nil {
		return err
	}
	if next == current {
		return ErrSamePassword
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := s.store.setPassword(ctx, u.ID, hash, false); err != nil {
		return err
	}
	return s.store.deleteSessionsBut(ctx, u.ID, keep)
}

// confirmPassword checks the current password of a signed-in user who is
// about to change something about how they sign in.
func (s *Service) confirmPassword(ctx context.Context, u *User, password string) error {
	key := "sa:" + u.ID
	if !s.fails.reserve(key, MaxFailsPerAccount, s.now()) {
		return ErrRateLimited
	}
	ok, err := s.verify(ctx, u, password)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	s.fails.release(key)
	return nil
}

// Current returns the session and user that token stands for. Expired
// sessions, ended ones and those of disabled users are ErrNoSession. A
// pending session (see Session.Pending) is returned too: callers must not
// treat it as signed in.
func (s *Service) Current(ctx context.Context, token string) (*Session, *User, error) {
	return s.current(ctx, token)
}

func (s *Service) current(ctx context.Context, token string) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrNoSession
	}
	sess, err := s.store.session(ctx, tokenID(token))
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if now.Sub(sess.LastSeen) > IdleTimeout || now.Sub(sess.CreatedAt) > AbsoluteTimeout ||
		(sess.Pending && now.Sub(sess.CreatedAt) > PendingTimeout) {
		if err := s.store.deleteSession(ctx, sess.ID); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrNoSession
	}
	u, err := s.store.userByID(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		if err := s.store.touchSession(ctx, sess.ID, now.UTC()); err != nil {
			return nil, nil, err
		}
	}
	return sess, u, nil
}

// Logout ends the session of token everywhere.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.deleteSession(ctx, tokenID(token))
}

// EnsureAdmin creates an admin with the given credentials when no account
// exists yet, and reports whether it did.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (bool, error) {
	has, err := s.store.HasUsers(ctx)
	if err != nil || has {
		return false, err
	}
	if _, err := s.AddUser(ctx, email, RoleAdmin, password); err != nil {
		return false, fmt.Errorf("create first admin: %w", err)
	}
	return true, nil
}

// DemoAdminEmail is the demo admin's address.
const DemoAdminEmail = "admin@example.org"

// EnsureDemoAdmin creates the demo admin when no account exists yet, with a
// random password that it returns (the caller shows it once), marked to be
// changed. It returns "" when accounts exist already.
func (s *Service) EnsureDemoAdmin(ctx context.Context) (string, error) {
	has, err := s.store.HasUsers(ctx)
	if err != nil || has {
		return "", err
	}
	password := rand.Text()
	_, err = s.InviteUser(ctx, DemoAdminEmail, RoleAdmin, password)
	if errors.Is(err, ErrDuplicate) {
		return "", nil // another node made it at the same moment
	}
	if err != nil {
		return "", fmt.Errorf("create demo admin: %w", err)
	}
	return password, nil
}

// publishedDemoPassword is the demo admin's password of versions before
// 2026-11, printed in their README: an account that still has it is open
// to anyone.
const publishedDemoPassword = "solidarity-demo"

// ReplacePublishedPassword gives the demo admin a random password, to be
// changed at the next sign-in, when it still has the password older
// versions published, and ends its sessions. It returns the new password,
// or "" when there was nothing to replace.
func (s *Service) ReplacePublishedPassword(ctx context.Context) (string, error) {
	u, err := s.userByEmail(ctx, DemoAdminEmail)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if ok, err := VerifyPassword(u.PasswordHash, publishedDemoPassword); err != nil || !ok {
		return "", err
	}
	password := rand.Text()
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	if err := s.store.replacePassword(ctx, u.ID, u.PasswordHash, hash); err != nil {
		return "", err
	}
	if err := s.store.deleteSessionsOf(ctx, u.ID); err != nil {
		return "", err
	}
	return password, nil
}

// Users returns every account, sorted by email.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }
