package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// sign.js shows the notices as the supporter types, on a phone-sized
// screen: a name that cannot be printed, then a country whose signers are
// at risk; the name choice follows until the supporter makes one.
// SOLIDARITY_SCREENSHOTS=<dir> keeps screenshots of the form.
func TestSignNoticesInABrowser(t *testing.T) {
	// Not parallel: one headless browser at a time.
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)

	b := newHeadless(t, 390, 844)
	ctx, do, eval, poll := b.ctx, b.do, b.eval, b.poll
	shot := func(name, selector string) {
		t.Helper()
		dir := os.Getenv("SOLIDARITY_SCREENSHOTS")
		if dir == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector)))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	choice := `document.querySelector('input[name=display]:checked').value`

	do("open the campaign on a phone-sized screen", chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/c/ales#sign"), chromedp.WaitVisible(chromedp.CSS("#f-name")))
	if got := eval("the notices start hidden", `String(document.getElementById('safety-unprintable').hidden && document.getElementById('safety-risk').hidden)`); got != "true" {
		t.Fatal("a notice shows before anything is typed")
	}
	do("type a name in Japanese", chromedp.SendKeys(chromedp.CSS("#f-name"), "山田太郎"))
	poll("the unprintable-name notice shows", `!document.getElementById('safety-unprintable').hidden`)
	if got := eval("the name choice", choice); got != "country" {
		t.Errorf("the name choice is %q after an unprintable name, want country", got)
	}
	eval("choose Japan", `(() => { const c = document.getElementById('f-country'); c.value = 'JP'; c.dispatchEvent(new Event('change')); return '' })()`)
	if got := eval("read the notice", `document.querySelector('#safety-unprintable p').textContent`); got != "The letter cannot print your name in its alphabet. Your name will be printed as: a supporter from Japan" {
		t.Errorf("notice %q", got)
	}
	shot("sign-unprintable.png", "#sign")

	// A new name in Latin letters hides the notice; the supporter chooses
	// their full name, then Belarus: the choice stays theirs.
	eval("clear the name", `(() => { const n = document.getElementById('f-name'); n.value = ''; n.dispatchEvent(new Event('input')); return '' })()`)
	do("type another name", chromedp.SendKeys(chromedp.CSS("#f-name"), "Hanna K"))
	poll("the unprintable-name notice hides", `document.getElementById('safety-unprintable').hidden`)
	do("choose the full name", chromedp.Click(chromedp.CSS("#f-display-full")))
	eval("choose Belarus", `(() => { const c = document.getElementById('f-country'); c.value = 'BY'; c.dispatchEvent(new Event('change')); return '' })()`)
	poll("the at-risk notice shows", `!document.getElementById('safety-risk').hidden`)
	if got := eval("read the notice", `document.querySelector('#safety-risk h3').textContent`); got != "Signing from Belarus" {
		t.Errorf("at-risk heading %q", got)
	}
	if got := eval("the name choice", choice); got != "full" {
		t.Errorf("the name choice is %q after an explicit choice, want full", got)
	}
	if got := eval("what was shown", `document.querySelector('[data-confirmed]').value`); got != "unprintable risk" {
		t.Errorf("confirmed = %q, want the notices shown", got)
	}

	// On a fresh form, choosing Russia switches the choice.
	do("open the campaign again", chromedp.Navigate(s.URL+"/c/ales?again=1#sign"), chromedp.WaitVisible(chromedp.CSS("#f-name")))
	do("type a name", chromedp.SendKeys(chromedp.CSS("#f-name"), "Irina Petrova"))
	eval("choose Russia", `(() => { const c = document.getElementById('f-country'); c.value = 'RU'; c.dispatchEvent(new Event('change')); return '' })()`)
	poll("the at-risk notice shows", `!document.getElementById('safety-risk').hidden`)
	if got := eval("the name choice", choice); got != "country" {
		t.Errorf("the name choice is %q after choosing Russia, want country", got)
	}
	shot("sign-at-risk.png", "#sign")
}
