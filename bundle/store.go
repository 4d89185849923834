package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/solidarity-letters/solidarity/internal/database"
	"github.com/solidarity-letters/solidarity/pdf"
)

// store keeps the bundle jobs (collection bundle_jobs) and their finished
// archives (GridFS bucket bundles). Every write that moves a job on
// matches the state its caller saw, so that of two writers the first
// wins and the second sees a miss.
type store struct {
	jobs  *mongo.Collection
	files *mongo.GridFSBucket
	// writes makes this node's updates of a job one at a time: the
	// embedded database runs an update as a read and a write of the whole
	// document, so a lease renewal beside the worker's own progress or
	// finish could write back what the other changed.
	writes sync.Mutex
}

// updateJob updates one job, after this node's other updates of jobs.
func (s *store) updateJob(ctx context.Context, filter, update any) (*mongo.UpdateResult, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.jobs.UpdateOne(ctx, filter, update)
}

func newStore(db *mongo.Database) *store {
	return &store{
		jobs:  db.Collection("bundle_jobs"),
		files: db.GridFSBucket(options.GridFSBucket().SetName("bundles")),
	}
}

// newJobID returns the ID of a new job.
func newJobID() string { return bson.NewObjectID().Hex() }

func (s *store) insert(ctx context.Context, job *Job) error {
	if _, err := s.jobs.InsertOne(ctx, job); err != nil {
		return fmt.Errorf("insert bundle job %s: %w", job.ID, err)
	}
	return nil
}

// job returns the job with that ID, ErrNotFound if there is none.
func (s *store) job(ctx context.Context, id string) (*Job, error) {
	var job Job
	err := s.jobs.FindOne(ctx, bson.M{"_id": id}).Decode(&job)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("bundle job %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle job %s: %w", id, err)
	}
	return &job, nil
}

// find returns the jobs that match filter, sorted by opts.
func (s *store) find(ctx context.Context, filter bson.M, opts ...options.Lister[options.FindOptions]) ([]Job, error) {
	cur, err := s.jobs.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("find bundle jobs: %w", err)
	}
	var out []Job
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read bundle jobs: %w", err)
	}
	return out, nil
}

// recent returns up to limit jobs of a campaign, newest first.
func (s *store) recent(ctx context.Context, campaignID string, limit int) ([]Job, error) {
	out, err := s.find(ctx, bson.M{"campaign_id": campaignID},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("bundle jobs of %s: %w", campaignID, err)
	}
	return out, nil
}

// ofCampaign returns every job of a campaign.
func (s *store) ofCampaign(ctx context.Context, campaignID string) ([]Job, error) {
	out, err := s.find(ctx, bson.M{"campaign_id": campaignID})
	if err != nil {
		return nil, fmt.Errorf("bundle jobs of %s: %w", campaignID, err)
	}
	return out, nil
}

// done returns every finished job.
func (s *store) done(ctx context.Context) ([]Job, error) {
	out, err := s.find(ctx, bson.M{"status": StatusDone})
	if err != nil {
		return nil, fmt.Errorf("finished bundle jobs: %w", err)
	}
	return out, nil
}

// claim takes the oldest queued job that no erasure holds back, or one
// whose lease ran out, in one atomic update, and leases it until
// now+lease. It returns nil when there is none.
func (s *store) claim(ctx context.Context, now time.Time, lease time.Duration) (*Job, error) {
	filter := bson.M{"$or": bson.A{
		bson.M{"status": StatusQueued, "holds": bson.M{"$lte": 0}},
		bson.M{"status": StatusQueued, "holds": bson.M{"$exists": false}},
		bson.M{"status": StatusRunning, "lease_until": bson.M{"$lt": now}},
	}}
	update := bson.M{
		"$set": bson.M{"status": StatusRunning, "started_at": now, "lease_until": now.Add(lease), "letters": 0},
		"$inc": bson.M{"attempt": 1},
	}
	var job Job
	s.writes.Lock()
	err := s.jobs.FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetReturnDocument(options.After)).Decode(&job)
	s.writes.Unlock()
	if database.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim bundle job: %w", err)
	}
	return &job, nil
}

