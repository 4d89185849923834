package bench

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// clients hands out client addresses for X-Forwarded-For, so that the
// load looks like many browsers behind a proxy.
type clients struct{ n atomic.Uint32 }

func (c *clients) next() string {
	i := c.n.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i))
}

// get is an op that GETs path and expects 200.
func get(client *http.Client, base, path string, from *clients) op {
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return false, err
		}
		req.Header.Set("X-Forwarded-For", from.next())
		status, _, err := do(client, req, false)
		if err != nil {
			return false, err
		}
		if status != http.StatusOK {
			return false, fmt.Errorf("GET %s: status %d", path, status)
		}
		return true, nil
	}
}

// do sends req and reads the whole answer, returning the body only when
// keep is set.
func do(client *http.Client, req *http.Request, keep bool) (int, string, error) {
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	if !keep {
		_, err = io.Copy(io.Discard, res.Body)
		return res.StatusCode, "", err
	}
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// formToken is the form token of the page at path, as a browser gets it.
func formToken(ctx context.Context, client *http.Client, base, path, from string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Forwarded-For", from)
	status, body, err := do(client, req, true)
	if err != nil {
		return "", err
	}
	return tokenIn(status, body)
}

func tokenIn(status int, body string) (string, error) {
	m := tokenField.FindStringSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("no form token in an answer with status %d", status)
	}
	return html.UnescapeString(m[1]), nil
}

// signer posts the sign form of one campaign as one browser at a time:
// a new supporter (distinct email, client address) each request, one in
// ten with a greeting. It signs with its form token as long as the server
// takes it again; once the server says a token is spent (409), it loads
// the page for every signature, as each supporter's browser does, and
// signs with a token loaded at least the form's minimum fill-in time
// before.
type signer struct {
	client  *http.Client
	base    string
	slug    string
	series  string // email prefix, unique to this signer
	from    *clients
	minFill time.Duration
	token   string
	// pages holds the tokens of pages loaded for later signatures, oldest
	// first, once tokens are good for one signature only.
	pages []loaded
	once  bool
	n     int
}

// loaded is a form token and when its page was loaded.
type loaded struct {
	token string
	at    time.Time
}

// maxPages bounds the tokens a signer holds ahead.
const maxPages = 4096

// newSigner fetches the campaign page and takes its form token.
func newSigner(ctx context.Context, client *http.Client, base, slug, series string, from *clients, minFill time.Duration) (*signer, error) {
	s := &signer{client: client, base: base, slug: slug, series: series, from: from, minFill: minFill}
	tok, err := s.page(ctx)
	if err != nil {
		return nil, err
	}
	s.token = tok
	return s, nil
}

// page loads the campaign page and returns its form token.
func (s *signer) page(ctx context.Context) (string, error) {
	tok, err := formToken(ctx, s.client, s.base, "/c/"+url.PathEscape(s.slug), s.from.next())
	if err != nil {
		return "", fmt.Errorf("sign form of %s: %w", s.slug, err)
	}
	return tok, nil
}

// nextToken loads a page for a later signature and takes the oldest token,
// loading more pages while the oldest is younger than the fill-in time.
func (s *signer) nextToken(ctx context.Context) error {
	for {
		tok, err := s.page(ctx)
		if err != nil {
			return err
		}
		s.pages = append(s.pages, loaded{tok, time.Now()})
		if time.Since(s.pages[0].at) >= s.minFill || len(s.pages) >= maxPages {
			break
		}
	}
	if wait := s.minFill - time.Since(s.pages[0].at); wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	s.token, s.pages = s.pages[0].token, s.pages[1:]
	return nil
}

// sign posts one signature and expects the 303 to the thanks page.
func (s *signer) sign(ctx context.Context) (bool, error) {
	if s.once {
		if err := s.nextToken(ctx); err != nil {
			return false, err
		}
	}
	i := s.n
	s.n++
	p := person(i)
	form := url.Values{
		"token": {s.token}, "name": {p.Name}, "email": {email(s.series, i)}, "city": {p.City},
		"country": {p.Country}, "consent": {"yes"},
	}
	if g := greeting(i); g != "" {
		form.Set("greeting", g)
	}
	if p.Country == "BY" {
		// Signers from a country at risk have seen the form's warning and
		// send it again confirmed; this is that second post.
		form.Set("confirmed", "risk")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/c/"+url.PathEscape(s.slug)+"/sign", strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.base)
	req.Header.Set("X-Forwarded-For", s.from.next())
	status, _, err := do(s.client, req, false)
	if err != nil {
		return false, err
	}
	switch status {
	case http.StatusSeeOther:
		return true, nil
	case http.StatusConflict:
		s.once = true // a token signs once: one page load per signature
	}
	return false, fmt.Errorf("sign: status %d", status)
}

// pageLoads reports whether the signer loads a page for each signature.
func (s *signer) pageLoads() bool { return s.once }

// tokensSignOnce finds out, before a measure, whether a form token signs
// only once: the signer signs twice with its token, and the server's
// answer to the second tells.
func (s *signer) tokensSignOnce(ctx context.Context) (bool, error) {
	if ok, err := s.sign(ctx); !ok {
		return false, fmt.Errorf("first signature: %w", err)
	}
	if ok, err := s.sign(ctx); ok || !s.once {
		return false, err
	}
	return true, nil
}

// loadAhead makes the signer load a page for each signature, and loads
// pages for the fill-in time first, so that its measure starts with
// tokens old enough to sign.
func (s *signer) loadAhead(ctx context.Context) error {
	s.once = true
	for start := time.Now(); time.Since(start) < s.minFill && len(s.pages) < maxPages; {
		tok, err := s.page(ctx)
		if err != nil {
			return err
		}
		s.pages = append(s.pages, loaded{tok, time.Now()})
	}
	return nil
}

// login signs in to the console and returns the cookies to send.
func login(ctx context.Context, client *http.Client, base, email, password string) (string, error) {
	tok, err := formToken(ctx, client, base, "/admin/login", "10.255.0.1")
	if err != nil {
		return "", fmt.Errorf("login form: %w", err)
	}
	form := url.Values{"token": {tok}, "email": {email}, "password": {password}, "next": {"/admin"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("X-Forwarded-For", "10.255.0.1")
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login: status %d", res.StatusCode)
	}
	var cookies []string
	for _, c := range res.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if len(cookies) == 0 {
		return "", errors.New("login: no session cookie")
	}
	return strings.Join(cookies, "; "), nil
}

// timePage GETs a console page with the session's cookies up to pages
// times, or until limit has passed after the first, and returns the
// median time of a page and the slowest.
func timePage(ctx context.Context, client *http.Client, base, path, cookie string, pages int, limit time.Duration) (median, slowest time.Duration, err error) {
	var times []time.Duration
	start := time.Now()
	for len(times) < pages && (len(times) == 0 || time.Since(start) < limit) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Forwarded-For", "10.255.0.1")
		t := time.Now()
		status, _, err := do(client, req, false)
		d := time.Since(t)
		if err != nil {
			return 0, d, fmt.Errorf("GET %s: %w", path, err)
		}
		if status != http.StatusOK {
			return 0, d, fmt.Errorf("GET %s: status %d", path, status)
		}
		times = append(times, d)
		slowest = max(slowest, d)
	}
	slices.Sort(times)
	return times[len(times)/2], slowest, nil
}
