package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/keys"
)

const backupUsage = `Usage:
  solidarity backup --out FILE [--recipient age1…]...
      write an encrypted backup of every collection of the database, while
      the server runs (embedded database or MongoDB)
  solidarity backup keygen --out IDENTITY_FILE
      make a new backup key: the private key goes to IDENTITY_FILE (mode
      0600), the public key is printed, for SOLIDARITY_BACKUP_RECIPIENT
  solidarity backup verify --in FILE --identity IDENTITY_FILE
      decrypt a backup and check all of it; print its collections and counts
  solidarity restore --in FILE --identity IDENTITY_FILE [--replace]
      load a backup into an empty database (stop the server first)

Backups are encrypted to the public keys of --recipient, else of
SOLIDARITY_BACKUP_RECIPIENT (or the file SOLIDARITY_BACKUP_RECIPIENT_FILE
names). The supporters' fields inside stay sealed under the server's keys:
keep the key file too, apart from the backups and from the backup key, or a
restore cannot be read.
`

const restoreUsage = `Usage: solidarity restore --in FILE --identity IDENTITY_FILE [--replace]

Loads a backup into the database of the settings (MONGODB_URI, else the
embedded database in SOLIDARITY_DATA_DIR; stop the server first). The
database must be empty: --replace drops the backup's collections from a
database that holds data first, and what they hold is lost. A backup of a
newer version of solidarity is refused; an older one is brought to this
version's shape by its migrations. After loading, restore checks that the
server's keys open the data and recounts every campaign from the restored
signatures.
`

// backupCmd runs solidarity backup and its subcommands.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "keygen":
			return backupKeygen(args[1:], stdout)
		case "verify":
			return backupVerify(args[1:], stdout)
		}
	}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "")
	var recipients []string
	fs.Func("recipient", "", func(v string) error { recipients = append(recipients, v); return nil })
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		fmt.Fprint(stderr, backupUsage)
		return errors.New("backup: give the file to write as --out FILE")
	}
	cfg, err := config.Load(nil, getenv)
	if err != nil {
		return err
	}
	text := cfg.Backup.Recipients
	if len(recipients) > 0 {
		text = ""
		for _, r := range recipients {
			text += r + "\n"
		}
	}
	if text == "" {
		return errors.New("backup: no public key to encrypt to: give --recipient age1… or set SOLIDARITY_BACKUP_RECIPIENT (`solidarity backup keygen` makes a key pair)")
	}
	rs, err := backup.ParseRecipients(text)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("backup: %s exists already; choose another file", *out)
	}
	// With the embedded database, through the socket of the server that
	// runs on it, if one does.
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir, Share: true})
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	start := time.Now()
	sum, err := writeBackupFile(ctx, db, *out, rs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d documents in %d collections, schema version %d, %d bytes, in %s\n",
		*out, sum.Documents, len(sum.Collections), sum.Header.Schema, sum.Bytes, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeBackupFile writes the backup to a temporary file beside path and
// renames it to path once complete: a backup that failed leaves no file
// that looks like one.
func writeBackupFile(ctx context.Context, db *database.DB, path string, rs []age.Recipient) (backup.Summary, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return backup.Summary{}, fmt.Errorf("backup: %w", err)
	}
	sum, err := backup.Write(ctx, db.Database, tmp, rs, time.Now())
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return sum, err
	}
	return sum, nil
}

func backupKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup keygen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("backup keygen: %w", err)
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("backup keygen: give the file for the private key as --out IDENTITY_FILE")
	}
	recipient, err := backup.WriteIdentity(*out)
	if err != nil {
		return fmt.Errorf("backup keygen: %w", err)
	}
	fmt.Fprintf(stdout, `Wrote the backup key to %s (readable by you only).
Its public key, for SOLIDARITY_BACKUP_RECIPIENT and --recipient:

%s

Keep %s apart from the backups, and not on the disk of the server or of its key
file: whoever holds it can read every backup made for its public key.
`, *out, recipient, *out)
	return nil
}

func backupVerify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("in", "", "")
	identity := fs.String("identity", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("backup verify: %w", err)
	}
	if *in == "" || *identity == "" || fs.NArg() > 0 {
		return errors.New("backup verify: give the backup as --in FILE and its key as --identity IDENTITY_FILE")
	}
	ids, err := backup.ReadIdentities(*identity)
	if err != nil {
		return fmt.Errorf("backup verify: %w", err)
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("backup verify: %w", err)
	}
	defer f.Close()
	sum, err := backup.Verify(f, ids)
	if err != nil {
		return fmt.Errorf("backup verify: %s: %w", *in, err)
	}
	printSummary(stdout, *in, sum)
	fmt.Fprintln(stdout, "The backup is complete and unchanged.")
	return nil
}