// attemptOf matches a job while it is running the build attempt its
// worker claimed.
func attemptOf(job *Job) bson.M {
	return bson.M{"_id": job.ID, "status": StatusRunning, "attempt": job.Attempt}
}

// progress records how many envelopes of the running attempt are written
// and renews its lease until leaseUntil.
func (s *store) progress(ctx context.Context, job *Job, envelopes, total int, leaseUntil time.Time) error {
	// The stored names are "letters" and "total_letters": jobs stored
	// before the envelope unit had its name keep being read.
	_, err := s.updateJob(ctx, attemptOf(job), bson.M{"$set": bson.M{
		"letters": envelopes, "total_letters": total, "lease_until": leaseUntil}})
	if err != nil {
		return fmt.Errorf("record progress of bundle %s: %w", job.ID, err)
	}
	return nil
}

// renew extends the lease of the running attempt until leaseUntil and
// reports whether the job is still that attempt's: running it, or finished
// by it (a renewal may come between the finish and the audit entry).
func (s *store) renew(ctx context.Context, job *Job, leaseUntil time.Time) (bool, error) {
	filter := bson.M{"_id": job.ID, "attempt": job.Attempt, "status": bson.M{"$in": bson.A{StatusRunning, StatusDone}}}
	res, err := s.updateJob(ctx, filter, bson.M{"$set": bson.M{"lease_until": leaseUntil}})
	if err != nil {
		return false, fmt.Errorf("renew lease of bundle %s: %w", job.ID, err)
	}
	return res.MatchedCount == 1, nil
}

// fail records that the running attempt failed with message; an attempt
// restarted meanwhile (by an erasure) stays queued.
func (s *store) fail(ctx context.Context, job *Job, message string, at time.Time) error {
	_, err := s.updateJob(ctx, attemptOf(job),
		bson.M{"$set": bson.M{"status": StatusFailed, "error": message, "finished_at": at}})
	if err != nil {
		return fmt.Errorf("record failed bundle job %s: %w", job.ID, err)
	}
	return nil
}

// finish records the archive of the running attempt, stored as fileID
// and sealed under keyID, and what m says it holds. It reports false when
// the attempt was restarted meanwhile.
func (s *store) finish(ctx context.Context, job *Job, at time.Time, fileID bson.ObjectID, keyID string, m pdf.Manifest) (bool, error) {
	res, err := s.updateJob(ctx, attemptOf(job), bson.M{"$set": bson.M{
		"status": StatusDone, "finished_at": at, "file_id": fileID, "key_id": keyID, "size": m.Size,
		"sha256": m.SHA256, "files": m.Files, "pages": m.Pages, "letters": len(m.Envelopes), "total_letters": len(m.Envelopes),
		"cutoff": job.Cutoff, "tallies": job.Tallies}})
	if err != nil {
		return false, fmt.Errorf("record finished bundle %s: %w", job.ID, err)
	}
	return res.MatchedCount == 1, nil
}

// hold adds n holds to a job that is still queued, and reports whether it
// was.
func (s *store) hold(ctx context.Context, id string, n int) (bool, error) {
	res, err := s.updateJob(ctx, bson.M{"_id": id, "status": StatusQueued}, bson.M{"$inc": bson.M{"holds": n}})
	if err != nil {
		return false, fmt.Errorf("hold bundle %s: %w", id, err)
	}
	return res.MatchedCount == 1, nil
}

// release takes one hold off a job.
func (s *store) release(ctx context.Context, id string) error {
	if _, err := s.updateJob(ctx, bson.M{"_id": id}, bson.M{"$inc": bson.M{"holds": -1}}); err != nil {
		return fmt.Errorf("release bundle %s: %w", id, err)
	}
	return nil
}

