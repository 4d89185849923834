package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/web"
)

// faultTimeout is the database deadline of the fault tests' requests,
// production's (newSite's is longer).
const faultTimeout = web.DefaultDBTimeout

// newFaultySite is newSite through a fault proxy, with the production
// database deadline.
func newFaultySite(t *testing.T) (*testdb.Proxy, *site) {
	t.Helper()
	p, db := dbs.Faulty(t)
	return p, newSiteWith(t, db.Database, func(cfg *web.Config) { cfg.DBTimeout = faultTimeout })
}

// slack is what an answer may take beyond its deadline on a loaded test
// machine: rendering the page, scheduling.
const slack = 2 * time.Second

// signAll sends n sign forms at once, each with its own form token and
// email address and Accept-Language, and returns the answers and how long
// the slowest took.
func signAll(t *testing.T, s *site, c *campaign.Campaign, n int, lang string) ([]response, time.Duration) {
	t.Helper()
	res := make([]response, n)
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			res[i] = s.post(t, "/c/"+c.Slug+"/sign", signForm(s.freshToken(c.ID), func(v url.Values) {
				v.Set("email", fmt.Sprintf("load%d-%d@example.org", time.Now().UnixNano(), i))
			}), "Accept-Language", lang)
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	var slowest time.Duration
	for _, d := range took {
		slowest = max(slowest, d)
	}
	return res, slowest
}

// The database stops while supporters sign: every request is answered
// within the database deadline with a 503 page in the reader's language
// and Retry-After, the API with its error shape, /readyz says why; when
// the database returns, the same server signs again by itself.
func TestDatabaseStopsUnderLoad(t *testing.T) {
	p, s := newFaultySite(t)
	c := s.addCampaign(t, "stops", nil)
	key := s.addPartner(t, "ngo", "https://ngo.example.org")

	p.Stop()
	res, slowest := signAll(t, s, c, 20, "de")
	for i, r := range res {
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Fatalf("sign %d while the database is stopped: %d, Retry-After %q; want 503 with Retry-After\n%s", i, r.Status, r.Header.Get("Retry-After"), s.Logs.String())
		}
		if !strings.Contains(r.Body, "Diese Seite ist kurz nicht erreichbar") {
			t.Fatalf("503 page in German does not say so:\n%s", r.Body)
		}
	}
	if limit := faultTimeout + slack; slowest > limit {
		t.Errorf("slowest answer while the database is stopped took %v, want at most %v", slowest, limit)
	}
	api := s.apiPost(t, c.Slug, key, sigJSON("olga@example.org", nil))
	if code, _ := apiErr(t, api); api.Status != http.StatusServiceUnavailable || code != "service_unavailable" || api.Header.Get("Retry-After") == "" {
		t.Errorf("API sign while the database is stopped: %d %q, Retry-After %q; want 503 service_unavailable", api.Status, code, api.Header.Get("Retry-After"))
	}
	ready := s.get(t, "/readyz")
	if ready.Status != http.StatusServiceUnavailable || !strings.HasPrefix(ready.Body, "database unreachable: ") {
		t.Errorf("/readyz while the database is stopped: %d %q", ready.Status, ready.Body)
	}
	if strings.Contains(s.Logs.String(), "load") {
		t.Error("the log holds an email address of a failed signature")
	}

	p.Resume()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if r := s.get(t, "/readyz"); r.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz not ok within 30 s of the database's return")
		}
	}
	res, _ = signAll(t, s, c, 5, "en")
	for i, r := range res {
		if r.Status != http.StatusSeeOther {
			t.Errorf("sign %d after the database returned: %d, want 303", i, r.Status)
		}
	}
}

// A database that answers too slowly: requests still end at their
// deadline, and once it is over the goroutines go back to their number
// before: no request, driver connection or proxy copy is left waiting.
func TestSlowDatabaseTimeoutsHold(t *testing.T) {
	p, s := newFaultySite(t)
	c := s.addCampaign(t, "slow", nil)
	// The same load once on a healthy database, so that the driver's pool
	// and the server's workers are as large as they will be.
	if res, _ := signAll(t, s, c, 20, "en"); res[0].Status != http.StatusSeeOther {
		t.Fatalf("sign on a healthy database: %d\n%s", res[0].Status, s.Logs.String())
	}
	s.client.CloseIdleConnections()
	before := settledGoroutines(0, 0)

	p.Slow(2 * faultTimeout)
	res, slowest := signAll(t, s, c, 20, "fr")
	for i, r := range res {
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "momentanément indisponible") {
			t.Fatalf("sign %d on a slow database: %d, want the 503 page in French", i, r.Status)
		}
	}
	if limit := faultTimeout + slack; slowest > limit {
		t.Errorf("slowest answer on a slow database took %v, want at most %v", slowest, limit)
	}
	p.Resume()
	s.client.CloseIdleConnections()
	after := settledGoroutines(before, 10*time.Second)
	t.Logf("slowest answer %v; goroutines %d before, %d after", slowest.Round(time.Millisecond), before, after)
	if after > before {
		t.Errorf("goroutines: %d before the slow database, %d 10 s after it recovered", before, after)
	}
}

// settledGoroutines returns the number of goroutines once it is at most
// want, or when it has not changed for half a second, or at the deadline.
func settledGoroutines(want int, within time.Duration) int {
	deadline := time.Now().Add(within)
	n, same := runtime.NumGoroutine(), 0
	for {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if want > 0 && m <= want {
			return m
		}
		if m == n {
			same++
		} else {
			n, same = m, 0
		}
		if (want == 0 && same >= 10) || (want > 0 && time.Now().After(deadline)) {
			return m
		}
	}
}
