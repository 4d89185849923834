package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/internal/keys"
)

// openApp builds the application for a command other than serve: it loads
// the settings and the keys, opens the database, checks that the keys are
// the database's and builds the application, unprepared. Call done when
// finished: it closes the database.
func openApp(ctx context.Context, getenv func(string) string, stderr io.Writer) (a *app.App, done func(), err error) {
	cfg, err := config.Load(nil, getenv)
	if err != nil {
		return nil, nil, err
	}
	ks, err := loadKeys(cfg, getenv, func(s string) { fmt.Fprintln(stderr, "solidarity:", s) })
	if err != nil {
		return nil, nil, err
	}
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir})
	if err != nil {
		return nil, nil, err
	}
	done = func() { db.Close(context.WithoutCancel(ctx)) }
	if err := keys.Check(ctx, db.Database, ks, time.Now()); err != nil {
		done()
		return nil, nil, err
	}
	// What the migrations say (a long first one) reaches the terminal.
	logger := newLogger(stderr, cfg)
	if a, err = app.New(db, ks, app.Options{Logger: logger}); err != nil {
		done()
		return nil, nil, err
	}
	return a, done, nil
}
