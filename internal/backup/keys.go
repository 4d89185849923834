package backup

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
)

// Identity is a new private key for backups and the public key (the
// recipient, "age1…") that backups are encrypted to.
type Identity struct {
	// Secret is the private key, "AGE-SECRET-KEY-1…": whoever holds it
	// reads every backup made for it.
	Secret string
	// Recipient is the public key, for SOLIDARITY_BACKUP_RECIPIENT.
	Recipient string
}

// NewIdentity makes a fresh X25519 identity.
func NewIdentity() (Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Identity{}, fmt.Errorf("generate a backup key: %w", err)
	}
	return Identity{Secret: id.String(), Recipient: id.Recipient().String()}, nil
}

// WriteIdentity writes a new identity to path, readable by its owner only,
// and refuses to replace a file that exists: it may be the only key to
// older backups. It returns the public key.
func WriteIdentity(path string) (string, error) {
	id, err := NewIdentity()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("%s exists already: it may be the only key to older backups; choose another file", path)
	}
	if err != nil {
		return "", fmt.Errorf("write the backup key: %w", err)
	}
	text := "# solidarity backup key: the private key that opens the backups encrypted to\n# " +
		id.Recipient + "\n# Keep it apart from the backups and from the server's keys.\n" + id.Secret + "\n"
	_, err = f.WriteString(text)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("write the backup key %s: %w", path, err)
	}
	return id.Recipient, nil
}

// ReadIdentities reads the private keys in the file at path (age's
// identity file: one key a line, "#" comments).
func ReadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backup key: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("backup key %s: %w", path, err)
	}
	return ids, nil
}

// ParseRecipients reads public keys ("age1…"), separated by commas, spaces
// or lines; a "#" starts a comment that runs to the end of its line.
func ParseRecipients(text string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			if strings.HasPrefix(strings.ToUpper(f), "AGE-SECRET-KEY-") {
				// Never repeat it: it is the key that opens the backups.
				return nil, errors.New("a private key (AGE-SECRET-KEY-…) was given where a public key (age1…) belongs; give the public key, and keep the private one apart from the server")
			}
			r, err := age.ParseX25519Recipient(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an age public key (age1…, as `solidarity backup keygen` prints): %w", f, err)
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no age public key (age1…) given")
	}
	return out, nil
}
