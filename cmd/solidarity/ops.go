package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/solidarity-letters/solidarity/internal/config"
	"github.com/solidarity-letters/solidarity/internal/metrics"
)

// newLogger makes the logger of the commands: slog's JSON handler when
// cfg asks for JSON lines, else its text handler.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// startMetrics serves m at metrics.Path on addr, an address the settings
// have checked, with a listener and a mux of its own that serve nothing
// else: never on the public server. stop shuts it down.
func startMetrics(addr string, m *metrics.Metrics, logger *slog.Logger) (stop func() error, err error) {
	mux := http.NewServeMux()
	mux.Handle("GET "+metrics.Path, m.Handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	// A scrape under way is cut short at the stop: the next one reads anew.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	logger.Info("metrics listening", "addr", "http://"+ln.Addr().String()+metrics.Path)
	return serveSide(srv, ln), nil
}

// serveSide serves srv on ln, a listener beside the public server's (the
// metrics', the profiler's), until the returned stop closes it and its
// connections at once.
func serveSide(srv *http.Server, ln net.Listener) (stop func() error) {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return func() error {
		err := srv.Close()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}
}
