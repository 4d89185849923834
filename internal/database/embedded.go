package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB uses, for checkpoints
)

// Embedded is a FerretDB server running in this process, storing its data
// in SQLite files and listening only on a Unix socket in its own folder: no
// other user's process can reach it, and no TCP port is open. The folder is
// 0700 and every file in it 0600, since the files hold every signature.
type Embedded struct {
	dir    string
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Names of what the embedded database keeps in its folder besides the
// SQLite files: the socket it listens on (the driver takes an address
// ending in "sock" for a Unix socket) and the file whose permissions SQLite
// gives the files it creates.
const (
	socketName = "ferretdb.sock"
	modeName   = "file-mode"
)

// sqlitePragmas are run on every SQLite connection FerretDB opens.
// secure_delete overwrites deleted content with zeros, so that an erased
// signature is not left in the free space of the database file.
var sqlitePragmas = []string{"secure_delete(on)"}

// StartEmbedded starts FerretDB with its files in dataDir/db. It fails early,
// with the folder's name, when the folder cannot be created or written, when
// its socket path is too long for the system, or when another process
// already serves the folder.
func StartEmbedded(ctx context.Context, dataDir string, logger *slog.Logger) (*Embedded, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "db"))
	if err != nil {
		return nil, fmt.Errorf("data folder %q: %w", dataDir, err)
	}
	if err := CheckWritable(dir); err != nil {
		return nil, err
	}
	if err := restrictModes(dir); err != nil {
		return nil, err
	}
	modeFile, err := writeModeFile(dir)
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, socketName)
	if err := freeSocket(ctx, sock); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// modeof makes SQLite create each database file with the mode file's
	// permissions (0600) instead of 0644; its journal, WAL and shared-memory
	// files copy the database file's.
	q := url.Values{"_pragma": sqlitePragmas, "modeof": {modeFile}}
	u := url.URL{Scheme: "file", Opaque: filepath.ToSlash(dir) + "/", RawQuery: q.Encode()}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: u.String(),
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database in %s: %w", dir, err)
	}
	// The server's lifetime is Stop's to decide, not the start-up context's.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx) // always returns nil; the listener's errors go to its log
	}()
	// The folder already keeps others out; the socket's own mode follows
	// the umask, so it is narrowed too.
	if err := os.Chmod(sock, 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("embedded database socket %s: %w", sock, err), e.Stop())
	}
	// The driver wants the socket's path URL-encoded in the host part.
	e.uri = "mongodb://" + url.QueryEscape(sock) + "/"
	return e, nil
}

// URI is the connection string of the running server.
func (e *Embedded) URI() string { return e.uri }

// Stop closes the listener and the SQLite files and waits until they are
// closed. Calling it again does nothing.
func (e *Embedded) Stop() error {
	e.once.Do(func() {
		e.cancel()
		<-e.done
	})
	return nil
}

// Scrub makes what was deleted unrecoverable from the database files: it
// moves every page SQLite still keeps in a write-ahead log into its
// database file and truncates the log to nothing. Deleted content is
// already zeroed in the pages themselves (secure_delete), but older
// versions of those pages, holding the deleted data, stay in the log until
// it is checkpointed and reset.
func (e *Embedded) Scrub(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(e.dir, "*.sqlite"))
	if err != nil {
		return fmt.Errorf("scrub embedded database: %w", err)
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, checkpoint(ctx, f))
	}
	return errors.Join(errs...)
}

// ScrubDatabase is Scrub for the one database name: for the tests, whose
// databases share one embedded server.
func (e *Embedded) ScrubDatabase(ctx context.Context, name string) error {
	return checkpoint(ctx, filepath.Join(e.dir, name+".sqlite"))
}

// checkpointTimeout bounds how long a checkpoint waits for readers to
// leave the write-ahead log.
const checkpointTimeout = 10 * time.Second

// checkpoint runs a truncating WAL checkpoint on the SQLite file at path,
// through a connection of its own next to FerretDB's.
func checkpoint(ctx context.Context, path string) error {
	// mode=rw: a file dropped meanwhile is not created again.
	q := url.Values{"mode": {"rw"}, "_pragma": {fmt.Sprintf("busy_timeout(%d)", checkpointTimeout.Milliseconds())}}
	u := url.URL{Scheme: "file", Opaque: filepath.ToSlash(path), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("scrub %s: %w", path, err)
	}
	defer db.Close()
	var busy, logged, moved int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			return nil // the database was dropped meanwhile, files and all
		}
		return fmt.Errorf("scrub %s: %w", path, err)
	}
	if busy != 0 {
		return fmt.Errorf("scrub %s: readers kept the write-ahead log busy for %s; erased data stays in it until the next scrub or restart", path, checkpointTimeout)
	}
	return nil
}

// restrictModes makes dir 0700 and every file and folder in it 0600 and
// 0700: earlier versions left the database files readable by everyone.
func restrictModes(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o600)
		if d.IsDir() {
			mode = 0o700
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() == mode {
			return nil
		}
		return os.Chmod(path, mode)
	})
	if err != nil {
		return fmt.Errorf("data folder %s: restrict permissions: %w", dir, err)
	}
	return nil
}

// writeModeFile creates the 0600 file SQLite copies the permissions of.
func writeModeFile(dir string) (string, error) {
	path := filepath.Join(dir, modeName)
	const text = "SQLite creates the database files in this folder with the permissions of this file.\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("data folder %s: %w", dir, err)
	}
	return path, nil
}

// freeSocket makes sock's path available to listen on: it fails if the
// path is too long for a Unix socket or if a server still answers there,
// and removes a socket left behind by a process that ended without
// closing it.
func freeSocket(ctx context.Context, sock string) error {
	if max := len(syscall.RawSockaddrUnix{}.Path) - 1; len(sock) > max {
		return fmt.Errorf("the embedded database socket path %s is %d bytes long, more than the %d a Unix socket allows: choose a data folder with a shorter path (SOLIDARITY_DATA_DIR)", sock, len(sock), max)
	}
	info, err := os.Lstat(sock)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("embedded database socket %s: %w", sock, err)
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("embedded database socket %s exists and is not a socket: remove it", sock)
	}
	var d net.Dialer
	dialCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := d.DialContext(dialCtx, "unix", sock)
	switch {
	case err == nil:
		_ = conn.Close()
		return fmt.Errorf("the embedded database in %s is in use by another solidarity process: stop it first", filepath.Dir(sock))
	case !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("embedded database socket %s: %w", sock, err)
	}
	// Refused: nobody listens there any more.
	if err := os.Remove(sock); err != nil {
		return fmt.Errorf("remove the stale socket %s: %w", sock, err)
	}
	return nil
}

// RunningURI returns the connection string of the embedded database that
// another process (a running serve) serves from dataDir, through its
// socket; "" when no process answers there.
func RunningURI(ctx context.Context, dataDir string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "db"))
	if err != nil {
		return "", fmt.Errorf("data folder %q: %w", dataDir, err)
	}
	sock := filepath.Join(dir, socketName)
	if _, err := os.Lstat(sock); err != nil {
		return "", nil
	}
	var d net.Dialer
	dialCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := d.DialContext(dialCtx, "unix", sock)
	if err != nil {
		return "", nil // nobody listens: the caller starts its own
	}
	_ = conn.Close()
	return "mongodb://" + url.QueryEscape(sock) + "/", nil
}

// CheckWritable creates dir if needed and proves it can hold files, so that a
// read-only or missing data folder stops start-up with its name rather than
// failing on the first write.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder %s cannot be created: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data folder %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	return errors.Join(probe.Close(), os.Remove(name))
}
