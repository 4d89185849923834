package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/metrics"
	"github.com/solidarity-letters/solidarity/internal/testdb"
)

// The queue depths count what waits: a bundle asked for, a signature
// waiting for its supporter's confirmation and its message still to be
// composed, then that message in the mail queue; the campaigns' counts
// and the signing's batches are in the same scrape.
func TestCountQueues(t *testing.T) {
	t.Parallel()
	env := newWorkerEnv(t)
	m := metrics.New()
	k := keys.Keys{Email: []byte("0123456789abcdef0123456789abcdef"), Form: []byte("fedcba9876543210fedcba9876543210"), Data: testdb.Keys(t)}
	a, err := app.New(dbs.Wrap(env.db), k, app.Options{Now: env.clock.Now, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := addCampaign(t, a, "depths")
	if err := a.Signing.Refresh(t.Context()); err != nil { // the campaign list in memory
		t.Fatal(err)
	}
	sign(t, a, c, "counted@example.org")
	c.ConfirmEmail = true
	sign(t, a, c, "pending@example.org")
	if _, err := a.Bundles.Enqueue(t.Context(), c, bundle.Options{}, "admin@example.org"); err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		t.Helper()
		if err := a.CountQueues(t.Context()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	check := func(scraped string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(scraped, w+"\n") {
				t.Errorf("the scrape lacks %s", w)
			}
		}
		if t.Failed() {
			t.Fatal(scraped)
		}
	}
	check(scrape(),
		`solidarity_queue_depth{queue="bundles",state="queued"} 1`,
		`solidarity_queue_depth{queue="print_runs",state="queued"} 0`,
		`solidarity_queue_depth{queue="pending_signatures",state="awaiting"} 1`,
		`solidarity_queue_depth{queue="confirmations",state="waiting"} 1`,
		`solidarity_queue_depth{queue="mail",state="waiting"} 0`,
		`solidarity_campaign_signatures{campaign="depths"} 1`,
		`solidarity_write_batch_size_count{kind="signatures"} 1`,
		`solidarity_write_batch_size_count{kind="pending_signatures"} 1`,
	)
	if n := confirmations(t, a); n != 1 {
		t.Fatalf("the worker queued %d messages, want 1", n)
	}
	env.clock.Add(campaign.PendingKeep + time.Hour) // unconfirmed: for the cleanup
	check(scrape(),
		`solidarity_queue_depth{queue="confirmations",state="waiting"} 0`,
		`solidarity_queue_depth{queue="mail",state="waiting"} 1`,
		`solidarity_queue_depth{queue="pending_signatures",state="awaiting"} 0`,
		`solidarity_queue_depth{queue="pending_signatures",state="expired"} 1`,
	)
}
