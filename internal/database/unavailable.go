package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
	"go.mongodb.org/mongo-driver/x/mongo/driver"
)

// How Open waits for a MongoDB server that does not answer yet: each
// attempt pings for at most AttemptTimeout, and the pauses between
// attempts double from FirstBackoff up to MaxBackoff. The driver dials at
// most twice a second during an attempt (its minimum heartbeat), so a
// database that is down costs a few connection attempts a second, never a
// busy loop, and one that comes back is found within MaxBackoff plus an
// attempt.
const (
	AttemptTimeout = 2 * time.Second
	FirstBackoff   = 250 * time.Millisecond
	MaxBackoff     = 4 * time.Second
)

// connectWaiting connects to uri and pings it until it answers or ctx ends,
// saying on log what it waits for: the hosts, never the credentials.
func connectWaiting(ctx context.Context, uri string, log *slog.Logger, monitor *event.CommandMonitor) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, name, cs, err := newClient(uri, monitor)
	if err != nil {
		return nil, err
	}
	backoff := FirstBackoff
	for attempt := 1; ; attempt++ {
		pingCtx, cancel := context.WithTimeout(ctx, AttemptTimeout)
		err := client.Ping(pingCtx, readpref.Primary())
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("the database answers", "database", "MongoDB at "+redact(cs), "attempts", attempt)
			}
			return &DB{Database: client.Database(name), client: client}, nil
		}
		if ctx.Err() != nil {
			_ = client.Disconnect(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("stopped waiting for MongoDB at %s: %w", redact(cs), ctx.Err())
		}
		log.Warn("waiting for the database to answer", "database", "MongoDB at "+redact(cs),
			"attempt", attempt, "reason", Reason(err), "retry_in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = client.Disconnect(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("stopped waiting for MongoDB at %s: %w", redact(cs), ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

// Unavailable reports whether err means the database could not be reached
// or did not answer in time, rather than that it refused what was asked:
// the web layer answers such errors with 503 and Retry-After.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		mongo.IsTimeout(err) ||
		mongo.IsNetworkError(err) ||
		errors.As(err, &topology.ServerSelectionError{}) ||
		errors.As(err, &topology.ConnectionError{}) ||
		errors.As(err, new(driver.RetryablePoolError)) || // the pool was cleared after a failure
		errors.Is(err, topology.ErrTopologyClosed)
}

// Reason says in a few words why the database did not answer, for /readyz
// and the logs: it never holds the URI, hosts or credentials.
func Reason(err error) string {
	var sse topology.ServerSelectionError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &sse):
		return "no server answered in time"
	case mongo.IsNetworkError(err), errors.As(err, &topology.ConnectionError{}), errors.As(err, new(driver.RetryablePoolError)):
		return "connection lost"
	case mongo.IsTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, topology.ErrTopologyClosed):
		return "client closed"
	}
	return "error"
}
