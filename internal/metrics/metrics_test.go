package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/solidarity-letters/solidarity/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", rec.Code, b)
	}
	return string(b)
}

// What is recorded shows in the scrape under bounded labels: unknown
// methods and database commands become "other", and the campaigns'
// counts are read at the scrape.
func TestRecordedValuesAndLabels(t *testing.T) {
	m := metrics.New()
	m.Request("/c/:slug", http.MethodGet, 200, 3*time.Millisecond)
	m.Request("/c/:slug", "BREW", 405, time.Millisecond)
	m.Sign("form", "signed", 20*time.Millisecond)
	m.Batch("signatures", 7)
	m.Job("retention", 2*time.Second, nil)
	m.Job("retention", time.Second, errors.New("database away"))
	m.QueueDepth("mail", "waiting", 12)
	mon := m.CommandMonitor()
	mon.Succeeded(context.Background(), &event.CommandSucceededEvent{CommandFinishedEvent: event.CommandFinishedEvent{CommandName: "insert", Duration: time.Millisecond}})
	mon.Failed(context.Background(), &event.CommandFailedEvent{CommandFinishedEvent: event.CommandFinishedEvent{CommandName: "someNewCommand", Duration: time.Millisecond}})
	counts := map[string]int64{"ales-bialiatski": 3}
	if err := m.WatchCampaigns(func(each func(string, int64)) {
		for slug, n := range counts {
			each(slug, n)
		}
	}); err != nil {
		t.Fatal(err)
	}
	counts["ales-bialiatski"] = 5 // read at the scrape, not at registration
	got := scrape(t, m)
	for _, want := range []string{
		`solidarity_http_requests_total{method="GET",route="/c/:slug",status="200"} 1`,
		`solidarity_http_requests_total{method="other",route="/c/:slug",status="405"} 1`,
		`solidarity_sign_duration_seconds_count{outcome="signed",via="form"} 1`,
		`solidarity_write_batch_size_sum{kind="signatures"} 7`,
		`solidarity_job_duration_seconds_count{job="retention"} 2`,
		`solidarity_job_failures_total{job="retention"} 1`,
		`solidarity_queue_depth{queue="mail",state="waiting"} 12`,
		`solidarity_db_command_duration_seconds_count{command="insert"} 1`,
		`solidarity_db_command_failures_total{command="other"} 1`,
		`solidarity_campaign_signatures{campaign="ales-bialiatski"} 5`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(got, "BREW") || strings.Contains(got, "someNewCommand") {
		t.Errorf("an unexpected name became a label:\n%s", got)
	}
}

// A nil *Metrics records nothing and does not panic: metrics off.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Request("/", http.MethodGet, 200, time.Millisecond)
	m.Sign("form", "signed", time.Millisecond)
	m.Batch("signatures", 1)
	m.Job("bundle", time.Second, nil)
	m.QueueDepth("mail", "waiting", 1)
	m.QueuesCounted(time.Now())
	if m.CommandMonitor() != nil || m.BatchObserver() != nil || m.JobObserver() != nil {
		t.Error("nil metrics hand out observers")
	}
	if err := m.WatchCampaigns(func(func(string, int64)) {}); err != nil {
		t.Error(err)
	}
}

// BenchmarkRequest is what the web layer's metrics cost each request.
func BenchmarkRequest(b *testing.B) {
	m := metrics.New()
	for b.Loop() {
		m.Request("/c/:slug", http.MethodGet, 200, 3*time.Millisecond)
	}
}
