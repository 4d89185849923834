package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/backup"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
)

// BenchmarkBackupRestore measures a backup and a restore of a realistic
// database on the test database (the embedded one unless
// SOLIDARITY_TEST_MONGODB_URI names a server): 3 campaigns, 50,000
// signatures sealed as the app seals them, one in ten with a greeting,
// names in several scripts. It reports the backup's and the restore's
// seconds (the restore with its recount) and the file's size. Run it with
//
//	go test ./app -run '^$' -bench BackupRestore -benchtime 1x -timeout 30m
func BenchmarkBackupRestore(b *testing.B) {
	ctx := context.Background()
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(b)}
	src := dbs.Database(b)
	a, err := app.New(dbs.Wrap(src), k, app.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	const signatures, campaigns, batch = 50000, 3, 1000
	var ids []string
	for i := range campaigns {
		r := campaign.Recipient{ID: fmt.Sprintf("r%d", i), Name: "Ales Bialiatski", Address: []string{"Demo address"}, Country: "BY"}
		if err := a.Campaigns.CreateRecipient(ctx, &r); err != nil {
			b.Fatal(err)
		}
		c := &campaign.Campaign{ID: fmt.Sprintf("c%d", i), Slug: fmt.Sprintf("c%d", i), Title: "Send a message", Letter: "Dear friend,\n\nYou are not forgotten.",
			OrganizerName: "Test NGO", RecipientID: r.ID, OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 7, 12, 0, 0, 0, 0, time.UTC),
			TimeZone: "UTC", Greetings: campaign.Greetings{Enabled: true, MaxLength: 500}}
		if err := a.Campaigns.CreateCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for start := 0; start < signatures; start += batch {
		cid := ids[start/batch%campaigns]
		var sigs []campaign.Signature
		var gs []letters.Greeting
		for i := start; i < start+batch; i++ {
			name := fmt.Sprintf("%s %d", scriptNames[i%len(scriptNames)], i)
			sig := campaign.Signature{ID: fmt.Sprintf("s%07d", i), SignedAt: clk.Now().Add(-time.Duration(i) * time.Second), Source: campaign.SourceWeb,
				HasGreeting: i%10 == 0, Person: campaign.Person{Name: name, City: "Vilnius", Country: []string{"LT", "PL", "BY", "DE", "SE"}[i%5]}}
			sigs = append(sigs, sig)
			if sig.HasGreeting {
				gs = append(gs, letters.Greeting{ID: sig.ID, CampaignID: cid, Text: "Тримайтеся! We are with you, " + name + ". Свабоду!",
					Status: letters.StatusApproved, CreatedAt: sig.SignedAt, Checked: true})
			}
		}
		if _, err := a.Signing.AddSignatures(ctx, cid, sigs); err != nil {
			b.Fatal(err)
		}
		if err := a.Greetings.Insert(ctx, gs); err != nil {
			b.Fatal(err)
		}
	}
	if err := a.Signing.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.backup.age")
	b.ResetTimer()
	for range b.N {
		os.Remove(path)
		began := time.Now()
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := backup.Write(ctx, src, f, []age.Recipient{id.Recipient()}, clk.Now())
		if err := errorsJoin(err, f.Close()); err != nil {
			b.Fatal(err)
		}
		backupTook := time.Since(began)

		dst := dbs.Database(b)
		d, err := app.New(dbs.Wrap(dst), k, app.Options{Now: clk.Now})
		if err != nil {
			b.Fatal(err)
		}
		ms := d.Migrations()
		began = time.Now()
		vf, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := backup.Verify(vf, []age.Identity{id}); err != nil {
			b.Fatal(err)
		}
		vf.Close()
		verifyTook := time.Since(began)
		began = time.Now()
		open := func() (io.ReadCloser, error) { return os.Open(path) }
		if _, err := backup.Restore(ctx, dst, open, []age.Identity{id}, backup.RestoreOptions{MaxSchema: ms[len(ms)-1].Version}); err != nil {
			b.Fatal(err)
		}
		loadTook := time.Since(began)
		if _, err := d.AfterRestore(ctx); err != nil {
			b.Fatal(err)
		}
		restoreTook := time.Since(began)
		b.ReportMetric(verifyTook.Seconds(), "verify-s")
		b.ReportMetric(loadTook.Seconds(), "load-s")
		b.ReportMetric(backupTook.Seconds(), "backup-s")
		b.ReportMetric(restoreTook.Seconds(), "restore-s")
		b.ReportMetric(float64(sum.Bytes)/1e6, "file-MB")
		b.ReportMetric(float64(sum.Documents), "documents")
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
