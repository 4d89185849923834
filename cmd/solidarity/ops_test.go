package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

var (
	metricsAtJSON = regexp.MustCompile(`"addr":"(http://[^"]+/metrics)"`)
	emailLike     = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	ipv4Like      = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	ipv6Like      = regexp.MustCompile(`\b[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){2,7}\b`)
)

// scrape reads the metrics at url.
func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %d, %v", url, res.StatusCode, err)
	}
	return string(b)
}

// sample is the value of the series (a name with its labels, as the text
// format writes them: sorted by label name) in a scrape; ok is false when
// the scrape has none.
func sample(scraped, series string) (v float64, ok bool) {
	for line := range strings.SplitSeq(scraped, "\n") {
		if rest, found := strings.CutPrefix(line, series+" "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// A supporter's name, city, email, greeting and network address reach no
// metric: signatures in several scripts, through a trusted proxy that
// names a distinctive client address, leave the metrics without any of
// them, or anything that looks like an address, while the metrics count
// what happened: one signing observation and one request per signature,
// the campaign's count, batches, jobs, queues, database commands, the Go
// runtime and the process. The metrics have a listener of their own that
// stops with the server.
func TestMetricsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const clientIP = "198.51.100.173"
	base, _, stderr, stop := serveOnce(t, map[string]string{"SOLIDARITY_DATA_DIR": dir, "SOLIDARITY_PROOF_OF_WORK": "off",
		"SOLIDARITY_METRICS_ADDR": "127.0.0.1:0", "SOLIDARITY_TRUSTED_PROXIES": "127.0.0.1", "SOLIDARITY_LOG_FORMAT": "json"})
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	m := metricsAtJSON.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", stderr.String())
	}
	metricsURL := m[1]
	const slug = "ales-bialiatski-july"
	db := socketClient(t, dir).Database("solidarity")
	var camp struct {
		ID string `bson:"_id"`
	}
	if err := db.Collection("campaigns").FindOne(t.Context(), bson.M{"slug": slug}).Decode(&camp); err != nil {
		t.Fatalf("demo campaign: %v", err)
	}
	countWithoutConfirmation(t, db, base, camp.ID, slug)

	countSeries := `solidarity_campaign_signatures{campaign="` + slug + `"}`
	batchSeries := `solidarity_write_batch_size_sum{kind="signatures"}`
	before := scrape(t, metricsURL)
	countBefore, ok := sample(before, countSeries)
	if !ok {
		t.Fatalf("no %s in the metrics:\n%s", countSeries, before)
	}
	batchBefore, _ := sample(before, batchSeries)

	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	supporters := []struct{ name, city, email, greeting string }{
		{"Zofia Wiśniewska", "Łódź", "zofia." + unique + "@example.org", "Trzymaj się, jesteśmy z Tobą"},
		{"Аляксандра Караткевіч", "Гродна", "alesia-" + unique + "@example.net", "Трымайся, мы з табой"},
		{"Ελένη Παπαδοπούλου", "Θεσσαλονίκη", "eleni_" + unique + "@mail.example.com", "Κουράγιο, είμαστε μαζί σου"},
		{"ნინო ბერიძე", "ქუთაისი", "nino+" + unique + "@example.org", "გამაგრდი, შენთან ვართ"},
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		req.Header.Set("X-Forwarded-For", clientIP)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	visitor := &browser{base: base, client: http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tokens := make([]string, len(supporters))
	for i := range tokens {
		tokens[i] = visitor.token(t, "/c/"+slug)
	}
	time.Sleep(minFillTime + 200*time.Millisecond) // the forms are old enough to be taken
	for i, s := range supporters {
		status, page := post("/c/"+slug+"/sign", url.Values{"token": {tokens[i]}, "name": {s.name}, "city": {s.city},
			"email": {s.email}, "greeting": {s.greeting}, "country": {"PL"}, "consent": {"yes"}})
		if status != http.StatusSeeOther {
			t.Fatalf("sign as %s: status %d\n%s", s.name, status, page)
		}
	}
	// A page whose path holds what a visitor typed, and no route.
	if status, _ := get(t, base+"/"+url.PathEscape(supporters[0].email)); status != http.StatusNotFound {
		t.Errorf("GET /EMAIL: %d, want 404", status)
	}

	scraped := scrape(t, metricsURL)
	var needles []string
	for _, s := range supporters {
		local, _, _ := strings.Cut(s.email, "@")
		needles = append(needles, s.name, s.city, s.email, local, s.greeting, url.PathEscape(s.email))
		needles = append(needles, strings.Fields(s.name)...)
	}
	needles = append(needles, clientIP)
	for _, n := range needles {
		if strings.Contains(scraped, n) {
			t.Errorf("the metrics hold %q", n)
		}
		if strings.Contains(stderr.String(), n) {
			t.Errorf("the log holds %q", n)
		}
	}
	if e := emailLike.FindString(scraped); e != "" {
		t.Errorf("the metrics hold something like an email address: %q", e)
	}
	if ip := ipv4Like.FindString(scraped); ip != "" {
		t.Errorf("the metrics hold something like an IPv4 address: %q", ip)
	}
	if ip := ipv6Like.FindString(scraped); ip != "" {
		t.Errorf("the metrics hold something like an IPv6 address: %q", ip)
	}

	n := float64(len(supporters))
	for _, tc := range []struct {
		series string
		want   func(v float64) bool
		say    string
	}{
		{`solidarity_sign_duration_seconds_count{outcome="signed",via="form"}`, func(v float64) bool { return v == n }, "one per signature"},
		{`solidarity_http_requests_total{method="POST",route="/c/:slug/sign",status="303"}`, func(v float64) bool { return v == n }, "one per signature"},
		{`solidarity_http_requests_total{method="GET",route="/c/:slug",status="200"}`, func(v float64) bool { return v >= n }, "the forms' pages"},
		{`solidarity_http_requests_total{method="GET",route="other",status="404"}`, func(v float64) bool { return v >= 1 }, "the page without a route"},
		{`solidarity_http_request_duration_seconds_count{method="POST",route="/c/:slug/sign"}`, func(v float64) bool { return v == n }, "one per signature"},
		{countSeries, func(v float64) bool { return v == countBefore+n }, "the count before and the signatures"},
		{batchSeries, func(v float64) bool { return v-batchBefore == n }, "the signatures, batched"},
		{`solidarity_job_duration_seconds_count{job="retention"}`, func(v float64) bool { return v >= 1 }, "the run at start"},
		{`solidarity_job_duration_seconds_count{job="pending_cleanup"}`, func(v float64) bool { return v >= 1 }, "the run at start"},
		{`solidarity_queue_depth{queue="bundles",state="queued"}`, func(v float64) bool { return v == 0 }, "no bundle asked for"},
		{`solidarity_queue_depth{queue="mail",state="waiting"}`, func(v float64) bool { return v >= 0 }, "counted"},
		{`solidarity_queue_depth{queue="pending_signatures",state="awaiting"}`, func(v float64) bool { return v >= 0 }, "counted"},
		{`solidarity_db_command_duration_seconds_count{command="insert"}`, func(v float64) bool { return v >= 1 }, "the signatures' inserts"},
		{`solidarity_db_command_duration_seconds_count{command="find"}`, func(v float64) bool { return v >= 1 }, "reads"},
		{`go_goroutines`, func(v float64) bool { return v > 10 }, "the server's goroutines"},
		{`process_resident_memory_bytes`, func(v float64) bool { return v > 1<<20 }, "the process's memory"},
	} {
		v, ok := sample(scraped, tc.series)
		if !ok || !tc.want(v) {
			t.Errorf("%s = %v (present %v), want %s", tc.series, v, ok, tc.say)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", scraped)
	}

	// Nothing but /metrics on the metrics listener, and no metrics on the
	// public server.
	for _, u := range []string{strings.TrimSuffix(metricsURL, "/metrics") + "/", strings.TrimSuffix(metricsURL, "/metrics") + "/debug/pprof/", base + "/metrics"} {
		if status, _ := get(t, u); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", u, status)
		}
	}
	client.CloseIdleConnections()
	stopped = true
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if res, err := client.Get(metricsURL); err == nil {
		res.Body.Close()
		t.Errorf("the metrics still answer after the server stopped: %d", res.StatusCode)
	}
}

// With SOLIDARITY_LOG_FORMAT=json every log line is a JSON object; a
// failing request's id is the same in its X-Request-Id header, on its
// error page or in its API error, and on its log line.
func TestJSONLogsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	base, _, stderr, stop := serveOnce(t, map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "SOLIDARITY_DEMO": "false",
		"SOLIDARITY_LOG_FORMAT": "json"})
	defer stop()
	type answer struct {
		status int
		id     string
		body   string
	}
	fetch := func(path, lang string) answer {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Language", lang)
		req.Header.Set("X-Request-Id", "chosen-by-the-visitor") // not a trusted proxy: ignored
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return answer{res.StatusCode, res.Header.Get("X-Request-Id"), string(b)}
	}
	page := fetch("/c/no-such-campaign", "de")
	api := fetch("/api/v1/campaigns/no-such-campaign", "en")
	if page.status != http.StatusNotFound || api.status != http.StatusNotFound {
		t.Fatalf("statuses %d and %d, want 404", page.status, api.status)
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, a := range []answer{page, api} {
		if !hexID.MatchString(a.id) {
			t.Errorf("X-Request-Id %q, want 16 hex digits of our own", a.id)
		}
	}
	if page.id == api.id {
		t.Errorf("two requests have the same id %q", page.id)
	}
	if want := "Referenz: " + page.id; !strings.Contains(page.body, want) {
		t.Errorf("the error page does not show %q:\n%s", want, page.body)
	}
	var apiErr struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(api.body), &apiErr); err != nil || apiErr.Error.RequestID != api.id || apiErr.Error.Code != "not_found" {
		t.Errorf("API error %s (%v), want code not_found and request_id %q", api.body, err, api.id)
	}

	// The access log's line of each request carries its id; give the
	// server a moment to write it.
	found := map[string]map[string]any{}
	for deadline := time.Now().Add(5 * time.Second); len(found) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		found = map[string]map[string]any{}
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("a log line is not JSON: %q: %v", sc.Text(), err)
			}
			for _, l := range []string{"time", "level", "msg"} {
				if _, ok := line[l]; !ok {
					t.Fatalf("log line without %q: %s", l, sc.Text())
				}
			}
			if id, _ := line["request_id"].(string); id == page.id || id == api.id {
				found[id] = line
			}
		}
	}
	for _, a := range []answer{page, api} {
		line, ok := found[a.id]
		if !ok {
			t.Errorf("no log line with request_id %q:\n%s", a.id, stderr.String())
			continue
		}
		if line["status"] != float64(http.StatusNotFound) || line["msg"] != "request" {
			t.Errorf("log line of %s: %v, want the request's access line with status 404", a.id, line)
		}
	}
}

// A metrics address other machines could reach stops start-up, unless
// the operator says it is meant.
func TestMetricsRefusePublicAddress(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "SOLIDARITY_METRICS_ADDR": "0.0.0.0:9464"}
	var out syncBuffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "SOLIDARITY_METRICS_ADDR") || !strings.Contains(err.Error(), "loopback") ||
		!strings.Contains(err.Error(), "SOLIDARITY_METRICS_PUBLIC") {
		t.Errorf("serve with the metrics on 0.0.0.0: %v; want a refusal naming the setting and SOLIDARITY_METRICS_PUBLIC", err)
	}
}
