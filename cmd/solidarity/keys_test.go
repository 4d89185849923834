package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// An old installation's secret and the ID of the data key every version
// derives from it.
const (
	oldSecret    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	oldSecretKey = "sc15223813429"
)

// runCmd runs one command line and returns what it printed and its error.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, env(vars), strings.NewReader(stdin), &out, &out)
	return out.String(), err
}

// serveFails starts the server and returns the error it stopped with; when
// it starts listening instead, it stops it and fails the test.
func serveFails(t *testing.T, vars map[string]string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), &out, &out)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("serve stopped without an error")
			}
			return err
		default:
		}
		if listening.MatchString(out.String()) || time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("serve started (or hung) instead of refusing:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// documents maps every collection of the embedded database in dataDir to
// its number of documents.
func documents(t *testing.T, dataDir string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int64{}
	for _, c := range names {
		if n[c], err = db.Collection(c).CountDocuments(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

var addedKey = regexp.MustCompile(`added data key (\S+) `)

// TestKeysRotateStatusRetire walks a key's life through the command line:
// rotation, status with the counts, and retirement refused while a key is
// in use or active.
func TestKeysRotateStatusRetire(t *testing.T) {
	t.Parallel()
	data, cfg := t.TempDir(), t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": data, "XDG_CONFIG_HOME": cfg}
	keyFile := filepath.Join(cfg, "solidarity", "keys")
	writeFile(t, keyFile, oldSecret+"\n")
	ids := map[string]string{"{first}": oldSecretKey}
	expand := func(s string) string {
		for k, v := range ids {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	steps := []struct {
		args    []string
		stdin   string
		want    []string // in the output, or in the error when err
		err     bool
		capture string // name for the ID that rotate added
	}{
		// Adding a user writes one sealed value: the audit entry's detail.
		{args: []string{"user", "add", "--email", "ana@example.org", "--role", "admin"}, stdin: "a long test password\n"},
		{args: []string{"user", "list"}, want: []string{"EMAIL"}},
		{args: []string{"keys", "status"}, want: []string{keyFile + " (the default location)", "{first}  active  from the secret  20"}},
		{args: []string{"keys", "rotate"}, want: []string{"made it the active key", "back it up again"}, capture: "{unused}"},
		{args: []string{"keys", "rotate"}, want: []string{"Restart the server"}, capture: "{new}"},
		{args: []string{"keys", "status"}, want: []string{"{first}  -", "{unused}  -", "{new}  active", "never"}},
		{args: []string{"keys", "retire", "{first}"}, err: true, want: []string{"1 stored value still uses data key {first}", "wait until the re-encryption"}},
		{args: []string{"keys", "retire", "{new}"}, err: true, want: []string{"is the active key"}},
		{args: []string{"keys", "retire", "nope"}, err: true, want: []string{"is not in the key file"}},
		{args: []string{"keys", "retire"}, err: true, want: []string{"give the ID of one data key"}},
		{args: []string{"keys", "retire", "{unused}"}, want: []string{"retired data key {unused}"}},
		{args: []string{"user", "list"}, want: []string{"EMAIL"}},
		{args: []string{"keys", "status"}, want: []string{"{first}  -", "{new}  active"}},
		{args: []string{"keys", "frob"}, err: true, want: []string{`unknown subcommand "frob"`}},
		{args: []string{"keys", "--help"}, want: []string{"solidarity keys rotate"}},
	}
	for _, st := range steps {
		args := make([]string, len(st.args))
		for i, a := range st.args {
			args[i] = expand(a)
		}
		out, err := runCmd(t, vars, st.stdin, args...)
		if (err != nil) != st.err {
			t.Fatalf("%v: error %v, want error %v\n%s", args, err, st.err, out)
		}
		got := out
		if err != nil {
			got = err.Error()
		}
		for _, w := range st.want {
			if !strings.Contains(got, expand(w)) {
				t.Errorf("%v: got %q, want it to contain %q", args, got, expand(w))
			}
		}
		if st.capture != "" {
			m := addedKey.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("%v: no key ID in %q", args, out)
			}
			ids[st.capture] = m[1]
		}
	}
	out, _ := runCmd(t, vars, "", "keys", "status")
	if strings.Contains(out, ids["{unused}"]) {
		t.Errorf("status after retiring %s still lists it:\n%s", ids["{unused}"], out)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(ids["{new}"]) + `\s+active\s+\d{4}-\d\d-\d\d\s+\d{4}-\d\d-\d\d\s+0`).MatchString(out) {
		t.Errorf("status does not show %s as active, created and first used today, with nothing sealed under it yet:\n%s", ids["{new}"], out)
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file after rotation: %v, mode %v; want 0600", err, info.Mode())
	}
}

func TestKeysMove(t *testing.T) {
	t.Parallel()
	data, cfg, elsewhere := t.TempDir(), t.TempDir(), t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": data, "XDG_CONFIG_HOME": cfg}
	if out, err := runCmd(t, vars, "", "user", "list"); err != nil {
		t.Fatalf("first start: %v\n%s", err, out)
	}
	target := filepath.Join(elsewhere, "solidarity.keys")
	tests := []struct {
		args []string
		vars map[string]string
		want string
		err  bool
	}{
		{[]string{"keys", "move"}, nil, "--to PATH", true},
		{[]string{"keys", "move", "--to", filepath.Join(data, "keys")}, nil, "inside the data folder", true},
		{[]string{"keys", "move", "--to", target}, nil, "Set SOLIDARITY_SECRET_FILE=" + target, false},
		{[]string{"user", "list"}, map[string]string{"SOLIDARITY_SECRET_FILE": target}, "EMAIL", false},
		{[]string{"keys", "move", "--to", filepath.Join(cfg, "solidarity", "keys")}, map[string]string{"SOLIDARITY_SECRET_FILE": target}, "unset SOLIDARITY_SECRET_FILE", false},
		{[]string{"user", "list"}, nil, "EMAIL", false},
	}
	for _, tt := range tests {
		v := map[string]string{}
		for k, x := range vars {
			v[k] = x
		}
		for k, x := range tt.vars {
			v[k] = x
		}
		out, err := runCmd(t, v, "", tt.args...)
		if (err != nil) != tt.err {
			t.Fatalf("%v: error %v, want error %v\n%s", tt.args, err, tt.err, out)
		}
		if err != nil {
			out = err.Error()
		}
		if !strings.Contains(out, tt.want) {
			t.Errorf("%v: got %q, want it to contain %q", tt.args, out, tt.want)
		}
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the key file moved back still exists at %s: %v", target, err)
	}
}

// TestKeysRefused covers the start-ups and commands that must stop, with a
// message saying why and what to do.
func TestKeysRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, data string) map[string]string
		args  []string
		want  []string
	}{
		{"key file inside the data folder", func(t *testing.T, data string) map[string]string {
			writeFile(t, filepath.Join(data, "keys"), oldSecret)
			return map[string]string{"SOLIDARITY_SECRET_FILE": filepath.Join(data, "keys")}
		}, []string{"serve"}, []string{"inside the data folder", "a copied data folder would carry its own key", "solidarity keys move --to PATH"}},
		{"key file linked from inside the data folder", func(t *testing.T, data string) map[string]string {
			writeFile(t, filepath.Join(data, "keys"), oldSecret)
			link := filepath.Join(t.TempDir(), "keys")
			if err := os.Symlink(filepath.Join(data, "keys"), link); err != nil {
				t.Fatal(err)
			}
			return map[string]string{"SOLIDARITY_SECRET_FILE": link}
		}, []string{"serve"}, []string{"inside the data folder"}},
		{"default folder inside the data folder", func(t *testing.T, data string) map[string]string {
			return map[string]string{"XDG_CONFIG_HOME": filepath.Join(data, "config")}
		}, []string{"user", "list"}, []string{"inside the data folder"}},
		{"group-readable key file", func(t *testing.T, data string) map[string]string {
			p := filepath.Join(t.TempDir(), "keys")
			writeFile(t, p, oldSecret)
			if err := os.Chmod(p, 0o640); err != nil {
				t.Fatal(err)
			}
			return map[string]string{"SOLIDARITY_SECRET_FILE": p}
		}, []string{"serve"}, []string{"chmod 600"}},
		{"no configuration folder", func(t *testing.T, data string) map[string]string {
			return map[string]string{"XDG_CONFIG_HOME": "", "HOME": ""}
		}, []string{"user", "list"}, []string{"set SOLIDARITY_SECRET_FILE"}},
		{"rotate with SOLIDARITY_SECRET", func(t *testing.T, data string) map[string]string {
			return map[string]string{"SOLIDARITY_SECRET": oldSecret}
		}, []string{"keys", "rotate"}, []string{"come from SOLIDARITY_SECRET", "set SOLIDARITY_SECRET_FILE to it"}},
		{"move with SOLIDARITY_SECRET", func(t *testing.T, data string) map[string]string {
			return map[string]string{"SOLIDARITY_SECRET": oldSecret}
		}, []string{"keys", "move", "--to", "/tmp/elsewhere"}, []string{"not from a file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			vars := tt.setup(t, data)
			vars["SOLIDARITY_DATA_DIR"] = data
			var out string
			var err error
			if tt.args[0] == "serve" {
				err = serveFails(t, vars)
			} else if out, err = runCmd(t, vars, "", tt.args...); err == nil {
				t.Fatalf("%v succeeded:\n%s", tt.args, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error()+out, oldSecret) {
				t.Error("the message shows the secret")
			}
		})
	}
}

// TestStartMovesTheOldSecretOut starts from what the previous version left:
// the secret in DATA_DIR/secret, also after a move that was cut short.
func TestStartMovesTheOldSecretOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keyFile  bool // the key file was already written by a move cut short
		withFile bool // SOLIDARITY_SECRET_FILE names the target
		want     string
	}{
		{name: "to the default key file", want: "moved the secret out of the data folder"},
		{name: "to SOLIDARITY_SECRET_FILE", withFile: true, want: "moved the secret out of the data folder"},
		{name: "after a move cut short", keyFile: true, want: "moved the secret out of the data folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, cfg := t.TempDir(), t.TempDir()
			vars := map[string]string{"SOLIDARITY_DATA_DIR": data, "XDG_CONFIG_HOME": cfg, "SOLIDARITY_DEMO": "false"}
			keyFile := filepath.Join(cfg, "solidarity", "keys")
			if tt.withFile {
				keyFile = filepath.Join(cfg, "solidarity.keys")
				vars["SOLIDARITY_SECRET_FILE"] = keyFile
			}
			writeFile(t, filepath.Join(data, "secret"), oldSecret+"\n")
			if tt.keyFile {
				writeFile(t, keyFile, oldSecret+"\n")
			}
			out, err := runCmd(t, vars, "", "user", "list")
			if err != nil {
				t.Fatalf("start: %v\n%s", err, out)
			}
			if !strings.Contains(out, tt.want) || !strings.Contains(out, keyFile) || strings.Contains(out, oldSecret) {
				t.Errorf("start said %q; want it to say %q and name %s, without the secret", out, tt.want, keyFile)
			}
			if b, err := os.ReadFile(keyFile); err != nil || strings.TrimSpace(string(b)) != oldSecret {
				t.Errorf("key file: %q, %v; want the old secret", b, err)
			}
			if _, err := os.Stat(filepath.Join(data, "secret")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the old secret is still in the data folder: %v", err)
			}
			filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(oldSecret)) {
						t.Errorf("%s holds the secret", path)
					}
				}
				return err
			})
			// The same secret gives the same data key, so the email key is
			// the same too.
			out, err = runCmd(t, vars, "", "keys", "status")
			if err != nil || !strings.Contains(out, oldSecretKey+"  active") {
				t.Errorf("status after the move: %v\n%s\nwant %s active", err, out, oldSecretKey)
			}
		})
	}
}

