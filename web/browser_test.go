package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A partner's page on another origin embeds the widget with one script
// tag: the frame sizes itself, a supporter signs inside it, the counts go
// up, and the partner's own script cannot read the form.
func TestWidgetInARealBrowser(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "widget", nil)

	// The partner's page, on a second port: another origin.
	host := fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title></head><body>
<h1>Partner NGO</h1><p id="before">Before the widget.</p>
<script>
// The height the loader gives the frame before the frame reports its own.
new MutationObserver((records, obs) => {
	for (const r of records) for (const n of r.addedNodes) if (n.tagName === 'IFRAME') { window.firstHeight = n.getAttribute('height'); obs.disconnect() }
}).observe(document.body, { childList: true });
</script>
<script src="%[1]s/widget.js" data-campaign="widget" data-theme="light" async></script>
<p id="after">After the widget.</p>
<img id="badge" alt="" src="%[1]s/c/widget/badge.svg">
</body></html>`, s.URL)
	hostURL := servePartner(t, map[string]string{"/": host})

	b := newHeadless(t, 1024, 900)
	ctx, do, eval, poll := b.ctx, b.do, b.eval, b.poll

	do("open the partner's page", chromedp.Navigate(hostURL), chromedp.WaitReady(chromedp.CSS("iframe")))
	poll("the loader places the frame", `typeof window.firstHeight === 'string'`)
	initial := eval("read the frame's first height", `window.firstHeight`)
	poll("the badge loads", `document.getElementById('badge').complete && document.getElementById('badge').naturalWidth > 0`)
	badgeBefore := eval("measure the badge", `String(document.getElementById('badge').naturalWidth)`)
	poll("the frame sizes itself to its content",
		fmt.Sprintf(`(() => { const f = document.querySelector('iframe'); return f.getAttribute('height') !== %q && +f.height > 100 })()`, initial))

	placement := eval("list the host page's elements",
		`[...document.body.children].map(e => e.tagName + (e.id ? '#' + e.id : '')).join(' ')`)
	if want := "H1 P#before SCRIPT SCRIPT IFRAME P#after IMG#badge"; placement != want {
		t.Errorf("host page is %q, want %q", placement, want)
	}
	src := eval("read the frame's address", `document.querySelector('iframe').src`)
	if want := s.URL + "/embed/widget?origin=" + url.QueryEscape(hostURL) + "&theme=light"; src != want {
		t.Errorf("iframe src %q, want %q", src, want)
	}

	leak := eval("the partner's script tries to read the form", `(() => {
		try {
			const d = document.querySelector('iframe').contentDocument;
			if (d === null) return 'null';
			return d.querySelector('input') === null ? 'no input' : 'read the form';
		} catch (e) { return 'threw' }
	})()`)
	if leak != "null" && leak != "threw" {
		t.Errorf("host page reading the iframe: %q, want null or an exception", leak)
	}

	in := frameIn(t, ctx)
	do("fill in the form inside the frame", fillWidgetForm(in)...)
	s.Clock.Set(s.Clock.Now().Add(time.Minute)) // a person takes time to fill in the form
	do("sign", chromedp.Click(chromedp.CSS("button[type=submit]"), in))

	deadline := time.Now().Add(20 * time.Second)
	for s.Service.Count(camp.ID) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no signature arrived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var thanks string
	for {
		tctx, tcancel := context.WithTimeout(ctx, 2*time.Second)
		var err error
		thanks, err = chromedp.Run(tctx, chromedp.Text(chromedp.CSS(".embed-thanks h2"), frameIn(t, ctx)))
		tcancel()
		if err == nil && thanks != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frame never showed its thanks: %v", err)
		}
	}
	if want := "Thank you. Your name is on the letter."; thanks != want {
		t.Errorf("thanks %q, want %q", thanks, want)
	}

	res := s.get(t, "/api/v1/campaigns/widget")
	var api map[string]any
	if err := json.Unmarshal([]byte(res.Body), &api); err != nil {
		t.Fatalf("API: status %d: %v", res.Status, err)
	}
	if got, _ := api["signatures"].(float64); got != 1 {
		t.Errorf("API counts %v signatures, want 1", api["signatures"])
	}

	// The badge's text changes from "0 signatures" to "1 signature": its
	// width does too.
	eval("reload the badge", `document.getElementById('badge').src += '?again'`)
	poll("the badge shows the new count", fmt.Sprintf(
		`(() => { const b = document.getElementById('badge'); return b.complete && b.naturalWidth > 0 && String(b.naturalWidth) !== %q })()`, badgeBefore))
}

// servePartner serves pages, by path, as a partner's website on another
// origin than the site's (a second port), and returns its address.
func servePartner(t *testing.T, pages map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
