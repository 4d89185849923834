package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/keys"
)

const keysUsage = `Usage:
  solidarity keys status           where the keys come from, the data keys, which is active
  solidarity keys move --to PATH   move the key file to PATH (outside the data folder)
  solidarity keys rotate           add a fresh data key and make it the active one
  solidarity keys retire ID        remove a data key no stored value uses any more

One root secret gives the email key (to count each supporter once) and the
form key; data keys seal supporters' personal fields. They come from
SOLIDARITY_SECRET, else the file SOLIDARITY_SECRET_FILE names, else the
default key file in your configuration folder (~/.config/solidarity/keys),
made on first start. Without the key file the supporters' data cannot be
read: back it up apart from the data folder and from database backups.

status and retire open the database; with the embedded database, stop the
server first. After rotate, restart the server: it seals new values with the
new key, and the older keys keep opening what they sealed until it is
re-encrypted.
`

// keyUse counts the stored values sealed under each data key ID. keys
// status shows the counts; keys retire refuses a key whose count is not 0.
type keyUse func(ctx context.Context, db app.Database, k keys.Keys) (map[string]int64, error)

// countSealed counts the values sealed under each data key in every
// collection that holds sealed values (reseal.Usage). The keyring
// collection's canaries are left out: each stays under its own key and goes
// when the key is retired.
func countSealed(ctx context.Context, db app.Database, k keys.Keys) (map[string]int64, error) {
	a, err := app.New(db, k, app.Options{})
	if err != nil {
		return nil, err
	}
	return a.Resealer.Usage(ctx)
}

// loadKeys loads the keys the settings name and passes what the operator
// must know (a new key file, a secret moved out of the data folder) to say.
func loadKeys(cfg config.Config, getenv func(string) string, say func(string)) (keys.Keys, error) {
	k, err := keys.Load(keys.Options{Secret: cfg.Secret, File: cfg.SecretFile, DataDir: cfg.DataDir, Getenv: getenv, Now: time.Now})
	if err != nil {
		return k, err
	}
	if cfg.Secret != "" && cfg.SecretFile != "" {
		say("SOLIDARITY_SECRET is set, so SOLIDARITY_SECRET_FILE (" + cfg.SecretFile + ") is not used")
	}
	switch {
	case k.Created:
		say("generated a new key file " + k.Source.Path + ": back it up apart from the data folder and from database backups; without it the supporters' data cannot be read")
	case k.MovedFrom != "" && k.Source.Env != "":
		say("removed " + k.MovedFrom + ", a copy of SOLIDARITY_SECRET, from the data folder: a copied data folder must not carry its key")
	case k.MovedFrom != "":
		say("moved the secret out of the data folder (" + k.MovedFrom + ") to the key file " + k.Source.Path +
			", since a copied data folder must not carry its key: back the key file up apart from the data folder and from database backups")
	}
	return k, nil
}

// keysCmd runs the key subcommands; count tells how many stored values
// use each data key.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, count keyUse) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: missing subcommand")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "where to move the key file")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("keys %s: %w", sub, err)
	}
	cfg, err := config.Load(nil, getenv)
	if err != nil {
		return err
	}
	say := func(s string) { fmt.Fprintln(stderr, "solidarity:", s) }
	switch sub {
	case "status":
		if fs.NArg() > 0 {
			return fmt.Errorf("keys status: unexpected argument %q", fs.Arg(0))
		}
		return keysStatus(ctx, cfg, getenv, stdout, say, count)
	case "move":
		if *to == "" || fs.NArg() > 0 {
			return errors.New("keys move: give the new place of the key file as --to PATH")
		}
		return keysMove(cfg, getenv, *to, stdout)
	case "rotate":
		if fs.NArg() > 0 {
			return fmt.Errorf("keys rotate: unexpected argument %q", fs.Arg(0))
		}
		return keysRotate(cfg, getenv, stdout, say)
	case "retire":
		if fs.NArg() != 1 {
			return errors.New("keys retire: give the ID of one data key (solidarity keys status lists them)")
		}
		return keysRetire(ctx, cfg, getenv, fs.Arg(0), stdout, say, count)
	}
	fmt.Fprint(stderr, keysUsage)
	return fmt.Errorf("keys: unknown subcommand %q", sub)
}

// keyFile reads the key file behind k, or describes the one key a
// SOLIDARITY_SECRET gives.
func keyFile(k keys.Keys) (*keys.File, error) {
	if k.Source.Env != "" {
		return &keys.File{Active: k.Data.Active()}, nil
	}
	return keys.ReadFile(k.Source.Path)
}

