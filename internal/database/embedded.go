package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Embedded is a FerretDB server running in this process, storing its data
// in SQLite files and listening on a free port of 127.0.0.1.
type Embedded struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartEmbedded starts FerretDB with its files in dataDir/db. It fails early,
// with the folder's name, when the folder cannot be created or written.
func StartEmbedded(ctx context.Context, dataDir string, logger *slog.Logger) (*Embedded, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "db"))
	if err != nil {
		return nil, fmt.Errorf("data folder %q: %w", dataDir, err)
	}
	if err := CheckWritable(dir); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u := url.URL{Scheme: "file", Opaque: filepath.ToSlash(dir) + "/"}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: u.String(),
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database in %s: %w", dir, err)
	}
	// The server's lifetime is Stop's to decide, not the start-up context's.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx) // always returns nil; the listener's errors go to its log
	}()
	e.uri = f.MongoDBURI() // blocks until the listener has its port
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
