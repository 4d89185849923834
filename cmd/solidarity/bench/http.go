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
// a new supporter (distinct email) each request, one in ten with a
// greeting. It uses its form token as long as the server takes it; when
// the server refuses it, the next request carries the token of the form
// the refusal showed again.
type signer struct {
	client   *http.Client
	base     string
	slug     string
	series   string // email prefix, unique to this signer
	from     string // client address
	token    string
	n        int
	rejected error
}

// newSigner fetches the campaign page and takes its form token.
func newSigner(ctx context.Context, client *http.Client, base, slug, series, from string) (*signer, error) {
	tok, err := formToken(ctx, client, base, "/c/"+url.PathEscape(slug), from)
	if err != nil {
		return nil, fmt.Errorf("sign form of %s: %w", slug, err)
	}
	return &signer{client: client, base: base, slug: slug, series: series, from: from, token: tok}, nil
}

// sign posts one signature and expects the 303 to the thanks page.
func (s *signer) sign(ctx context.Context) (bool, error) {
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
	req.Header.Set("X-Forwarded-For", s.from)
	status, body, err := do(s.client, req, true)
	if err != nil {
		return false, err
	}
	if status == http.StatusSeeOther {
		return true, nil
	}
	if tok, terr := tokenIn(status, body); terr == nil {
		s.token = tok
	}
	return false, fmt.Errorf("sign: status %d", status)
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