func keysStatus(ctx context.Context, cfg config.Config, getenv func(string) string, stdout io.Writer, say func(string), count keyUse) error {
	k, err := loadKeys(cfg, getenv, say)
	if err != nil {
		return err
	}
	f, err := keyFile(k)
	if err != nil {
		return err
	}
	list := []keys.DataKey{{ID: k.Data.Active(), FromSecret: true}}
	if k.Source.Env == "" {
		list = f.List()
	}
	fmt.Fprintf(stdout, "Keys from %s.\nThe email and form keys derive from its root secret.\n\n", k.Source)

	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	recs, err := keys.Recorded(ctx, db.Database)
	if err != nil {
		return err
	}
	n, err := count(ctx, db, k)
	if err != nil {
		return fmt.Errorf("count the stored values per key: %w", err)
	}
	firstUsed := make(map[string]time.Time, len(recs))
	for _, r := range recs {
		firstUsed[r.ID] = r.FirstUsed
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DATA KEY\tSTATE\tCREATED\tFIRST USED\tSTORED VALUES")
	day := func(t time.Time, zero string) string {
		if t.IsZero() {
			return zero
		}
		return t.UTC().Format(time.DateOnly)
	}
	held := map[string]bool{}
	for _, dk := range list {
		held[dk.ID] = true
		state := "-"
		if dk.ID == k.Data.Active() {
			state = "active"
		}
		created := day(dk.Created, "-")
		if dk.FromSecret {
			created = "from the secret"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", dk.ID, state, created, day(firstUsed[dk.ID], "never"), n[dk.ID])
	}
	for _, r := range recs {
		if !held[r.ID] {
			fmt.Fprintf(w, "%s\tMISSING\t-\t%s\t%d\n", r.ID, day(r.FirstUsed, "-"), n[r.ID])
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = keys.Verify(ctx, db.Database, k)
	return err
}

func keysMove(cfg config.Config, getenv func(string) string, to string, stdout io.Writer) error {
	opts := keys.Options{Secret: cfg.Secret, File: cfg.SecretFile, DataDir: cfg.DataDir, Getenv: getenv}
	src, err := keys.Locate(opts)
	if err != nil {
		return err
	}
	// Before the first start of this version the secret is still in the
	// data folder: move it from there.
	if src.Env == "" {
		if _, err := os.Stat(src.Path); errors.Is(err, fs.ErrNotExist) {
			legacy, err := filepath.Abs(filepath.Join(cfg.DataDir, keys.LegacyFile))
			if err != nil {
				return fmt.Errorf("keys move: %w", err)
			}
			if _, err := os.Stat(legacy); err == nil {
				src = keys.Source{Path: legacy}
			}
		}
	}
	moved, err := keys.Move(src, to, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("keys move: %w", err)
	}
	fmt.Fprintf(stdout, "moved the keys from %s to %s\n", src.Path, moved)
	def, derr := keys.DefaultPath(getenv)
	switch {
	case derr == nil && def == moved && cfg.SecretFile != "":
		fmt.Fprintln(stdout, "This is the default key file: unset SOLIDARITY_SECRET_FILE before the next start.")
	case derr == nil && def == moved:
		fmt.Fprintln(stdout, "This is the default key file: nothing else to set.")
	default:
		fmt.Fprintf(stdout, "Set SOLIDARITY_SECRET_FILE=%s for the server and for these commands before the next start.\n", moved)
	}
	fmt.Fprintln(stdout, "Back the key file up apart from the data folder and from database backups.")
	return nil
}

func keysRotate(cfg config.Config, getenv func(string) string, stdout io.Writer, say func(string)) error {
	if cfg.Secret != "" {
		return errors.New("keys rotate: the keys come from SOLIDARITY_SECRET, which holds one secret; rotation adds data keys to a key file. " +
			"Move to a key file first: write the secret to a file outside the data folder (umask 077; printf '%s\\n' \"$SOLIDARITY_SECRET\" > /etc/solidarity/keys), " +
			"set SOLIDARITY_SECRET_FILE to it, unset SOLIDARITY_SECRET, and run solidarity keys rotate again")
	}
	k, err := loadKeys(cfg, getenv, say)
	if err != nil {
		return err
	}
	f, err := keys.ReadFile(k.Source.Path)
	if err != nil {
		return err
	}
	nk, err := f.Rotate(time.Now())
	if err != nil {
		return err
	}
	if err := keys.WriteFile(k.Source.Path, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added data key %s to %s and made it the active key.\n"+
		"Restart the server to seal new values with it; values sealed before stay readable with the older keys until they are re-encrypted.\n"+
		"The key file changed: back it up again, apart from the data folder and from database backups.\n", nk.ID, k.Source.Path)
	return nil
}

func keysRetire(ctx context.Context, cfg config.Config, getenv func(string) string, id string, stdout io.Writer, say func(string), count keyUse) error {
	if cfg.Secret != "" {
		return errors.New("keys retire: the keys come from SOLIDARITY_SECRET, whose one data key is the active one; nothing to retire")
	}
	k, err := loadKeys(cfg, getenv, say)
	if err != nil {
		return err
	}
	f, err := keys.ReadFile(k.Source.Path)
	if err != nil {
		return err
	}
	if err := f.Retire(id); err != nil {
		return fmt.Errorf("keys retire: %w", err)
	}
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	if _, err := keys.Verify(ctx, db.Database, k); err != nil {
		return err
	}
	n, err := count(ctx, db, k)
	if err != nil {
		return fmt.Errorf("keys retire: count the stored values per key: %w", err)
	}
	if n[id] > 0 {
		values := fmt.Sprintf("%d stored values still use", n[id])
		if n[id] == 1 {
			values = "1 stored value still uses"
		}
		return fmt.Errorf("keys retire: %s data key %s; wait until the re-encryption has moved them to the active key %s "+
			"(solidarity keys status shows the counts), then retire it", values, id, k.Data.Active())
	}
	// The database forgets the key before the file loses it: the other
	// order could leave a database that asks for a key nobody has.
	if err := keys.Forget(ctx, db.Database, id); err != nil {
		return err
	}
	if err := keys.WriteFile(k.Source.Path, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retired data key %s: removed from %s and from the database's keyring.\nThe key file changed: back it up again.\n", id, k.Source.Path)
	return nil
}
