package account

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Login limits: failed attempts allowed per window, per account and per
// client (whatever identifies it to the caller, e.g. its IP address).
const (
	LoginWindow        = 15 * time.Minute
	MaxFailsPerAccount = 5
	MaxFailsPerClient  = 20
)

// Service manages accounts and sessions.
type Service struct {
	store *Store
	now   func() time.Time
	// dummyHash is verified against when the account does not exist, so that
	// an unknown address takes as long as a wrong password.
	dummyHash string

	mu    sync.Mutex
	fails map[string][]time.Time // "a:"+email or "c:"+client → failure times
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
	return &Service{store: store, now: now, dummyHash: dummy, fails: map[string][]time.Time{}, hashing: make(chan struct{}, maxHashing)}, nil
}

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

// AddUser creates an account.
func (s *Service) AddUser(ctx context.Context, email string, role Role, password string) (*User, error) {
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
	u := &User{ID: id[:24], Email: e, Role: role, PasswordHash: hash, CreatedAt: s.now().UTC()}
	if err := s.store.insertUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword changes a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
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
	if err := s.store.updateUser(ctx, u.Email, bson.M{"password_hash": hash}); err != nil {
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
	if err := s.store.updateUser(ctx, u.Email, bson.M{"disabled": disabled}); err != nil {
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

// Login checks an email address and password from client and opens a
// session, returning the token for the cookie. Unknown addresses, wrong
// passwords and disabled accounts all give ErrInvalidCredentials after the
// same work; too many failures give ErrRateLimited.
func (s *Service) Login(ctx context.Context, email, password, client string) (string, *User, error) {
	e, _ := NormalizeEmail(email) // a malformed address is just an unknown one
	keys := []string{"a:" + e, "c:" + client}
	// The attempt counts as a failure before the password is checked, so
	// that guesses sent in parallel meet the limit too; a success takes
	// it back.
	if !s.reserve(keys) {
		return "", nil, ErrRateLimited
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	u, err := s.store.UserByEmail(ctx, e)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", nil, err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return "", nil, err
	}
	if u == nil || !ok || u.Disabled {
		return "", nil, ErrInvalidCredentials
	}
	s.release(keys)
	token, id, err := newToken()
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	if err := s.store.insertSession(ctx, &Session{ID: id, UserID: u.ID, CreatedAt: now, LastSeen: now}); err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// reserve counts an attempt against keys, unless one of them has used up
// its failures, and reports whether the attempt may go on.
func (s *Service) reserve(keys []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limitedLocked(keys) {
		return false
	}
	for _, k := range keys {
		s.fails[k] = append(s.fails[k], s.now())
	}
	return true
}

// release takes back the attempt reserve counted, after a success.
func (s *Service) release(keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if n := len(s.fails[k]); n > 0 {
			s.fails[k] = s.fails[k][:n-1]
		}
		if len(s.fails[k]) == 0 {
			delete(s.fails, k)
		}
	}
}

// limitedLocked reports whether any of keys has used up its failures, and
// forgets failures older than the window. s.mu must be held.
func (s *Service) limitedLocked(keys []string) bool {
	cutoff := s.now().Add(-LoginWindow)
	for _, k := range keys {
		recent := s.fails[k][:0]
		for _, t := range s.fails[k] {
			if t.After(cutoff) {
				recent = append(recent, t)
			}
		}
		if len(recent) == 0 {
			delete(s.fails, k)
		} else {
			s.fails[k] = recent
		}
		limit := MaxFailsPerClient
		if k[0] == 'a' {
			limit = MaxFailsPerAccount
		}
		if len(recent) >= limit {
			return true
		}
	}
	return false
}

// Current returns the session and user that token stands for. Expired
// sessions, ended ones and those of disabled users are ErrNoSession.
func (s *Service) Current(ctx context.Context, token string) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrNoSession
	}
	sess, err := s.store.session(ctx, tokenID(token))
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if now.Sub(sess.LastSeen) > IdleTimeout || now.Sub(sess.CreatedAt) > AbsoluteTimeout {
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

// Users returns every account, sorted by email.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }
