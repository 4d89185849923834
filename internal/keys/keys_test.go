package keys_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/internal/keys"
)

// The derivations of the version before the key file, recorded from
// config.LoadKeys for this secret: stored email hashes and signature IDs
// depend on them, so they must never change.
const (
	goldSecret  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	goldEmail   = "6285c1f8c3ae7042af7d02db7e6f574e0cfec988f85b5f4a03f43996b1af555c"
	goldForm    = "f0840d526cfe6bba9861dd63f43372dfacfce0718f7b119c2d50749b0b7f1cd1"
	goldDataKey = "sc15223813429"
)

var clock = func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeSecret(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func checkGold(t *testing.T, k keys.Keys) {
	t.Helper()
	if got := hex.EncodeToString(k.Email); got != goldEmail {
		t.Errorf("email key = %s, want %s as before", got, goldEmail)
	}
	if got := hex.EncodeToString(k.Form); got != goldForm {
		t.Errorf("form key = %s, want %s as before", got, goldForm)
	}
	if got := k.Data.Active(); got != goldDataKey {
		t.Errorf("data key ID = %s, want %s as before", got, goldDataKey)
	}
}

func TestLoadSources(t *testing.T) {
	keyring := `{"format": "solidarity keyring v1", "secret": "` + goldSecret + `", "active": "k1",
  "data_keys": [{"id": "` + goldDataKey + `", "from_secret": true},
                {"id": "k1", "created": "2026-11-30T10:00:00Z", "key": "` + strings.Repeat("ab", 32) + `"}]}`
	tests := []struct {
		name       string
		secret     string
		file       string            // SOLIDARITY_SECRET_FILE, relative to the test's folder
		files      map[string]string // written before, mode 0600
		vars       map[string]string // values relative to the test's folder
		wantSource string            // in Source.String()
		wantActive string
		wantIDs    int
	}{
		{name: "variable", secret: goldSecret, wantSource: "SOLIDARITY_SECRET", wantActive: goldDataKey, wantIDs: 1},
		{name: "variable wins over file", secret: goldSecret, file: "etc/keys", files: map[string]string{"etc/keys": strings.Repeat("z", 40)},
			wantSource: "SOLIDARITY_SECRET", wantActive: goldDataKey, wantIDs: 1},
		{name: "plain file", file: "etc/keys", files: map[string]string{"etc/keys": goldSecret + "\n"},
			wantSource: "(SOLIDARITY_SECRET_FILE)", wantActive: goldDataKey, wantIDs: 1},
		{name: "keyring file", file: "etc/keys", files: map[string]string{"etc/keys": keyring},
			wantSource: "(SOLIDARITY_SECRET_FILE)", wantActive: "k1", wantIDs: 2},
		{name: "default in XDG_CONFIG_HOME", files: map[string]string{"xdg/solidarity/keys": goldSecret},
			vars: map[string]string{"XDG_CONFIG_HOME": "xdg", "HOME": "home"}, wantSource: "xdg/solidarity/keys (the default location)", wantActive: goldDataKey, wantIDs: 1},
		{name: "default in HOME/.config", files: map[string]string{"home/.config/solidarity/keys": goldSecret},
			vars: map[string]string{"HOME": "home"}, wantSource: "home/.config/solidarity/keys (the default location)", wantActive: goldDataKey, wantIDs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				writeSecret(t, filepath.Join(root, name), content, 0o600)
			}
			vars := map[string]string{}
			for k, v := range tt.vars {
				vars[k] = filepath.Join(root, v)
			}
			opts := keys.Options{Secret: tt.secret, DataDir: filepath.Join(root, "data"), Getenv: env(vars), Now: clock}
			if tt.file != "" {
				opts.File = filepath.Join(root, tt.file)
			}
			k, err := keys.Load(opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkGoldEmail(t, k)
			if got := k.Source.String(); !strings.Contains(got, tt.wantSource) {
				t.Errorf("source = %q, want it to name %q", got, tt.wantSource)
			}
			if k.Data.Active() != tt.wantActive || len(k.Data.IDs()) != tt.wantIDs {
				t.Errorf("data keys %v active %s, want %d keys, active %s", k.Data.IDs(), k.Data.Active(), tt.wantIDs, tt.wantActive)
			}
			if k.Created || k.MovedFrom != "" {
				t.Errorf("created %v, moved from %q; want neither", k.Created, k.MovedFrom)
			}
		})
	}
}

// checkGoldEmail checks the email and form keys, which every source of
// goldSecret derives the same, whichever data keys it has.
func checkGoldEmail(t *testing.T, k keys.Keys) {
	t.Helper()
	if got := hex.EncodeToString(k.Email); got != goldEmail {
		t.Errorf("email key = %s, want %s", got, goldEmail)
	}
	if got := hex.EncodeToString(k.Form); got != goldForm {
		t.Errorf("form key = %s, want %s", got, goldForm)
	}
}

func TestLoadCreatesTheDefaultKeyFile(t *testing.T) {
	root := t.TempDir()
	opts := keys.Options{DataDir: filepath.Join(root, "data"), Getenv: env(map[string]string{"XDG_CONFIG_HOME": filepath.Join(root, "cfg")}), Now: clock}
	k1, err := keys.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "cfg", "solidarity", "keys")
	if !k1.Created || k1.Source.Path != path || !k1.Source.Default {
		t.Errorf("first load: created %v from %+v, want a new default file %s", k1.Created, k1.Source, path)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v; want %04o", p, err, info.Mode().Perm(), want)
		}
	}
	k2, err := keys.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Created || !bytes.Equal(k1.Email, k2.Email) || k1.Data.Active() != k2.Data.Active() {
		t.Error("the second load did not read the same keys back")
	}
	if bytes.Equal(k1.Email, k1.Form) {
		t.Error("email and form keys are the same")
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) keys.Options
		want  string
	}{
		{"group-readable file", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "k"), goldSecret, 0o640)
			return keys.Options{File: filepath.Join(root, "k"), DataDir: filepath.Join(root, "data")}
		}, "chmod 600"},
		{"short secret in file", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "k"), "tooshort", 0o600)
			return keys.Options{File: filepath.Join(root, "k"), DataDir: filepath.Join(root, "data")}
		}, "at least 32"},
		{"two lines", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "k"), goldSecret+"\n"+goldSecret, 0o600)
			return keys.Options{File: filepath.Join(root, "k"), DataDir: filepath.Join(root, "data")}
		}, "more than one line"},
		{"keyring with unknown active key", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "k"), `{"format": "solidarity keyring v1", "secret": "`+goldSecret+`", "active": "nope", "data_keys": [{"id": "`+goldDataKey+`", "from_secret": true}]}`, 0o600)
			return keys.Options{File: filepath.Join(root, "k"), DataDir: filepath.Join(root, "data")}
		}, `active key "nope"`},
		{"no home", func(t *testing.T, root string) keys.Options {
			return keys.Options{DataDir: filepath.Join(root, "data"), Getenv: env(nil)}
		}, "set SOLIDARITY_SECRET_FILE"},
		{"missing folder of SOLIDARITY_SECRET_FILE", func(t *testing.T, root string) keys.Options {
			return keys.Options{File: filepath.Join(root, "typo", "keys"), DataDir: filepath.Join(root, "data")}
		}, "its folder is missing"},
		{"file inside the data folder", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "data", "k"), goldSecret, 0o600)
			return keys.Options{File: filepath.Join(root, "data", "k"), DataDir: filepath.Join(root, "data")}
		}, "solidarity keys move --to"},
		{"new file inside the data folder", func(t *testing.T, root string) keys.Options {
			return keys.Options{File: filepath.Join(root, "data", "sub", "k"), DataDir: filepath.Join(root, "data")}
		}, "inside the data folder"},
		{"default folder inside the data folder", func(t *testing.T, root string) keys.Options {
			return keys.Options{DataDir: root, Getenv: env(map[string]string{"XDG_CONFIG_HOME": filepath.Join(root, "cfg")})}
		}, "inside the data folder"},
		{"file linked into the data folder", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "data", "k"), goldSecret, 0o600)
			if err := os.Symlink(filepath.Join(root, "data", "k"), filepath.Join(root, "link")); err != nil {
				t.Fatal(err)
			}
			return keys.Options{File: filepath.Join(root, "link"), DataDir: filepath.Join(root, "data")}
		}, "inside the data folder"},
		{"data folder reached through a link", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "real", "k"), goldSecret, 0o600)
			if err := os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "data")); err != nil {
				t.Fatal(err)
			}
			return keys.Options{File: filepath.Join(root, "real", "k"), DataDir: filepath.Join(root, "data")}
		}, "inside the data folder"},
		{"old secret differs from the key file", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "data", keys.LegacyFile), strings.Repeat("o", 64), 0o600)
			writeSecret(t, filepath.Join(root, "k"), goldSecret, 0o600)
			return keys.Options{File: filepath.Join(root, "k"), DataDir: filepath.Join(root, "data")}
		}, "give it its own key file"},
		{"old secret differs from SOLIDARITY_SECRET", func(t *testing.T, root string) keys.Options {
			writeSecret(t, filepath.Join(root, "data", keys.LegacyFile), strings.Repeat("o", 64), 0o600)
			return keys.Options{Secret: goldSecret, DataDir: filepath.Join(root, "data")}
		}, "differs from the one in SOLIDARITY_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			opts := tt.setup(t, root)
			opts.Now = clock
			if opts.Getenv == nil {
				opts.Getenv = env(nil)
			}
			_, err := keys.Load(opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), goldSecret) {
				t.Error("the error shows the secret")
			}
		})
	}
}

