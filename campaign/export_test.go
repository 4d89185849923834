package campaign_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
)

var exportHeader = []string{"signed at", "name", "city", "country", "source", "greeting", "updates", "email"}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Anna", "Anna"},
		{"=1+1", "'=1+1"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+48 123", "'+48 123"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"a=b", "a=b"},
		{"＝HYPERLINK(\"x\")", "'＝HYPERLINK(\"x\")"},
		{"＋1", "'＋1"},
		{" =1", " =1"},
		{"'quoted", "'quoted"},
		{"Ł=ódź", "Ł=ódź"},
	}
	for _, tt := range tests {
		if got := campaign.Neutralise(tt.in); got != tt.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExportCSV(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	c := testCampaign("export", now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	at := time.Date(2027, 6, 19, 21, 5, 7, 0, time.UTC)
	sigs := []campaign.Signature{
		{ID: "a", SignedAt: at, Source: campaign.SourceWeb, Updates: true, Confirmed: true, HasGreeting: true,
			Person: campaign.Person{Name: "=cmd|' /C calc'!A0", City: "+Kraków", Country: "PL", Email: "anna@example.org"}},
		{ID: "b", SignedAt: at.Add(time.Second), Source: campaign.SourceWeb,
			// Stored by mistake without updates: never exported.
			Person: campaign.Person{Name: "Bob, \"the\" builder", City: "-", Country: "DE", Email: "bob@example.org"}},
		{ID: "c", SignedAt: at.Add(2 * time.Second), Source: campaign.SourcePaper,
			Person: campaign.Person{Name: "@Olga", City: "Vilnius", Country: "LT"}},
		{ID: "d", SignedAt: at.Add(3 * time.Second), Source: campaign.SourceWeb, Updates: true,
			// Kept before the campaign asked for confirmation, never
			// confirmed: it may be a stranger's address, never exported.
			Person: campaign.Person{Name: "Dora", Country: "SE", Email: "dora@example.org"}},
	}
	if _, err := svc.AddSignatures(ctx, c.ID, sigs); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddSignatures(ctx, "id-other", []campaign.Signature{{ID: "x", SignedAt: at, Person: campaign.Person{Name: "Other"}}}); err != nil {
		t.Fatal(err)
	}
	for _, emails := range []bool{true, false} {
		t.Run(fmt.Sprint("emails ", emails), func(t *testing.T) {
			var b bytes.Buffer
			n, err := svc.ExportCSV(ctx, &b, c.ID, campaign.ExportOptions{Header: exportHeader, Emails: emails})
			if err != nil || n != 4 {
				t.Fatalf("ExportCSV = %d, %v; want 4 rows", n, err)
			}
			body, ok := strings.CutPrefix(b.String(), "\xef\xbb\xbf")
			if !ok {
				t.Fatalf("no UTF-8 byte order mark: %q", b.String()[:min(10, b.Len())])
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			annaEmail := ""
			if emails {
				annaEmail = "anna@example.org"
			}
			want := [][]string{
				exportHeader,
				{"2027-06-19T21:05:07Z", "'=cmd|' /C calc'!A0", "'+Kraków", "PL", "web", "true", "true", annaEmail},
				{"2027-06-19T21:05:08Z", "Bob, \"the\" builder", "'-", "DE", "web", "false", "false", ""},
				{"2027-06-19T21:05:09Z", "'@Olga", "Vilnius", "LT", "paper", "false", "false", ""},
				{"2027-06-19T21:05:10Z", "Dora", "", "SE", "web", "false", "true", ""},
			}
			if fmt.Sprint(rows) != fmt.Sprint(want) {
				t.Errorf("rows =\n%q\nwant\n%q", rows, want)
			}
			for _, address := range []string{"bob@example.org", "dora@example.org"} {
				if strings.Contains(b.String(), address) {
					t.Errorf("%s was exported: no updates asked, or never confirmed", address)
				}
			}
		})
	}
	if _, err := svc.ExportCSV(ctx, io.Discard, c.ID, campaign.ExportOptions{Header: exportHeader[:3]}); err == nil {
		t.Error("export with 3 column names succeeded")
	}
}

// heapSampler is a writer that measures the live heap now and then while
// an export writes to it.
type heapSampler struct {
	written, next int
	peak          uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.written += len(p)
	if h.written >= h.next {
		h.next = h.written + 64<<10
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.peak = max(h.peak, m.HeapAlloc)
	}
	return len(p), nil
}

// TestExportCSVMemoryIsBounded exports 2,000 and 20,000 signatures and
// compares the live heap while doing so: an export that held its rows
// would need several megabytes more for ten times the rows.
func TestExportCSVMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 22,000 signatures")
	}
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(t, &now, nopGreetings{})
	peaks := map[int]uint64{}
	for _, n := range []int{2000, 20000} {
		id := fmt.Sprintf("mem-%d", n)
		seedSignatures(t, svc, id, n, now.AddDate(0, 0, -1))
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		h := &heapSampler{}
		got, err := svc.ExportCSV(ctx, h, id, campaign.ExportOptions{Header: exportHeader, Emails: true})
		if err != nil || got != int64(n) {
			t.Fatalf("ExportCSV = %d, %v; want %d rows", got, err, n)
		}
		peaks[n] = h.peak - min(h.peak, base.HeapAlloc)
		t.Logf("%d rows, %d KiB written: live heap grew by at most %d KiB (base %d KiB, peak %d KiB)", n, h.written>>10, peaks[n]>>10, base.HeapAlloc>>10, h.peak>>10)
	}
	// 18,000 more signatures are about 4 MiB as decoded structs.
	if peaks[20000] > peaks[2000]+2<<20 {
		t.Errorf("live heap grew by %d KiB for 20,000 rows and %d KiB for 2,000: the export holds its rows",
			peaks[20000]>>10, peaks[2000]>>10)
	}
}

// BenchmarkExportCSV20k exports 20,000 signatures and reports the time and
// allocations per row. The embedded database runs in the test process, so
// its allocations are counted too.
func BenchmarkExportCSV20k(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2027, 6, 20, 12, 0, 0, 0, time.UTC)
	svc := newServiceWith(b, &now, nopGreetings{})
	const rows = 20_000
	seedSignatures(b, svc, "bench-export", rows, now.AddDate(0, 0, -1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if n, err := svc.ExportCSV(ctx, io.Discard, "bench-export", campaign.ExportOptions{Header: exportHeader, Emails: true}); err != nil || n != rows {
			b.Fatalf("ExportCSV = %d, %v", n, err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	perRow := float64(b.N * rows)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/perRow, "allocs/row")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/perRow, "B/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perRow, "ns/row")
}
