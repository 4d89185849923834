package config

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/solidarity-letters/solidarity/internal/seal"
)

// SecretFile is the name of the generated secret in the data folder.
const SecretFile = "secret"

// Keys are the keys derived from the server secret, one per purpose, so that
// a key used for one thing never doubles as another.
type Keys struct {
	// Email keys the HMAC that stands in for a supporter's email address.
	Email []byte
	// Form keys the signed tokens that protect forms.
	Form []byte
	// Data seals supporters' personal fields before they are stored.
	Data *seal.Keyring
}

// LoadKeys derives the keys from secret, or, when it is empty, from the
// secret kept in dataDir, which it generates (32 random bytes, mode 0600) on
// first use. Changing the secret later makes earlier email hashes useless
// for finding repeat signatures, so it must be kept with the database.
func LoadKeys(secret, dataDir string) (Keys, error) {
	if secret == "" {
		var err error
		secret, err = loadOrCreateSecret(filepath.Join(dataDir, SecretFile))
		if err != nil {
			return Keys{}, err
		}
	}
	data, err := seal.NewKeyring([]seal.Key{{ID: dataKeyID(secret), Secret: derive(secret, "solidarity data key v1")}}, dataKeyID(secret))
	if err != nil {
		return Keys{}, fmt.Errorf("data key: %w", err)
	}
	return Keys{
		Email: derive(secret, "solidarity email hmac v1"),
		Form:  derive(secret, "solidarity form token v1"),
		Data:  data,
	}, nil
}

// dataKeyID names the data key derived from secret: a short hash that tells
// keys apart without revealing anything of them.
func dataKeyID(secret string) string {
	return "s" + hex.EncodeToString(derive(secret, "solidarity data key id v1")[:6])
}

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func loadOrCreateSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createSecret(path)
	}
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("secret file %s can be read by other users (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < MinSecretLength {
		return "", fmt.Errorf("secret file %s holds %d characters, needs at least %d", path, len(s), MinSecretLength)
	}
	return s, nil
}

func createSecret(path string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	s := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create data folder for the secret: %w", err)
	}
	// O_EXCL: if another process created it meanwhile, fail rather than overwrite.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create secret file: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write secret file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("write secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write secret file: %w", err)
	}
	return s, nil
}
