package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/solidarity-letters/solidarity/internal/seal"
)

// fileFormat marks a key file in the keyring format.
const fileFormat = "solidarity keyring v1"

// File is the content of a key file: the root secret and, once keys have
// been rotated, the list of data keys. A file without DataKeys is a plain
// secret line whose one data key is derived from the secret.
type File struct {
	Secret   string
	Active   string
	DataKeys []DataKey
}

// DataKey is one data key of a key file.
type DataKey struct {
	ID      string
	Created time.Time // zero when not known (the key derived from a plain secret)
	// FromSecret marks the data key derived from the root secret; Key is
	// then empty.
	FromSecret bool
	Key        []byte
}

type fileJSON struct {
	Format   string        `json:"format"`
	Secret   string        `json:"secret"`
	Active   string        `json:"active"`
	DataKeys []dataKeyJSON `json:"data_keys"`
}

type dataKeyJSON struct {
	ID         string    `json:"id"`
	Created    time.Time `json:"created,omitzero"`
	FromSecret bool      `json:"from_secret,omitempty"`
	Key        string    `json:"key,omitempty"`
}

// NewFile makes a key file with a fresh random root secret (32 bytes, in
// hex) as a plain secret line.
func NewFile() (*File, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	return &File{Secret: hex.EncodeToString(raw)}, nil
}

