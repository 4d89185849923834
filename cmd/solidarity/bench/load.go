package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// op does one request of a measure and reports whether it got the
// answer the measure expects. Each worker has its own op, so an op may
// keep state (a form token, a counter) without locks.
type op func(ctx context.Context) (bool, error)

// result is what a load run measured.
type result struct {
	ok, failed    int
	elapsed       time.Duration
	p50, p99, max time.Duration
	firstErr      error
}

// rate is the successful requests per second.
func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

func (r result) String() string {
	s := fmt.Sprintf("%.0f/s (p50 %s, p99 %s, max %s)", r.rate(), ms(r.p50), ms(r.p99), ms(r.max))
	if r.failed > 0 {
		s += fmt.Sprintf(", %d failed", r.failed)
	}
	return s
}

// ms prints a duration in milliseconds, or seconds from 10 s.
func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// load runs workers concurrent loops of the op newOp makes for each, for
// duration d: no request starts after d, and those in flight finish (the
// client's timeout bounds them). Latencies are of every request, failed
// ones too.
func load(ctx context.Context, workers int, d time.Duration, newOp func(worker int) op) result {
	ops := make([]op, workers)
	for w := range ops {
		ops[w] = newOp(w)
	}
	lat := make([][]time.Duration, workers)
	oks, fails := make([]int, workers), make([]int, workers)
	errs := make([]error, workers)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(end) {
				t := time.Now()
				ok, err := ops[w](ctx)
				lat[w] = append(lat[w], time.Since(t))
				if ok {
					oks[w]++
					continue
				}
				fails[w]++
				if errs[w] == nil {
					errs[w] = err
				}
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start)}
	var all []time.Duration
	for w := range workers {
		r.ok += oks[w]
		r.failed += fails[w]
		all = append(all, lat[w]...)
		if r.firstErr == nil {
			r.firstErr = errs[w]
		}
	}
	slices.Sort(all)
	if n := len(all); n > 0 {
		r.p50, r.p99, r.max = all[n*50/100], all[min(n-1, n*99/100)], all[n-1]
	}
	return r
}

// newClient is an HTTP client with keep-alive connections for workers
// concurrent requests, that does not follow redirects (a signature's
// answer is the 303 itself).
func newClient(workers int, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        workers,
			MaxIdleConnsPerHost: workers,
			MaxConnsPerHost:     workers,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
