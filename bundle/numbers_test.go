package bundle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A bundle's numbers are those it printed: signatures that go later (an
// invalidation, a deletion) do not move them, an erased one leaves its
// number empty, and a bundle built before numbers were kept gets them from
// the signatures as they are (migration 18).
func TestNumbersAreTheBundleAsBuilt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var ids []string
	for _, name := range []string{"Anna", "Boris", "Vera", "Gleb"} {
		ids = append(ids, f.sign(t, name).ID)
	}
	job := f.enqueue(t, Options{Lang: "en"})
	f.sign(t, "Too late")
	f.runAll(t)
	n, err := f.jobs.Numbered(ctx, f.c, job.ID)
	if err != nil || n.Count != 4 || n.Total != 4 {
		t.Fatalf("Numbered = %+v, %v; want 4 signatures", n, err)
	}
	got, err := f.jobs.Signatures(ctx, job.ID, []int{4, 1})
	if err != nil || !slices.Equal(got, []string{ids[3], ids[0]}) {
		t.Fatalf("numbers 4, 1 = %v, %v; want %v", got, err, []string{ids[3], ids[0]})
	}
	if _, err := f.jobs.Signatures(ctx, job.ID, []int{5}); err == nil {
		t.Error("number 5 of 4 resolved")
	}
	// Boris's signature leaves the campaign without the bundle being
	// rebuilt: number 3 is still Vera.
	if _, err := f.db.Collection("signatures").DeleteOne(ctx, bson.M{"_id": ids[1]}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.jobs.Signatures(ctx, job.ID, []int{3}); err != nil || !slices.Equal(got, ids[2:3]) {
		t.Errorf("number 3 after a signature went = %v, %v; want %v", got, err, ids[2:3])
	}
	if err := f.jobs.ForgetSignature(ctx, f.c.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	if got, err := f.jobs.Signatures(ctx, job.ID, []int{3, 4}); err != nil || !slices.Equal(got, ids[3:4]) {
		t.Errorf("numbers 3, 4 after Vera was erased = %v, %v; want %v", got, err, ids[3:4])
	}
	raw, err := f.db.Collection(numbersCollection).FindOne(ctx, bson.M{"_id": numbersID(job.ID, 0)}).Raw()
	if err != nil || strings.Contains(string(raw), ids[2]) {
		t.Errorf("the erased signature's ID stays in the numbers: %v", err)
	}
	// A bundle built before numbers were kept.
	if err := f.jobs.store.deleteNumbers(ctx, job.ID, job.Attempt+10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.Numbered(ctx, f.c, job.ID); !errors.Is(err, ErrNoNumbers) {
		t.Fatalf("Numbered without numbers = %v, want ErrNoNumbers", err)
	}
	for range 2 { // the migration may run again
		if err := f.jobs.FillNumbers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := f.jobs.Numbered(ctx, f.c, job.ID); err != nil || n.Count != 3 {
		t.Fatalf("Numbered after FillNumbers = %+v, %v; want the 3 signatures there are", n, err)
	}
	if got, err := f.jobs.Signatures(ctx, job.ID, []int{1, 2, 3}); err != nil || !slices.Equal(got, []string{ids[0], ids[2], ids[3]}) {
		t.Errorf("numbers after FillNumbers = %v, %v", got, err)
	}
}
