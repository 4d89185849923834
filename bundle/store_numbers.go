package bundle

import (
	"context"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/internal/database"
)

// numbersCollection maps a built bundle's printed signature numbers to
// the signatures: the IDs in print order, written when the bundle is
// built, in documents of numbersChunk IDs read by _id. A signature erased
// since has "" in its place, so that the numbers after it stay as printed.
// IDs are not names; nothing else about the supporters is kept.
const (
	numbersCollection = "bundle_numbers"
	numbersChunk      = 5000
)

// numbersDoc is one chunk of a bundle's numbers: IDs[i] is the signature
// printed as number k*numbersChunk+i+1, where k is the chunk's index in
// its _id ("<job>/<k>"). Count is how many the bundle numbers in all.
type numbersDoc struct {
	ID    string   `bson:"_id"`
	Job   string   `bson:"job"`
	Count int      `bson:"count"`
	IDs   []string `bson:"ids"`
	// Attempt is the job's claim that built them (Job.Attempt).
	Attempt int `bson:"attempt"`
}

func numbersID(jobID string, k int) string { return jobID + "/" + strconv.Itoa(k) }

func (s *store) numbersColl() *mongo.Collection {
	return s.jobs.Database().Collection(numbersCollection)
}

// saveNumbers stores the job's signature IDs in print order as its
// attempt built them, replacing what an earlier attempt stored (not what a
// later one did: a build restarted by an erasure may end after the next).
func (s *store) saveNumbers(ctx context.Context, jobID string, attempt int, ids []string) error {
	if err := s.deleteNumbers(ctx, jobID, attempt); err != nil {
		return err
	}
	var docs []any
	for k := 0; k == 0 || k*numbersChunk < len(ids); k++ {
		part := ids[k*numbersChunk : min(len(ids), (k+1)*numbersChunk)]
		docs = append(docs, numbersDoc{ID: numbersID(jobID, k), Job: jobID, Count: len(ids), IDs: append([]string{}, part...), Attempt: attempt})
	}
	if _, err := s.numbersColl().InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("store numbers of bundle %s: %w", jobID, err)
	}
	return nil
}

// numbers returns chunk k of the job's numbers, or ErrNoNumbers.
func (s *store) numbers(ctx context.Context, jobID string, k int) (*numbersDoc, error) {
	var d numbersDoc
	err := s.numbersColl().FindOne(ctx, bson.M{"_id": numbersID(jobID, k)}).Decode(&d)
	if database.IsNotFound(err) {
		return nil, fmt.Errorf("numbers of bundle %s: %w", jobID, ErrNoNumbers)
	}
	if err != nil {
		return nil, fmt.Errorf("numbers of bundle %s: %w", jobID, err)
	}
	return &d, nil
}

// chunks is how many documents hold count numbers.
func chunks(count int) int { return max(1, (count+numbersChunk-1)/numbersChunk) }

// deleteNumbers deletes the job's numbers, if it has any that an attempt
// up to attempt built.
func (s *store) deleteNumbers(ctx context.Context, jobID string, attempt int) error {
	first, err := s.numbers(ctx, jobID, 0)
	if err != nil {
		if isNoNumbers(err) {
			return nil
		}
		return err
	}
	if first.Attempt > attempt {
		return fmt.Errorf("numbers of bundle %s: a later build stored them", jobID)
	}
	for k := range chunks(first.Count) {
		if _, err := s.numbersColl().DeleteOne(ctx, bson.M{"_id": numbersID(jobID, k)}); err != nil {
			return fmt.Errorf("delete numbers of bundle %s: %w", jobID, err)
		}
	}
	return nil
}

// forgetNumber blanks the signature's place in the job's numbers, if it
// has one there.
func (s *store) forgetNumber(ctx context.Context, jobID, sigID string) error {
	first, err := s.numbers(ctx, jobID, 0)
	if err != nil {
		if isNoNumbers(err) {
			return nil
		}
		return err
	}
	for k := range chunks(first.Count) {
		d := first
		if k > 0 {
			if d, err = s.numbers(ctx, jobID, k); err != nil {
				return err
			}
		}
		for i, id := range d.IDs {
			if id != sigID {
				continue
			}
			_, err := s.numbersColl().UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{"ids." + strconv.Itoa(i): ""}})
			if err != nil {
				return fmt.Errorf("forget a number of bundle %s: %w", jobID, err)
			}
		}
	}
	return nil
}
