package pdf

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkRender prints bundles of 1k, 10k and 100k signatures plus 10%
// greetings in both layouts ("list", "postcards"), and of signatures alone
// ("rows", what testdata/compare-chromium.sh compares with Chromium). It
// reports pages/s, the peak Go heap sampled every 5 ms, and, on Linux, the
// peak resident set size of the process during the run (reset before each
// size through /proc/self/clear_refs).
//
//	go test -run '^$' -bench . ./pdf/
func BenchmarkRender(b *testing.B) {
	for _, group := range []string{"list", "postcards", "rows"} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%dk", group, n/1000), func(b *testing.B) {
				bundle := testBundle(n, n/10)
				switch group {
				case "postcards":
					bundle.Layout = LayoutPostcards
				case "rows":
					bundle.Greetings = nil
				}
				runtime.GC()
				resetPeakRSS()
				peak := sampleHeap()
				pages := 0
				for b.Loop() {
					man, err := Render(context.Background(), bundle, io.Discard)
					if err != nil {
						b.Fatal(err)
					}
					pages = man.Pages
				}
				heap := peak()
				b.ReportMetric(float64(pages)*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
				b.ReportMetric(float64(pages), "pages")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
				if rss, ok := peakRSS(); ok {
					b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
				}
			})
		}
	}
}

// sampleHeap samples the heap in use until the returned function is
// called, which returns the largest value seen.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	read := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		read()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// set size, where Linux allows it.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes.
func peakRSS() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
