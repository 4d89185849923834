package reseal_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/solidarity-letters/solidarity/internal/testdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkMigrate measures the start-up migration of plain signatures
// (one in ten with a greeting) on the database the tests use, copying each
// collection as the embedded database does at start-up:
//
//	SOLIDARITY_BENCH_SIGNATURES=100000 go test ./reseal -run '^$' -bench Migrate -benchtime 1x -timeout 30m
func BenchmarkMigrate(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SOLIDARITY_BENCH_SIGNATURES")); err == nil && v > 0 {
		n = v
	}
	names := []string{"Алесь Бяляцкі", "Anna Kowalska", "Γιώργος Παπαδόπουλος", "ნინო ბერიძე", "Marie Dubois"}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := dbs.Database(b)
		a := newApp(b, db, testdb.Keys(b))
		if err := a.signing.Store().EnsureIndexes(ctx); err != nil {
			b.Fatal(err)
		}
		var sigs, greetings []any
		flush := func() {
			if len(sigs) == 0 {
				return
			}
			insert(b, db, "signatures", sigs...)
			if len(greetings) > 0 {
				insert(b, db, "greetings", greetings...)
			}
			sigs, greetings = sigs[:0], greetings[:0]
		}
		for j := range n {
			id := fmt.Sprintf("%064d", j)
			sigs = append(sigs, bson.D{{Key: "_id", Value: id}, {Key: "campaign_id", Value: campaignID},
				{Key: "signed_at", Value: now}, {Key: "source", Value: "web"}, {Key: "updates", Value: false},
				{Key: "person", Value: bson.D{{Key: "name", Value: fmt.Sprintf("%s %d", names[j%len(names)], j)},
					{Key: "city", Value: "Мінск"}, {Key: "country", Value: "BY"}}}})
			if j%10 == 0 {
				greetings = append(greetings, bson.D{{Key: "_id", Value: id}, {Key: "campaign_id", Value: campaignID},
					{Key: "text", Value: fmt.Sprintf("Трымайцеся! %d", j)}, {Key: "status", Value: "approved"}, {Key: "created_at", Value: now}})
			}
			if len(sigs) == 1000 {
				flush()
			}
		}
		flush()
		b.StartTimer()
		written, err := a.resealer.Migrate(ctx, true)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(written), "docs")
		usage, err := a.resealer.Usage(ctx)
		if err != nil || usage["(plain)"] != 0 {
			b.Fatalf("after the migration: %v, %v", usage, err)
		}
		b.StartTimer()
	}
}
