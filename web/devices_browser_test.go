package web_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/solidarity-letters/solidarity/account"
)

// frameIn is a query option for the document of the page's first iframe.
func frameIn(t *testing.T, ctx context.Context) chromedp.QueryOption {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe")))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("find the frame: %v", err)
	}
	return chromedp.FromNode(nodes[0])
}

// fillWidgetForm fills in the widget's sign form, inside the frame in, as a
// supporter does.
func fillWidgetForm(in chromedp.QueryOption) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.CSS("#f-name"), in),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Anna Nowak", in),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "anna@example.org", in),
		chromedp.SetValue(chromedp.CSS("#f-country"), "PL", in),
		chromedp.Click(chromedp.CSS("#f-consent"), in),
	}
}

// On a phone, a partner's page longer than the screen: the supporter
// scrolls down to the widget and signs; the frame shrinks to its thanks,
// and the loader scrolls the thanks into view instead of leaving it above
// the screen. The first load scrolls nothing.
func TestWidgetThanksInViewOnAPhone(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "long", nil)
	news := strings.Repeat("<p>News from the partner: a report, an appeal and a concert for the prisoners' families.</p>\n", 20)
	hostURL := servePartner(t, map[string]string{"/": fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Partner</title></head><body>
<h1>Partner NGO</h1>
%[2]s<script src="%[1]s/widget.js" data-campaign="long" async></script>
%[2]s</body></html>`, s.URL, news)})

	b := newHeadless(t, 360, 640)
	ctx, do, eval, poll := b.ctx, b.do, b.eval, b.poll
	do("open the partner's page on a phone", chromedp.EmulateViewport(360, 640),
		chromedp.Navigate(hostURL), chromedp.WaitReady(chromedp.CSS("iframe")))
	poll("the frame sizes itself to the form", `document.querySelector('iframe').getAttribute('height') !== '720'`)
	form := eval("measure the frame", `document.querySelector('iframe').getAttribute('height')`)
	if got := eval("where the page is", `String(scrollY)`); got != "0" {
		t.Errorf("the first load scrolled the partner's page to %s, want 0", got)
	}

	in := frameIn(t, ctx)
	do("fill in the form inside the frame", fillWidgetForm(in)...)
	s.Clock.Set(s.Clock.Now().Add(time.Minute)) // a person takes time to fill in the form
	do("sign", chromedp.Click(chromedp.CSS("button[type=submit]"), in))
	poll("the frame shrinks to the thanks", fmt.Sprintf(`+document.querySelector('iframe').getAttribute('height') < %s`, form))
	if s.Service.Count(camp.ID) != 1 {
		t.Fatalf("%d signatures, want 1", s.Service.Count(camp.ID))
	}

	// The frame's top is on the screen, and so is the thanks inside it.
	if got := eval("where the frame is", `(() => {
		const r = document.querySelector('iframe').getBoundingClientRect();
		return r.top > -1 && r.top < innerHeight ? 'in view' : 'top at ' + r.top + ' of ' + innerHeight;
	})()`); got != "in view" {
		t.Errorf("after signing, the frame's %s", got)
	}
	box, err := chromedp.Run(ctx, chromedp.Dimensions(chromedp.CSS(".embed-thanks h2"), frameIn(t, ctx)))
	if err != nil {
		t.Fatalf("find the thanks: %v", err)
	}
	height, _ := strconv.ParseFloat(eval("the screen's height", `String(innerHeight)`), 64)
	if top, bottom := box.Border[1], box.Border[5]; top < -1 || bottom > height {
		t.Errorf("the thanks is at %.0f–%.0f px, want within the screen's %.0f px", top, bottom, height)
	}
}

// uiLanguages are the languages the site speaks.
var uiLanguages = []string{"en", "be", "ru", "uk", "pl", "lt", "sv", "de", "fr"}

// iframeSnippetRE finds the plain <iframe> snippet on the embed builder.
var iframeSnippetRE = regexp.MustCompile(`&lt;iframe .*?&lt;/iframe&gt;`)

// The plain <iframe> snippet, for sites that run no scripts, is tall enough
// for the whole form on a phone and on a desktop, in every language.
func TestIFrameSnippetShowsTheWholeForm(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "plain", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	page := `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Partner</title></head><body>
<h1>Partner NGO</h1>`
	for _, lang := range uiLanguages {
		builder := org.get(t, "/admin/campaigns/"+camp.ID+"/embed?lang="+lang)
		snippet := iframeSnippetRE.FindString(builder.Body)
		if snippet == "" {
			t.Fatalf("no iframe snippet on the builder (%s, status %d)", lang, builder.Status)
		}
		page += "\n" + html.UnescapeString(snippet)
	}
	hostURL := servePartner(t, map[string]string{"/": page + "</body></html>"})

	// Each frame's page, opened on its own at the frame's width, must fit
	// the frame's height.
	type frame struct {
		Src           string
		Width, Height float64
	}
	b := newHeadless(t, 360, 640)
	ctx, do, eval := b.ctx, b.do, b.eval
	for _, screen := range []struct{ w, h int64 }{{360, 640}, {1280, 800}} {
		do("open the partner's page", chromedp.EmulateViewport(screen.w, screen.h),
			chromedp.Navigate(hostURL), chromedp.WaitReady(chromedp.CSS("iframe")))
		frames, err := chromedp.Run(ctx, chromedp.Evaluate[[]frame](`[...document.querySelectorAll('iframe')].map(f => ({Src: f.src, Width: f.clientWidth, Height: f.clientHeight}))`))
		if err != nil || len(frames) != len(uiLanguages) {
			t.Fatalf("read the frames: %v (%d frames)", err, len(frames))
		}
		for i, f := range frames {
			do("open the frame's page", chromedp.EmulateViewport(int64(f.Width), screen.h),
				chromedp.Navigate(f.Src), chromedp.WaitReady(chromedp.CSS("button[type=submit]")))
			form, _ := strconv.ParseFloat(eval("measure the form", `String(document.documentElement.getBoundingClientRect().height)`), 64)
			t.Logf("%d px screen, %s: the form is %.0f px tall, the frame %.0f px", screen.w, uiLanguages[i], form, f.Height)
			if form > f.Height {
				t.Errorf("%d px screen, %s: the form is %.0f px tall, taller than the frame's %.0f px", screen.w, uiLanguages[i], form, f.Height)
			}
		}
	}
}

// On a phone, check boxes and radio buttons are targets of at least 24 by
// 24 px (WCAG 2.2, 2.5.8), and the whole row of their label is clickable:
// on the campaign page's form and in the widget.
func TestCheckTargetsOnAPhone(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "targets", nil)

	b := newHeadless(t, 360, 640)
	do, eval := b.do, b.eval
	// Every visible check box and radio button: its box, and what is under
	// the gap between it and its label's text.
	measure := `(() => {
		const bad = [];
		let n = 0;
		for (const i of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
			const r = i.getBoundingClientRect();
			if (r.width === 0 || getComputedStyle(i).visibility === 'hidden') continue;
			n++;
			if (r.width < 24 || r.height < 24) bad.push(i.id + ' is ' + r.width + '×' + r.height);
			const l = i.labels[0];
			if (!l) { bad.push(i.id + ' has no label'); continue; }
			const lr = l.getBoundingClientRect();
			if (lr.height < 24) bad.push(i.id + "'s label is " + lr.height + ' px tall');
			i.scrollIntoView({ block: 'center' });
			const b = i.getBoundingClientRect();
			const gap = document.elementFromPoint(b.right + 2, b.top + b.height / 2);
			if (gap !== i && !l.contains(gap)) bad.push('the gap after ' + i.id + ' is ' + (gap ? gap.tagName + '.' + gap.className : 'nothing'));
		}
		return n === 0 ? 'no check boxes' : bad.join('; ');
	})()`
	for _, path := range []string{"/c/targets", "/embed/targets"} {
		do("open "+path, chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.URL+path), chromedp.WaitReady(chromedp.CSS("button[type=submit]")))
		if got := eval("measure the check boxes", measure); got != "" {
			t.Errorf("%s: %s", path, got)
		}
	}
}

// On a phone, the console's signature list and audit log scroll their
// tables inside a focusable region, never the whole page sideways.
func TestConsoleTablesFitAPhone(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	camp := s.addCampaign(t, "tables", nil)
	res := s.post(t, "/c/tables/sign", signForm(s.token(t, "tables"), nil))
	if res.Status != 303 {
		t.Fatalf("sign: status %d", res.Status)
	}
	s.loginAs(t, account.RoleAdmin) // creates the account

	b := newHeadless(t, 360, 640)
	do, eval, poll := b.do, b.eval, b.poll
	do("sign in", chromedp.EmulateViewport(360, 640), chromedp.Navigate(s.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-email")),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "admin@example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), testPassword),
		chromedp.Submit(chromedp.CSS("#f-password")))
	poll("the console opens", `location.pathname !== '/admin/login' && document.readyState === 'complete'`)
	for _, path := range []string{"/admin/campaigns/" + camp.ID + "/signatures", "/admin/audit"} {
		do("open "+path, chromedp.Navigate(s.URL+path), chromedp.WaitReady(chromedp.CSS("table")))
		if got := eval("measure the page", `(() => {
			const w = document.documentElement.scrollWidth;
			return w <= innerWidth ? '' : 'the page is ' + w + ' px wide on a ' + innerWidth + ' px screen';
		})()`); got != "" {
			t.Errorf("%s: %s", path, got)
		}
		if got := eval("find the tables' regions", `[...document.querySelectorAll('table')].map(t => {
			const w = t.closest('.table-wrap');
			if (!w) return 'a table outside a .table-wrap';
			if (w.tabIndex !== 0 || w.getAttribute('role') !== 'region') return 'a .table-wrap without tabindex=0 and role=region';
			const l = document.getElementById(w.getAttribute('aria-labelledby'));
			return l && l.textContent.trim() ? '' : 'a .table-wrap without a label';
		}).filter(Boolean).join('; ')`); got != "" {
			t.Errorf("%s: %s", path, got)
		}
	}
}
