// Package keys finds, creates, moves and rotates the server's keys, and
// refuses to run with keys that do not belong to the database.
//
// Everything starts from one root secret: the email key (the HMAC that
// stands in for a supporter's address), the form key and the first data key
// are derived from it. It comes from SOLIDARITY_SECRET, from the file named
// by SOLIDARITY_SECRET_FILE, or from a key file in the user's configuration
// folder, created on first start. Never from the data folder: a copied data
// folder that carried its own key would confirm any guessed email address and
// open every sealed field.
//
// A key file holds either one line, the root secret (as `openssl rand -hex
// 32` writes it), or a keyring in JSON: the root secret and a list of data
// keys, one of them active. Rotation turns the first form into the second.
package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/solidarity-letters/solidarity/internal/seal"
)

// MinSecretLength is the shortest root secret accepted.
const MinSecretLength = 32

// LegacyFile is where versions before the key file kept the generated
// secret: in the data folder, which start-up now moves it out of.
const LegacyFile = "secret"

// Keys are the keys derived from the root secret and the data keys, one per
// purpose, so that a key used for one thing never doubles as another.
type Keys struct {
	// Email keys the HMAC that stands in for a supporter's email address.
	Email []byte
	// Form keys the signed tokens that protect forms.
	Form []byte
	// Data seals supporters' personal fields before they are stored.
	Data *seal.Keyring
	// Source says where the keys came from, for messages and status.
	Source Source
	// Created is set when this load generated a new key file.
	Created bool
	// MovedFrom names the old secret in the data folder when this load
	// moved it out to the key file, or removed it as a copy of the key
	// in use (a migration that was interrupted, or SOLIDARITY_SECRET).
	MovedFrom string
}

// Source says where the keys come from.
type Source struct {
	// Env is "SOLIDARITY_SECRET" when the secret came from that variable.
	Env string
	// Path is the key file, absolute; empty with Env.
	Path string
	// Default is set when Path is the default key file rather than the one
	// SOLIDARITY_SECRET_FILE names.
	Default bool
}

func (s Source) String() string {
	switch {
	case s.Env != "":
		return "the variable " + s.Env
	case s.Default:
		return "the key file " + s.Path + " (the default location)"
	default:
		return "the key file " + s.Path + " (SOLIDARITY_SECRET_FILE)"
	}
}

// Options say where to look for the keys.
type Options struct {
	// Secret is SOLIDARITY_SECRET; it wins over any file.
	Secret string
	// File is SOLIDARITY_SECRET_FILE; empty means the default key file.
	File string
	// DataDir is the data folder: the key file must not be inside it.
	DataDir string
	// Getenv reads XDG_CONFIG_HOME and HOME for the default key file.
	Getenv func(string) string
	// Now stamps the creation time of new keys.
	Now func() time.Time
}

// Locate says where opts take the keys from, without reading or checking
// anything: the variable, or the absolute path of the key file.
func Locate(opts Options) (Source, error) {
	if opts.Secret != "" {
		return Source{Env: "SOLIDARITY_SECRET"}, nil
	}
	src := Source{Path: opts.File}
	if src.Path == "" {
		p, err := DefaultPath(opts.Getenv)
		if err != nil {
			return Source{}, err
		}
		src = Source{Path: p, Default: true}
	}
	abs, err := filepath.Abs(src.Path)
	if err != nil {
		return Source{}, fmt.Errorf("key file %s: %w", src.Path, err)
	}
	src.Path = abs
	return src, nil
}

// Load finds the keys opts name and derives them. On the first start it
// creates the key file; when the data folder still holds the secret of an
// older version, it moves it out to the key file first (write and sync the
// new file, then overwrite and remove the old one), so an interrupted move
// completes on the next start.
func Load(opts Options) (Keys, error) {
	src, err := Locate(opts)
	if err != nil {
		return Keys{}, err
	}
	if src.Env == "" {
		if err := checkOutside(src.Path, opts.DataDir); err != nil {
			return Keys{}, err
		}
	}
	legacy := filepath.Join(opts.DataDir, LegacyFile)
	if src.Env != "" {
		k, err := fromSecret(opts.Secret)
		if err != nil {
			return Keys{}, err
		}
		k.Source = src
		k.MovedFrom, err = dropLegacyCopy(legacy, opts.Secret, "SOLIDARITY_SECRET")
		return k, err
	}

	f, err := ReadFile(src.Path)
	created := false
	movedFrom := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old, lerr := readLegacy(legacy)
		switch {
		case lerr == nil:
			f = &File{Secret: old}
			if err := create(src, f); err != nil {
				return Keys{}, err
			}
			if err := scrub(legacy); err != nil {
				return Keys{}, fmt.Errorf("the secret is now in %s, but removing the old copy failed: %w", src.Path, err)
			}
			movedFrom = legacy
		case errors.Is(lerr, fs.ErrNotExist):
			if f, err = NewFile(); err != nil {
				return Keys{}, err
			}
			if err := create(src, f); err != nil {
				return Keys{}, err
			}
			created = true
		default:
			return Keys{}, lerr
		}
	case err != nil:
		return Keys{}, err
	default:
		if movedFrom, err = dropLegacyCopy(legacy, f.Secret, src.Path); err != nil {
			return Keys{}, err
		}
	}
	k, err := f.Keys()
	if err != nil {
		return Keys{}, fmt.Errorf("key file %s: %w", src.Path, err)
	}
	k.Source, k.Created, k.MovedFrom = src, created, movedFrom
	return k, nil
}