// TestLoadMovesTheOldSecretOut starts from what the previous version left:
// the secret in DATA_DIR/secret. The keys must stay byte-identical and no
// copy may stay in the data folder, also when the previous move was cut
// short after writing the key file.
func TestLoadMovesTheOldSecretOut(t *testing.T) {
	tests := []struct {
		name        string
		keyFile     string // content of the key file before, "" for none
		secretVar   string
		useEnvFile  bool
		wantCreated bool
	}{
		{name: "to the default key file"},
		{name: "to SOLIDARITY_SECRET_FILE", useEnvFile: true},
		{name: "interrupted after writing the key file", keyFile: goldSecret + "\n"},
		{name: "a copy of SOLIDARITY_SECRET", secretVar: goldSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			data := filepath.Join(root, "data")
			legacy := filepath.Join(data, keys.LegacyFile)
			writeSecret(t, legacy, goldSecret+"\n", 0o600)
			opts := keys.Options{Secret: tt.secretVar, DataDir: data, Getenv: env(map[string]string{"HOME": filepath.Join(root, "home")}), Now: clock}
			keyFile := filepath.Join(root, "home", ".config", "solidarity", "keys")
			if tt.useEnvFile {
				keyFile = filepath.Join(root, "etc", "keys")
				opts.File = keyFile
				if err := os.Mkdir(filepath.Dir(keyFile), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if tt.keyFile != "" {
				writeSecret(t, keyFile, tt.keyFile, 0o600)
			}
			k, err := keys.Load(opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkGold(t, k)
			if k.MovedFrom != legacy || k.Created {
				t.Errorf("moved from %q, created %v; want moved from %s", k.MovedFrom, k.Created, legacy)
			}
			if _, err := os.Stat(legacy); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the old secret is still there: %v", err)
			}
			assertNoSecretIn(t, data)
			if tt.secretVar == "" {
				b, err := os.ReadFile(keyFile)
				if err != nil || strings.TrimSpace(string(b)) != goldSecret {
					t.Errorf("key file %s holds %q (%v), want the old secret", keyFile, b, err)
				}
				if info, _ := os.Stat(keyFile); info.Mode().Perm() != 0o600 {
					t.Errorf("key file mode %04o, want 0600", info.Mode().Perm())
				}
			}
			again, err := keys.Load(opts)
			if err != nil || again.MovedFrom != "" || !bytes.Equal(again.Email, k.Email) {
				t.Errorf("next load: moved from %q, %v; want the same keys and nothing to move", again.MovedFrom, err)
			}
		})
	}
}

func assertNoSecretIn(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(goldSecret)) {
			t.Errorf("%s in the data folder holds the secret", path)
		}
		return nil
	})
}

