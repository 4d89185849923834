package bundle

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Depth is how many jobs of a queue are waiting, being built, and failed.
type Depth struct {
	Queued, Running, Failed int64
}

// Depth counts the bundle jobs by state, for the metrics. It reads every
// job's status (on the embedded database any filter reads the whole
// collection, so it asks for none): call it now and then, not per request.
func (j *Jobs) Depth(ctx context.Context) (Depth, error) {
	d, err := depthOf(ctx, j.store.jobs)
	if err != nil {
		return d, fmt.Errorf("count bundle jobs: %w", err)
	}
	return d, nil
}

// Depth counts the print runs by state, as Jobs.Depth does.
func (p *PrintRuns) Depth(ctx context.Context) (Depth, error) {
	d, err := depthOf(ctx, p.store.runs)
	if err != nil {
		return d, fmt.Errorf("count print runs: %w", err)
	}
	return d, nil
}

// depthOf reads the status of every document of coll and counts them.
func depthOf(ctx context.Context, coll *mongo.Collection) (Depth, error) {
	var d Depth
	cur, err := coll.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 0, "status": 1}))
	if err != nil {
		return d, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var doc struct {
			Status Status `bson:"status"`
		}
		if err := cur.Decode(&doc); err != nil {
			return d, err
		}
		switch doc.Status {
		case StatusQueued:
			d.Queued++
		case StatusRunning:
			d.Running++
		case StatusFailed:
			d.Failed++
		}
	}
	return d, cur.Err()
}