// printSummary lists what a backup holds.
func printSummary(w io.Writer, name string, sum backup.Summary) {
	h := sum.Header
	fmt.Fprintf(w, "%s: format %d, schema version %d, made %s from %s (database %s)\n",
		name, h.Format, h.Schema, h.Created.UTC().Format(time.RFC3339), h.Server, h.Database)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "COLLECTION\tDOCUMENTS\t")
	for _, c := range sum.Collections {
		fmt.Fprintf(tw, "%s\t%d\t\n", c.Name, c.Count)
	}
	fmt.Fprintf(tw, "%d collections\t%d\t\n", len(sum.Collections), sum.Documents)
	tw.Flush()
}

// restoreCmd runs solidarity restore.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("in", "", "")
	identity := fs.String("identity", "", "")
	replace := fs.Bool("replace", false, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if *in == "" || *identity == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, restoreUsage)
		return errors.New("restore: give the backup as --in FILE and its key as --identity IDENTITY_FILE")
	}
	cfg, err := config.Load(nil, getenv)
	if err != nil {
		return err
	}
	ids, err := backup.ReadIdentities(*identity)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(*in); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// The server's keys open the restored data; without them the restore
	// is useless. A key file is never made here: a new one opens nothing.
	src, err := keys.Locate(keys.Options{Secret: cfg.Secret, File: cfg.SecretFile, DataDir: cfg.DataDir, Getenv: getenv})
	if err != nil {
		return err
	}
	if src.Env == "" {
		if _, err := os.Stat(src.Path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restore: no key file at %s: the backup's supporter data is sealed under the keys of the server it came from; "+
				"put that key file there, or name it with SOLIDARITY_SECRET_FILE (or give SOLIDARITY_SECRET), then restore", src.Path)
		}
	}
	ks, err := loadKeys(cfg, getenv, func(s string) { fmt.Fprintln(stderr, "solidarity:", s) })
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	a, err := app.New(db, ks, app.Options{})
	if err != nil {
		return err
	}
	migrations := a.Migrations()
	start := time.Now()
	open := func() (io.ReadCloser, error) { return os.Open(*in) }
	sum, err := backup.Restore(ctx, db.Database, open, ids, backup.RestoreOptions{
		MaxSchema: migrations[len(migrations)-1].Version, Replace: *replace,
		Say: func(s string) { fmt.Fprintln(stderr, "solidarity:", s) },
	})
	if errors.Is(err, backup.ErrPartial) {
		return fmt.Errorf("restore: %w\nThe database now holds part of the backup: run solidarity restore again with --replace", err)
	}
	if err != nil {
		return fmt.Errorf("restore: %s: %w", *in, err)
	}
	loaded := time.Since(start)
	printSummary(stdout, *in, sum)
	fmt.Fprintf(stdout, "restored %d documents in %s\n", sum.Documents, loaded.Round(time.Millisecond))
	if _, err := keys.Verify(ctx, db.Database, ks); err != nil {
		return fmt.Errorf("restore: the backup is loaded, but the keys from %s do not open it: %w", ks.Source, err)
	}
	// A backup of an older version gets its migrations now rather than at
	// the next start, since the recount reads the current shape.
	n, err := a.AfterRestore(ctx)
	if err != nil {
		return fmt.Errorf("restore: the backup is loaded, but: %w", err)
	}
	fmt.Fprintf(stdout, "recounted the campaigns from the restored signatures (%d corrected); restore done in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// backupSchedule makes the scheduled backups' options from the settings:
// none without SOLIDARITY_BACKUP_DIR. The node is named by its host name.
func backupSchedule(cfg config.Config) (backup.ScheduleOptions, error) {
	if cfg.Backup.Dir == "" {
		return backup.ScheduleOptions{Keep: cfg.Backup.Keep}, nil
	}
	rs, err := backup.ParseRecipients(cfg.Backup.Recipients)
	if err != nil {
		return backup.ScheduleOptions{}, fmt.Errorf("setting SOLIDARITY_BACKUP_RECIPIENT: %w", err)
	}
	node, err := os.Hostname()
	if err != nil {
		node = "unknown"
	}
	return backup.ScheduleOptions{Dir: cfg.Backup.Dir, Every: cfg.Backup.Every, Keep: cfg.Backup.Keep, Recipients: rs, Node: node}, nil
}