func TestRotateAndRetire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	writeSecret(t, path, goldSecret+"\n", 0o600)
	f, err := keys.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Keys()
	sealed, err := before.Data.Seal([]byte("Ales"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	nk, err := f.Rotate(clock())
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("rotated key file mode %04o, want 0600", info.Mode().Perm())
	}
	f, err = keys.ReadFile(path)
	if err != nil {
		t.Fatalf("read the rotated file: %v", err)
	}
	after, err := f.Keys()
	if err != nil {
		t.Fatal(err)
	}
	checkGoldEmail(t, after)
	if after.Data.Active() != nk.ID || nk.ID == goldDataKey || !after.Data.Has(goldDataKey) {
		t.Errorf("after rotation: keys %v, active %s; want the old %s kept and %s active", after.Data.IDs(), after.Data.Active(), goldDataKey, nk.ID)
	}
	if got, err := after.Data.Open(sealed, []byte("aad")); err != nil || string(got) != "Ales" {
		t.Errorf("a value sealed before rotation opens as %q, %v", got, err)
	}
	if got := f.DataKeys[1].Created; !got.Equal(clock()) {
		t.Errorf("created %v, want %v", got, clock())
	}

	tests := []struct {
		id   string
		want error
	}{
		{nk.ID, keys.ErrActiveKey},
		{"nope", keys.ErrNoSuchKey},
		{goldDataKey, nil},
	}
	for _, tt := range tests {
		if err := f.Retire(tt.id); !errors.Is(err, tt.want) {
			t.Errorf("retire %s: %v, want %v", tt.id, err, tt.want)
		}
	}
	if err := keys.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	f, err = keys.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.Keys()
	if err != nil {
		t.Fatal(err)
	}
	checkGoldEmail(t, k)
	if k.Data.Has(goldDataKey) || k.Data.Active() != nk.ID {
		t.Errorf("after retiring: keys %v active %s", k.Data.IDs(), k.Data.Active())
	}
}

func TestMove(t *testing.T) {
	root := t.TempDir()
	from := filepath.Join(root, "old", "keys")
	writeSecret(t, from, goldSecret+"\n", 0o600)
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	src := keys.Source{Path: from}
	tests := []struct {
		to, want string
	}{
		{filepath.Join(data, "keys"), "inside the data folder"},
		{from, "already in"},
		{filepath.Join(root, "new", "keys"), ""},
		{filepath.Join(root, "other"), "no such file"}, // the old file is gone
	}
	for _, tt := range tests {
		got, err := keys.Move(src, tt.to, data)
		if tt.want == "" {
			if err != nil || got != tt.to {
				t.Errorf("move to %s: %q, %v", tt.to, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("move to %s: error %v, want one saying %q", tt.to, err, tt.want)
		}
	}
	if _, err := os.Stat(from); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old key file after the move: %v, want it gone", err)
	}
	f, err := keys.ReadFile(filepath.Join(root, "new", "keys"))
	if err != nil || f.Secret != goldSecret {
		t.Errorf("moved file: %v", err)
	}
	writeSecret(t, from, goldSecret, 0o600)
	if _, err := keys.Move(src, filepath.Join(root, "new", "keys"), data); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("move onto an existing key file: %v, want a refusal", err)
	}
}