// TestServeRefusesKeysTheDatabaseDoesNotKnow starts the server on a
// database written with other keys: it must stop, name the key, and write
// nothing.
func TestServeRefusesKeysTheDatabaseDoesNotKnow(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	first := map[string]string{"SOLIDARITY_DATA_DIR": data, "XDG_CONFIG_HOME": t.TempDir()}
	writeFile(t, filepath.Join(first["XDG_CONFIG_HOME"], "solidarity", "keys"), oldSecret)
	if out, err := runCmd(t, first, "a long enough password\n", "user", "add", "--email", "ana@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	sameID := filepath.Join(t.TempDir(), "keys")
	writeFile(t, sameID, `{"format": "solidarity keyring v1", "secret": "`+strings.Repeat("w", 64)+`", "active": "`+oldSecretKey+`",
  "data_keys": [{"id": "`+oldSecretKey+`", "key": "`+strings.Repeat("cd", 32)+`"}]}`)
	before := documents(t, data)
	if before["keyring"] != 1 || before["users"] != 1 {
		t.Fatalf("documents after the first start: %v, want a keyring record and a user", before)
	}
	tests := []struct {
		name string
		vars map[string]string
		want []string
		// firstWant is also in the first start's error: the key file it
		// generated can go.
		firstWant string
	}{
		{"another key", map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, []string{"data key " + oldSecretKey, "does not hold", "nothing was written"}, "generated by this start"},
		{"the same ID, other bytes", map[string]string{"SOLIDARITY_SECRET_FILE": sameID}, []string{"data key " + oldSecretKey, "the same ID, other bytes", sameID}, ""},
		{"another SOLIDARITY_SECRET", map[string]string{"SOLIDARITY_SECRET": strings.Repeat("q", 40)}, []string{"data key " + oldSecretKey, "the variable SOLIDARITY_SECRET"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"SOLIDARITY_DATA_DIR": data}
			for k, v := range tt.vars {
				vars[k] = v
			}
			for i, args := range [][]string{{"serve"}, {"user", "list"}, {"bundle", "--campaign", "x", "--out", filepath.Join(t.TempDir(), "b.zip")}} {
				var err error
				if args[0] == "serve" {
					err = serveFails(t, vars)
				} else if out, e := runCmd(t, vars, "", args...); e == nil {
					t.Fatalf("%v started with keys the database does not know:\n%s", args, out)
				} else {
					err = e
				}
				want := tt.want
				if i == 0 && tt.firstWant != "" {
					want = append(want, tt.firstWant)
				}
				for _, w := range want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%v: error %q, want it to say %q", args[0], err, w)
					}
				}
			}
			if after := documents(t, data); !sameCounts(before, after) {
				t.Errorf("documents before %v, after %v: want nothing written", before, after)
			}
		})
	}
	if out, err := runCmd(t, first, "", "user", "list"); err != nil || !strings.Contains(out, "ana@example.org") {
		t.Errorf("the right keys no longer start: %v\n%s", err, out)
	}
}

// TestKeysMoveTheOldSecret moves an older installation's secret straight
// from the data folder to the place the operator chooses.
func TestKeysMoveTheOldSecret(t *testing.T) {
	t.Parallel()
	data, elsewhere := t.TempDir(), t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": data, "XDG_CONFIG_HOME": t.TempDir()}
	writeFile(t, filepath.Join(data, "secret"), oldSecret+"\n")
	target := filepath.Join(elsewhere, "keys")
	out, err := runCmd(t, vars, "", "keys", "move", "--to", target)
	if err != nil || !strings.Contains(out, filepath.Join(data, "secret")) || !strings.Contains(out, "SOLIDARITY_SECRET_FILE="+target) {
		t.Fatalf("move: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(target); err != nil || strings.TrimSpace(string(b)) != oldSecret {
		t.Errorf("moved key file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(data, "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old secret is still in the data folder: %v", err)
	}
	vars["SOLIDARITY_SECRET_FILE"] = target
	if out, err := runCmd(t, vars, "", "keys", "status"); err != nil || !strings.Contains(out, oldSecretKey+"  active") {
		t.Errorf("status with the moved file: %v\n%s", err, out)
	}
}
