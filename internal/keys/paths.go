package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultPath is the default key file: solidarity/keys in the user's
// configuration folder, found as os.UserConfigDir does but through getenv,
// so that the caller decides which environment counts.
func DefaultPath(getenv func(string) string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = getenv("AppData")
	case "darwin", "ios":
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	default:
		dir = getenv("XDG_CONFIG_HOME")
		if dir != "" && !filepath.IsAbs(dir) {
			return "", fmt.Errorf("XDG_CONFIG_HOME %q is not an absolute path", dir)
		}
		if home := getenv("HOME"); dir == "" && home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir == "" {
		return "", errors.New("no configuration folder for the key file: neither XDG_CONFIG_HOME nor HOME is set; set SOLIDARITY_SECRET_FILE to a path outside the data folder")
	}
	return filepath.Join(dir, "solidarity", "keys"), nil
}

// checkOutside refuses a key file inside the data folder, comparing the
// paths with symbolic links resolved.
func checkOutside(keyFile, dataDir string) error {
	k, err := resolve(keyFile)
	if err != nil {
		return err
	}
	d, err := resolve(dataDir)
	if err != nil {
		return err
	}
	if within(k, d) {
		return fmt.Errorf("the key file %s is inside the data folder %s: a copied data folder would carry its own key and open everything in it. "+
			"Keep the key apart from the data: run solidarity keys move --to PATH with a PATH outside the data folder", keyFile, dataDir)
	}
	return nil
}

// resolve makes path absolute with every symbolic link in it resolved,
// also when its last parts do not exist yet.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	rest := ""
	for dir := abs; ; {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("resolve %s: %w", path, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// within reports whether path is dir or below it; both are resolved.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

func samePath(a, b string) (bool, error) {
	ra, err := resolve(a)
	if err != nil {
		return false, err
	}
	rb, err := resolve(b)
	if err != nil {
		return false, err
	}
	if ra == rb {
		return true, nil
	}
	ia, errA := os.Stat(ra)
	ib, errB := os.Stat(rb)
	return errA == nil && errB == nil && os.SameFile(ia, ib), nil
}
