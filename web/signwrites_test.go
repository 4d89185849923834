package web_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/solidarity-letters/solidarity/web"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// writeCounter counts the write commands a client sends, by command and
// collection.
type writeCounter struct {
	mu sync.Mutex
	n  map[string]int
	on bool
}

func (w *writeCounter) started(_ context.Context, e *event.CommandStartedEvent) {
	switch e.CommandName {
	case "insert", "update", "delete", "findAndModify":
	default:
		return
	}
	coll, _ := e.Command.Lookup(e.CommandName).StringValueOK()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		w.n[e.CommandName+" "+coll]++
	}
}

// count starts counting from zero (on) or stops and returns the counts.
func (w *writeCounter) count(on bool) map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.n
	w.n, w.on = map[string]int{}, on
	return out
}

// writesDatabase returns a fresh test database through a client of its
// own whose write commands w counts.
func writesDatabase(t testing.TB, w *writeCounter) *mongo.Database {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(&event.CommandMonitor{Started: w.started}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database(dbs.Database(t).Name())
}

// Concurrent sign forms share their writes: the form tokens' spends, the
// signatures and their greetings are each stored in batches, so that 50
// supporters signing at once, one in five with a greeting, cost the
// database fewer write commands than there are signatures. Before the
// tokens' spends and the greetings were batched, each signature made one
// write of its own and each greeting about three more.
func TestConcurrentSigningSharesWrites(t *testing.T) {
	w := &writeCounter{}
	s := newSite(t, writesDatabase(t, w))
	c := s.addCampaign(t, "writes", nil)
	const n = 50
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = s.token(t, c.Slug)
	}
	w.count(true)
	var wg sync.WaitGroup
	status := make([]int, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			status[i] = s.post(t, "/c/"+c.Slug+"/sign", signForm(tokens[i], func(v url.Values) {
				v.Set("email", fmt.Sprintf("writes%d@example.org", i))
				v.Set("greeting", "")
				if i%5 == 0 {
					v.Set("greeting", fmt.Sprintf("Greeting number %d, stay strong.", i))
				}
			})).Status
		})
	}
	close(start)
	wg.Wait()
	counts := w.count(false)
	for i, st := range status {
		if st != http.StatusSeeOther {
			t.Errorf("signature %d: status %d, want %d", i, st, http.StatusSeeOther)
		}
	}
	total := 0
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		total += counts[k]
		lines = append(lines, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	t.Logf("%d write commands for %d signatures (%.2f a signature):\n%s", total, n, float64(total)/n, strings.Join(lines, "\n"))
	if total >= n {
		t.Errorf("%d write commands for %d signatures, want fewer than one a signature", total, n)
	}
	if got := s.Service.Count(c.ID); got != n {
		t.Errorf("count %d, want %d", got, n)
	}
}

// BenchmarkSignOverHTTP signs over real HTTP as the bench's sign measure
// does: 16 clients on 2 cores, each loading the campaign page for a fresh
// form token before each signature, one signature in ten with a greeting.
// It reports the write commands a signature costs beside the time.
func BenchmarkSignOverHTTP(b *testing.B) {
	w := &writeCounter{}
	s := newSiteWith(b, writesDatabase(b, w), func(c *web.Config) { c.MinFillTime = 0 })
	c := s.addCampaign(b, "bench", nil)
	s.Logs.discard = true
	var next atomic.Int64
	w.count(true)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if err := signOnce(s, c.Slug, i); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	total := 0
	counts := w.count(false)
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		total += counts[k]
		lines = append(lines, fmt.Sprintf("%s: %.3f", k, float64(counts[k])/float64(b.N)))
	}
	b.Logf("write commands a signature: %s", strings.Join(lines, ", "))
	b.ReportMetric(float64(total)/float64(b.N), "writes/op")
}

// signOnce loads the campaign page and signs with its token as the i-th
// supporter.
func signOnce(s *site, slug string, i int64) error {
	res, err := s.client.Get(s.URL + "/c/" + slug)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	m := tokenRE.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("no form token (status %d)", res.StatusCode)
	}
	form := signForm(string(m[1]), func(v url.Values) {
		v.Set("email", fmt.Sprintf("bench%d@example.org", i))
		v.Set("greeting", "")
		if i%10 == 0 {
			v.Set("greeting", fmt.Sprintf("Greeting %d, stay strong.", i))
		}
	})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/c/"+slug+"/sign", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	res, err = s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign %d: status %d", i, res.StatusCode)
	}
	return nil
}