// create writes a new key file for src, making the default folder (0700)
// if needed. A file named by SOLIDARITY_SECRET_FILE must be in a folder that
// exists: a missing one is more likely a typo or a volume not mounted.
func create(src Source, f *File) error {
	dir := filepath.Dir(src.Path)
	if src.Default {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create the key folder: %w", err)
		}
	} else if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("SOLIDARITY_SECRET_FILE %s: its folder is missing (%w); create it (mode 0700) or fix the path", src.Path, err)
	}
	return writeFile(src.Path, f, false)
}

// dropLegacyCopy removes the old secret from the data folder when it is the
// same as the one in use (a move that was interrupted after writing the
// key file). A different one is refused: it may be the only copy of the
// key some data was written with.
func dropLegacyCopy(legacy, secret, inUse string) (string, error) {
	old, err := readLegacy(legacy)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(old), []byte(secret)) {
		return "", fmt.Errorf("the data folder still holds a secret (%s) that differs from the one in %s: a copied data folder would carry it. "+
			"If this data folder belongs to an installation of its own, give it its own key file: set SOLIDARITY_SECRET_FILE to a path outside the data folder "+
			"and start again, and the secret is moved there. If you are sure no data was written with it, delete %s", legacy, inUse, legacy)
	}
	if err := scrub(legacy); err != nil {
		return "", fmt.Errorf("remove the copy of the secret from the data folder: %w", err)
	}
	return legacy, nil
}

func readLegacy(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("read the old secret: %w", err)
	}
	s, err := parsePlain(b)
	if err != nil {
		return "", fmt.Errorf("old secret %s: %w", path, err)
	}
	return s, nil
}

// fromSecret derives the keys of a plain root secret, as every version
// has: changing a derivation would make every stored email hash and sealed
// value useless.
func fromSecret(secret string) (Keys, error) {
	f := &File{Secret: secret}
	return f.Keys()
}

// Derivations. Keep them byte for byte: stored email hashes, signature IDs
// and sealed values depend on them.
const (
	purposeEmail   = "solidarity email hmac v1"
	purposeForm    = "solidarity form token v1"
	purposeData    = "solidarity data key v1"
	purposeDataID  = "solidarity data key id v1"
	purposeFreshID = "solidarity rotated data key id v1"
)

// dataKeyID names the data key derived from secret: a short hash that tells
// keys apart without revealing anything of them.
func dataKeyID(secret string) string {
	return "s" + hex.EncodeToString(derive(secret, purposeDataID)[:6])
}

// freshKeyID names a random data key added by rotation, from its bytes.
func freshKeyID(key []byte) string {
	return "k" + hex.EncodeToString(derive(string(key), purposeFreshID)[:6])
}

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Links is the key that signs the links in messages to supporters (such
// as unsubscribing), derived from the form key so that it follows the
// root secret and doubles as nothing else.
func (k Keys) Links() []byte { return derive(string(k.Form), purposeLinks) }

// purposeLinks derives Links; keep it byte for byte, or the links in
// messages already sent stop working.
const purposeLinks = "solidarity message links v1"

// purposeErasure derives, from the email key, the key of the codes with
// which supporters erase their own signature (campaign.Erasures).
const purposeErasure = "solidarity erasure code key v1"

// ErasureKey is the key of the self-erasure codes, derived from the email
// key, so that every key file and SOLIDARITY_SECRET have one and it never
// doubles as another.
func (k Keys) ErasureKey() []byte {
	return derive(string(k.Email), purposeErasure)
}
