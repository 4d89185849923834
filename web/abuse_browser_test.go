package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
)

// Under attack, a supporter's browser does the work the form asks for
// with pow.js and sends the form by itself: they click once and are
// thanked.
func TestProofOfWorkInTheBrowser(t *testing.T) {
	// Not parallel: one headless browser at a time.
	const difficulty = 14
	s := abuseSite(t, func(p *abuse.Policy) {
		p.AttackFloor = 2
		p.Easy.Difficulty = difficulty
	})
	camp := s.addCampaign(t, "ales", nil)
	for i := range 2 {
		if res := signFrom(t, s, "ales", fmt.Sprintf("192.0.2.%d", 10*i), i); res.Status != 303 {
			t.Fatalf("signature %d: status %d", i+1, res.Status)
		}
	}
	b := newHeadless(t, 1280, 800)
	b.do("open the page", scripts(true),
		chromedp.Navigate(s.URL+"/c/ales"),
		chromedp.WaitReady(chromedp.CSS("#f-name")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Anna Nowak"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "anna@example.org"),
		chromedp.SetValue(chromedp.CSS("#f-country"), "PL"),
		chromedp.Click(chromedp.CSS("#f-consent")))
	s.Clock.Set(s.Clock.Now().Add(time.Minute))
	start := time.Now()
	b.do("sign", chromedp.Click(chromedp.CSS(`form[action$="/sign#sign"] button[type=submit]`)))
	b.poll("the thanks, after the work", `location.pathname.endsWith('/thanks')`)
	t.Logf("asked for work of difficulty %d, the browser did it and signed in %v (one click)", difficulty, time.Since(start).Round(time.Millisecond))
	if n := s.Service.Count(camp.ID); n != 3 {
		t.Errorf("%d signatures, want 3", n)
	}
}