// ReadFile reads and checks a key file. It refuses one that other users
// may read or change.
func ReadFile(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return nil, fmt.Errorf("key file: %w", accessHint(path, err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s can be read or changed by other users (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", accessHint(path, err))
	}
	f, err := parseFile(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return f, nil
}

func parseFile(b []byte) (*File, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		s, err := parsePlain(b)
		if err != nil {
			return nil, err
		}
		return &File{Secret: s}, nil
	}
	var j fileJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("not a valid keyring: %w", err)
	}
	if j.Format != fileFormat {
		return nil, fmt.Errorf("format is %q, want %q", j.Format, fileFormat)
	}
	if err := checkSecret(j.Secret); err != nil {
		return nil, err
	}
	f := &File{Secret: j.Secret, Active: j.Active}
	for _, k := range j.DataKeys {
		dk := DataKey{ID: k.ID, Created: k.Created, FromSecret: k.FromSecret}
		switch {
		case k.FromSecret && k.Key != "":
			return nil, fmt.Errorf("data key %s is marked from_secret and also has a key", k.ID)
		case k.FromSecret:
			if want := dataKeyID(j.Secret); k.ID != want {
				return nil, fmt.Errorf("data key %s is marked from_secret, but the secret's key is %s", k.ID, want)
			}
		default:
			raw, err := hex.DecodeString(k.Key)
			if err != nil || len(raw) != seal.KeySize {
				return nil, fmt.Errorf("data key %s: key must be %d bytes in hex", k.ID, seal.KeySize)
			}
			dk.Key = raw
		}
		f.DataKeys = append(f.DataKeys, dk)
	}
	if len(f.DataKeys) == 0 {
		return nil, errors.New("the keyring lists no data keys")
	}
	if _, err := f.ring(); err != nil {
		return nil, err
	}
	return f, nil
}

// parsePlain reads a plain secret line.
func parsePlain(b []byte) (string, error) {
	s := strings.TrimSpace(string(b))
	if strings.ContainsAny(s, "\r\n") {
		return "", errors.New("holds more than one line; a plain key file is one line, the secret")
	}
	return s, checkSecret(s)
}

func checkSecret(s string) error {
	if len(s) < MinSecretLength {
		return fmt.Errorf("the secret has %d characters, needs at least %d (e.g. openssl rand -hex 32)", len(s), MinSecretLength)
	}
	return nil
}

// Keys derives the keys of the file.
func (f *File) Keys() (Keys, error) {
	if err := checkSecret(f.Secret); err != nil {
		return Keys{}, err
	}
	ring, err := f.ring()
	if err != nil {
		return Keys{}, err
	}
	return Keys{
		Email: derive(f.Secret, purposeEmail),
		Form:  derive(f.Secret, purposeForm),
		Data:  ring,
	}, nil
}

func (f *File) ring() (*seal.Keyring, error) {
	list := f.List()
	ks := make([]seal.Key, len(list))
	for i, k := range list {
		ks[i] = seal.Key{ID: k.ID, Secret: k.Key}
		if k.FromSecret {
			ks[i].Secret = derive(f.Secret, purposeData)
		}
	}
	ring, err := seal.NewKeyring(ks, f.ActiveID())
	if err != nil {
		return nil, fmt.Errorf("data keys: %w", err)
	}
	return ring, nil
}

// List returns the data keys, with the one derived from a plain secret
// when the file lists none.
func (f *File) List() []DataKey {
	if len(f.DataKeys) == 0 {
		return []DataKey{{ID: dataKeyID(f.Secret), FromSecret: true}}
	}
	return f.DataKeys
}

// ActiveID is the ID of the data key new values are sealed with.
func (f *File) ActiveID() string {
	if len(f.DataKeys) == 0 {
		return dataKeyID(f.Secret)
	}
	return f.Active
}

// Rotate adds a fresh random data key and makes it the active one. The
// earlier keys stay, so that what was sealed with them still opens.
func (f *File) Rotate(now time.Time) (DataKey, error) {
	raw := make([]byte, seal.KeySize)
	if _, err := rand.Read(raw); err != nil {
		return DataKey{}, fmt.Errorf("generate data key: %w", err)
	}
	k := DataKey{ID: freshKeyID(raw), Created: now.UTC().Truncate(time.Second), Key: raw}
	f.DataKeys = append(f.List(), k)
	f.Active = k.ID
	if _, err := f.ring(); err != nil {
		return DataKey{}, err
	}
	return k, nil
}

// Errors Retire may return.
var (
	ErrActiveKey = errors.New("is the active key; rotate first, so another key seals new values")
	ErrNoSuchKey = errors.New("is not in the key file")
)

// Retire removes a data key that is not the active one. The caller must
// have made sure that no stored value still uses it.
func (f *File) Retire(id string) error {
	if id == f.ActiveID() {
		return fmt.Errorf("data key %s %w", id, ErrActiveKey)
	}
	list := f.List()
	for i, k := range list {
		if k.ID == id {
			f.DataKeys = append(list[:i:i], list[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("data key %s %w", id, ErrNoSuchKey)
}

func (f *File) marshal() ([]byte, error) {
	if len(f.DataKeys) == 0 {
		return []byte(f.Secret + "\n"), nil
	}
	j := fileJSON{Format: fileFormat, Secret: f.Secret, Active: f.Active}
	for _, k := range f.DataKeys {
		dk := dataKeyJSON{ID: k.ID, Created: k.Created, FromSecret: k.FromSecret}
		if !k.FromSecret {
			dk.Key = hex.EncodeToString(k.Key)
		}
		j.DataKeys = append(j.DataKeys, dk)
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteFile replaces the key file at path with f, atomically: readers see
// the old file or the new one, never a part of either. The file has mode
// 0600.
func WriteFile(path string, f *File) error {
	return writeFile(path, f, true)
}

// writeFile writes f next to path, syncs it, and renames it into place;
// without replace it fails if path exists.
func writeFile(path string, f *File, replace bool) (err error) {
	b, err := f.marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keys-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("write key file: %w", accessHint(dir, err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if replace {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write key file: %w", err)
		}
	} else {
		// A hard link fails if path exists, where a rename would replace
		// another process's key.
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("key file %s already exists", path)
			}
			return fmt.Errorf("write key file: %w", err)
		}
		if err := os.Remove(tmp.Name()); err != nil {
			return fmt.Errorf("write key file: %w", err)
		}
	}
	return syncDir(dir)
}

// scrub overwrites a secret's file with zeros before removing it, so that
// the bytes do not linger in the data folder's blocks where a filesystem
// writes in place. (Copy-on-write filesystems and SSDs may still keep them.)
func scrub(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err == nil {
		_, err = f.Write(make([]byte, info.Size()))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("overwrite %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// accessHint adds to a permission error which user needs the access, the
// usual cause being a volume or folder owned by another user (in the
// container image the server runs as uid 65532).
func accessHint(path string, err error) error {
	if !errors.Is(err, fs.ErrPermission) || runtime.GOOS == "windows" {
		return err
	}
	return fmt.Errorf("%w; %s must be reachable by the user this runs as (uid %d): change its owner (chown) or choose another place", err, path, os.Getuid())
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// Move moves the key file of src to the path to, which must not be inside
// dataDir nor exist yet: the new file is written and synced before the old
// one is overwritten and removed. It returns the new file's absolute path.
func Move(src Source, to, dataDir string) (string, error) {
	if src.Env != "" {
		return "", errors.New("the secret comes from SOLIDARITY_SECRET, not from a file: write it to a file outside the data folder (mode 0600), set SOLIDARITY_SECRET_FILE to that file and unset SOLIDARITY_SECRET")
	}
	abs, err := filepath.Abs(to)
	if err != nil {
		return "", fmt.Errorf("key file %s: %w", to, err)
	}
	if err := checkOutside(abs, dataDir); err != nil {
		return "", err
	}
	same, err := samePath(abs, src.Path)
	if err != nil {
		return "", err
	}
	if same {
		return "", fmt.Errorf("the keys are already in %s", abs)
	}
	f, err := ReadFile(src.Path)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", fmt.Errorf("create the key folder: %w", err)
	}
	if err := writeFile(abs, f, false); err != nil {
		return "", err
	}
	if err := scrub(src.Path); err != nil {
		return "", fmt.Errorf("the keys are now in %s, but removing the old file failed: %w", abs, err)
	}
	return abs, nil
}
