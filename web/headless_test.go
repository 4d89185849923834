package web_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's headless-capable browser, which CI installs.
const chromium = "/usr/bin/chromium"

// headless is a Chromium window driven by a test, for at most a minute.
type headless struct {
	t   *testing.T
	ctx context.Context
}

// newHeadless starts Chromium with a window of width×height, closed when
// the test ends. Without Chromium the test is skipped, except on CI.
func newHeadless(t *testing.T, width, height int) *headless {
	t.Helper()
	return newHeadlessFor(t, width, height, 60*time.Second)
}

// newHeadlessFor is newHeadless for a test that drives the browser for up
// to limit.
func newHeadlessFor(t *testing.T, width, height int, limit time.Duration) *headless {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must install chromium: %v", err)
		}
		t.Skipf("no browser: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	return &headless{t: t, ctx: ctx}
}

// do runs steps, failing the test with what it was for.
func (b *headless) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression of string value in the page.
func (b *headless) eval(what, expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// poll evaluates expr in the page until it is true, for at most 20 s.
func (b *headless) poll(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// An evaluation that meets the navigation it waits for fails
		// ("Inspected target navigated or closed"): not yet, as a false.
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			if err != nil {
				b.t.Fatalf("%s: %v", what, err)
			}
			b.t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
