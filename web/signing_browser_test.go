package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A supporter signs a campaign's page in the browser: on a phone and a
// desktop, in English and Belarusian, with the keyboard only, and without
// JavaScript. Sent empty, the form comes back with an error summary that is
// announced (role=alert) and, with scripts, focused; filled in, it thanks
// them in their language and the count rises.
func TestSigningInTheBrowser(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	b := newHeadless(t, 1280, 800)
	do, eval, poll := b.do, b.eval, b.poll
	shots := t.TempDir()

	for i, c := range []struct {
		name     string
		width    int64
		lang     string
		keyboard bool
		noJS     bool
	}{
		{"phone en", 360, "en", false, false},
		{"desktop be", 1280, "be", false, false},
		{"keyboard phone be", 360, "be", true, false},
		{"keyboard desktop en", 1280, "en", true, false},
		{"no JavaScript phone en", 360, "en", false, true},
		{"no JavaScript desktop be", 1280, "be", false, true},
	} {
		slug := fmt.Sprintf("sign%d", i)
		camp := s.addCampaign(t, slug, nil)
		what := func(s string) string { return c.name + ": " + s }

		do(what("set up the browser"), scripts(!c.noJS),
			chromedp.EmulateViewport(c.width, 800),
			chromedp.Navigate(s.URL+"/c/"+slug+"?lang="+c.lang),
			chromedp.WaitReady(chromedp.CSS("#f-name")),
			// The browser's own checks would stop an empty form before the
			// server sees it; the server's summary is what is tested here.
			chromedp.SetAttributeValue(chromedp.CSS(`form[action$="/sign#sign"]`), "novalidate", ""))

		// Sent empty.
		s.Clock.Set(s.Clock.Now().Add(time.Minute))
		if c.keyboard {
			tabTo(b, what("reach the button"), `form[action$="/sign#sign"] button[type=submit]`)
			do(what("send it empty"), chromedp.KeyEvent(kb.Enter))
		} else {
			do(what("send it empty"), chromedp.Click(chromedp.CSS(`form[action$="/sign#sign"] button[type=submit]`)))
		}
		poll(what("the error summary"), `!!document.querySelector('.sign .error-summary')`)
		if got := eval(what("the summary's role"), `document.querySelector('.sign .error-summary').getAttribute('role') || ''`); got != "alert" {
			t.Errorf("%s: the error summary's role is %q, want alert", c.name, got)
		}
		if got := eval(what("the language"), `document.documentElement.lang`); got != c.lang {
			t.Errorf("%s: the error page is in %q, want %q", c.name, got, c.lang)
		}
		if c.noJS {
			// Nothing moves focus, but the #sign link lands on the section
			// whose first content is the summary under its heading.
			// sign.js, which sets the summary's tabindex, did not run.
			if got := eval(what("where the summary is"), `(() => {
				const sec = document.getElementById('sign'), sum = sec.querySelector('.error-summary');
				const first = [...sec.children].find(e => e.tagName !== 'H2');
				return location.hash + ' ' + (first === sum) + ' ' + sum.hasAttribute('tabindex');
			})()`); got != "#sign true false" {
				t.Errorf("%s: the summary is not first in the section the page lands on: %s", c.name, got)
			}
		} else {
			poll(what("focus on the summary"), `!!document.activeElement && !!document.activeElement.closest('.error-summary')`)
		}
		if s.Service.Count(camp.ID) != 0 {
			t.Fatalf("%s: an empty form was signed", c.name)
		}

		// Filled in.
		if c.keyboard {
			typeInto(b, what("the name"), "#f-name", "Anna Nowak")
			typeInto(b, what("the email"), "#f-email", "anna@example.org")
			option := eval(what("the country's name"), `document.querySelector('#f-country option[value=PL]').text`)
			typeInto(b, what("the country"), "#f-country", option)
			if got := eval(what("the country chosen"), `document.querySelector('#f-country').value`); got != "PL" {
				t.Fatalf("%s: typing %q chose the country %q", c.name, option, got)
			}
			tabTo(b, what("reach consent"), "#f-consent")
			do(what("tick consent"), chromedp.KeyEvent(" "))
			tabTo(b, what("reach the button"), `form[action$="/sign#sign"] button[type=submit]`)
			s.Clock.Set(s.Clock.Now().Add(time.Minute))
			do(what("sign"), chromedp.KeyEvent(kb.Enter))
		} else {
			do(what("fill in the form"),
				chromedp.SendKeys(chromedp.CSS("#f-name"), "Anna Nowak"),
				chromedp.SendKeys(chromedp.CSS("#f-email"), "anna@example.org"),
				chromedp.SetValue(chromedp.CSS("#f-country"), "PL"),
				chromedp.Click(chromedp.CSS("#f-consent")))
			s.Clock.Set(s.Clock.Now().Add(time.Minute))
			do(what("sign"), chromedp.Click(chromedp.CSS(`form[action$="/sign#sign"] button[type=submit]`)))
		}
		poll(what("the thanks"), `location.pathname.endsWith('/thanks')`)
		do(what("the thanks loads"), chromedp.WaitReady(chromedp.CSS("h1")))
		if got := eval(what("the language"), `document.documentElement.lang`); got != c.lang {
			t.Errorf("%s: the thanks is in %q, want %q", c.name, got, c.lang)
		}
		if n := s.Service.Count(camp.ID); n != 1 {
			t.Errorf("%s: %d signatures, want 1", c.name, n)
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: a PNG
		if err != nil {
			t.Fatalf("%s: %v", what("take a screenshot"), err)
		}
		if err := os.WriteFile(filepath.Join(shots, slug+".png"), png, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: signed; the thanks is %s", c.name, filepath.Join(shots, slug+".png"))
	}
	do("turn scripts back on", scripts(true))
}

// scripts turns the page's JavaScript on or off, as a browser's setting.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// tabTo presses Tab until the element matching sel has focus.
func tabTo(b *headless, what, sel string) {
	b.t.Helper()
	for range 80 {
		if b.eval(what, fmt.Sprintf(`String(document.activeElement === document.querySelector(%q))`, sel)) == "true" {
			return
		}
		b.do(what, chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("%s: Tab never reached %s", what, sel)
}

// typeInto reaches the field with Tab and types text into it.
func typeInto(b *headless, what, sel, text string) {
	b.t.Helper()
	tabTo(b, what, sel)
	b.do(what, chromedp.KeyEvent(text))
}
