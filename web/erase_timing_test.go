package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/web"
)

// eraseOnce posts an erasure code and returns the answer's status and
// Location, and how long the answer took.
func eraseOnce(s *site, code string) (int, string, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, s.URL+"/erase", strings.NewReader(url.Values{"code": {code}}.Encode()))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location"), time.Since(start), nil
}

// signedCode stores a signature of c as the i-th supporter and returns
// its erasure code.
func signedCode(tb testing.TB, s *site, c *campaign.Campaign, i int) string {
	tb.Helper()
	r, err := s.Service.SignReceipt(context.Background(), c, campaign.SignInput{
		Name: fmt.Sprintf("Supporter %d", i), Email: fmt.Sprintf("erase%d@example.org", i),
		Country: "LT", Consent: true, Greeting: "Stay strong.",
	})
	if err != nil {
		tb.Fatalf("sign %d: %v", i, err)
	}
	return s.Core.Erasures.Code(c.ID, r.ID, r.SignedAt)
}

// BenchmarkSelfErasure posts, for each signature, its erasure code twice:
// the first erases it, the second finds it gone. The two answers take
// turns, so that both are measured on the same machine load; it reports
// the median of each and their ratio.
func BenchmarkSelfErasure(b *testing.B) {
	s := newSite(b, dbs.Database(b))
	c := s.addCampaign(b, "erase", nil)
	s.Logs.discard = true
	var first, repeat []time.Duration
	i := 0
	for b.Loop() {
		code := signedCode(b, s, c, i)
		i++
		for _, took := range []*[]time.Duration{&first, &repeat} {
			st, loc, d, err := eraseOnce(s, code)
			if err != nil || st != http.StatusSeeOther || loc != "/erase/done" {
				b.Fatalf("erase: %d %q %v", st, loc, err)
			}
			*took = append(*took, d)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, q := range []struct {
		name string
		at   float64
	}{{"p10", 0.1}, {"p50", 0.5}, {"p90", 0.9}} {
		f, r := quantile(first, q.at), quantile(repeat, q.at)
		b.ReportMetric(ms(f), "ms-first-"+q.name)
		b.ReportMetric(ms(r), "ms-repeat-"+q.name)
		if q.name == "p50" {
			b.ReportMetric(float64(r)/float64(f), "repeat/first-p50")
		}
	}
}

// quantile is the q-quantile of ds (0 ≤ q < 1), nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)))]
}

// The answer to a code whose signature is not there (a repeat's code)
// does not come sooner than a real erasure's would: before this node has
// erased anything, no sooner than web.EraseFloor. Only the lower bound is
// checked, which a loaded machine cannot break.
func TestEraseAnswerWithoutSignatureWaits(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "pace", nil)
	signedCode(t, s, c, 1)
	s.Clock.Add(time.Minute)
	r, err := s.Service.SignReceipt(context.Background(), c, campaign.SignInput{
		Name: "Mallory", Email: "erase1@example.org", Country: "LT", Consent: true,
	})
	if !errors.Is(err, campaign.ErrDuplicate) {
		t.Fatalf("signing again: %v, want ErrDuplicate", err)
	}
	repeat := s.Core.Erasures.Code(c.ID, r.ID, r.SignedAt)
	st, loc, took, err := eraseOnce(s, repeat)
	if err != nil || st != http.StatusSeeOther || loc != "/erase/done" {
		t.Fatalf("POST a repeat's code: %d %q %v", st, loc, err)
	}
	if n := s.Service.Count(c.ID); n != 1 {
		t.Fatalf("count %d after a repeat's code, want 1: it erased the signature", n)
	}
	if took < web.EraseFloor {
		t.Errorf("the answer to a repeat's code took %v, want at least %v, as an erasure's", took, web.EraseFloor)
	}
}