// restart queues again a job that is still running the attempt its
// caller saw, with n holds added, and reports whether it was.
func (s *store) restart(ctx context.Context, job *Job, n int) (bool, error) {
	res, err := s.updateJob(ctx, attemptOf(job),
		bson.M{"$set": bson.M{"status": StatusQueued, "letters": 0}, "$inc": bson.M{"holds": n}})
	if err != nil {
		return false, fmt.Errorf("restart bundle %s: %w", job.ID, err)
	}
	return res.MatchedCount == 1, nil
}

// markReplaced marks a finished job replaced by the job next, its archive
// gone since at, and reports whether it was still finished.
func (s *store) markReplaced(ctx context.Context, id, next string, at time.Time) (bool, error) {
	res, err := s.updateJob(ctx, bson.M{"_id": id, "status": StatusDone}, bson.M{
		"$set":   bson.M{"status": StatusReplaced, "replaced_by": next, "erased_at": at},
		"$unset": bson.M{"file_id": ""},
	})
	if err != nil {
		return false, fmt.Errorf("mark bundle %s replaced: %w", id, err)
	}
	return res.MatchedCount == 1, nil
}

// delete removes a job.
func (s *store) delete(ctx context.Context, id string) error {
	if _, err := s.jobs.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete bundle job %s: %w", id, err)
	}
	return nil
}

// retry queues again, without holds, a job that failed or one still held
// back.
func (s *store) retry(ctx context.Context, id string) error {
	filter := bson.M{"_id": id, "$or": bson.A{
		bson.M{"status": StatusFailed},
		bson.M{"status": StatusQueued, "holds": bson.M{"$gt": 0}},
	}}
	_, err := s.updateJob(ctx, filter, bson.M{"$set": bson.M{"status": StatusQueued, "holds": 0, "error": ""}})
	if err != nil {
		return fmt.Errorf("retry bundle %s: %w", id, err)
	}
	return nil
}

// repoint points a finished job whose archive is still old at the archive
// fileID sealed under keyID, and reports whether it did.
func (s *store) repoint(ctx context.Context, id string, old, fileID bson.ObjectID, keyID string) (bool, error) {
	filter := bson.M{"_id": id, "status": StatusDone, "file_id": old}
	res, err := s.updateJob(ctx, filter, bson.M{"$set": bson.M{"file_id": fileID, "key_id": keyID}})
	if err != nil {
		return false, fmt.Errorf("point bundle %s at its new archive: %w", id, err)
	}
	return res.MatchedCount == 1, nil
}

// newArchive starts storing an archive named name; the caller writes it
// and then closes or aborts the upload, and reads its ID with archiveID.
func (s *store) newArchive(ctx context.Context, name string) (*mongo.GridFSUploadStream, error) {
	up, err := s.files.OpenUploadStream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("store bundle archive %s: %w", name, err)
	}
	return up, nil
}

// archiveID is the file ID of an archive stored with newArchive.
func archiveID(up *mongo.GridFSUploadStream) bson.ObjectID {
	id, _ := up.FileID.(bson.ObjectID)
	return id
}

// openArchive reads a stored archive as it is stored (sealed or not).
func (s *store) openArchive(ctx context.Context, id bson.ObjectID) (io.ReadCloser, error) {
	r, err := s.files.OpenDownloadStream(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("open stored bundle %s: %w", id.Hex(), err)
	}
	return r, nil
}

// deleteArchive deletes a stored archive.
func (s *store) deleteArchive(ctx context.Context, id bson.ObjectID) error {
	if err := s.files.Delete(ctx, id); err != nil {
		return fmt.Errorf("delete stored bundle %s: %w", id.Hex(), err)
	}
	return nil
}

// dropArchive deletes a stored archive that may be gone already.
func (s *store) dropArchive(ctx context.Context, id bson.ObjectID) error {
	if err := s.files.Delete(ctx, id); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
		return fmt.Errorf("delete stored bundle %s: %w", id.Hex(), err)
	}
	return nil
}
