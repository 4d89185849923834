package metrics

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/event"
)

// commands are the database commands whose names are labels; others are
// "other", so that no unexpected name grows the label set.
var commands = map[string]bool{
	"find": true, "getMore": true, "killCursors": true, "insert": true, "update": true, "delete": true,
	"findAndModify": true, "aggregate": true, "count": true, "distinct": true, "createIndexes": true,
	"dropIndexes": true, "listIndexes": true, "listCollections": true, "create": true, "drop": true,
	"dropDatabase": true, "ping": true, "hello": true, "isMaster": true, "endSessions": true,
	"collStats": true, "dbStats": true, "renameCollection": true, "buildInfo": true,
}

// commandLabel is name when it is a known command, else "other".
func commandLabel(name string) string {
	if commands[name] {
		return name
	}
	return "other"
}

// CommandMonitor returns the driver's command monitor that times every
// command by its name and counts the failed ones. It reads the command's
// name and duration only, never its body or reply, which hold supporters'
// (sealed) data. Nil when m is nil.
func (m *Metrics) CommandMonitor() *event.CommandMonitor {
	if m == nil {
		return nil
	}
	return &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			m.dbTime.WithLabelValues(commandLabel(e.CommandName)).Observe(e.Duration.Seconds())
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			name := commandLabel(e.CommandName)
			m.dbTime.WithLabelValues(name).Observe(e.Duration.Seconds())
			m.dbFailures.WithLabelValues(name).Inc()
		},
	}
}
