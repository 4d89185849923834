package app

import (
	"context"
	"fmt"
)

// AfterRestore readies a database that `solidarity restore` has just
// loaded (internal/backup), before any node serves it: the migrations a
// backup of an older version lacks, then a recount of every campaign from
// the restored signatures. A backup reads the signatures and the counter
// documents at different moments, so one taken while people signed may
// hold signatures its counters do not count yet; the recount, with its
// cut-off after the restore, makes the counts those of the signatures. It
// returns how many campaigns' counts it corrected. The greetings' lists
// are checked by every start (letters.Service.Repair, in Run).
func (a *App) AfterRestore(ctx context.Context) (int, error) {
	if err := a.Migrate(ctx); err != nil {
		return 0, fmt.Errorf("migrate the restored database: %w", err)
	}
	n, err := a.Signing.RecountAllAtOnce(ctx)
	if err != nil {
		return n, fmt.Errorf("recount the restored campaigns: %w", err)
	}
	return n, nil
}
