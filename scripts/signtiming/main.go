// Command signtiming measures whether the answer time of the sign form
// tells a new signature from a repeated one: it sends new and repeated
// signatures interleaved, in random order, one at a time over one
// keep-alive connection, and prints the median answer time of each and
// their difference. scripts/sign-timing runs it against a fresh server.
//
//	go run ./scripts/signtiming -base http://127.0.0.1:18081 -slug ales-bialiatski-july -n 200
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:18081", "address of the running server")
	slug := flag.String("slug", "ales-bialiatski-july", "campaign to sign; it must be open")
	n := flag.Int("n", 200, "new and repeated signatures to send of each kind")
	flag.Parse()
	if err := run(*base, *slug, *n); err != nil {
		fmt.Fprintln(os.Stderr, "signtiming:", err)
		os.Exit(1)
	}
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// greetings are the words supporters add; each new signature gets another
// mix, as greetings are rarely identical.
var greetings = []string{"Stay strong", "We think of you every day", "You are not alone", "Freedom will come",
	"Greetings from Vilnius", "Thank you for your courage", "Trzymaj się", "Мы с вами"}

type client struct {
	http  *http.Client
	base  string
	slug  string
	token string
	run   string
}

func run(base, slug string, n int) error {
	c := &client{
		http: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		base: base, slug: slug,
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	c.run = hex.EncodeToString(b)
	res, err := c.http.Get(base + "/c/" + slug)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := tokenRE.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("no sign form on %s/c/%s (status %d)", base, slug, res.StatusCode)
	}
	c.token = string(m[1])
	time.Sleep(2100 * time.Millisecond) // the form's minimum fill-in time

	for _, withGreeting := range []bool{true, false} {
		label := "without greeting"
		if withGreeting {
			label = "with greeting"
		}
		// Warm up, and sign the first address that is repeated.
		for i := range 20 {
			if _, err := c.sign(c.form(fmt.Sprintf("warm-%t-%d", withGreeting, i), withGreeting)); err != nil {
				return err
			}
		}
		var fresh, repeat []time.Duration
		prev := c.form(fmt.Sprintf("warm-%t-%d", withGreeting, 19), withGreeting)
		for i := range n {
			next := c.form(fmt.Sprintf("new-%t-%d", withGreeting, i), withGreeting)
			newFirst := coin()
			for _, isNew := range []bool{newFirst, !newFirst} {
				f := prev
				if isNew {
					f = next
				}
				d, err := c.sign(f)
				if err != nil {
					return err
				}
				if isNew {
					fresh = append(fresh, d)
				} else {
					repeat = append(repeat, d)
				}
			}
			prev = next // the next repeat sends this one's form again
		}
		mf, mr := median(fresh), median(repeat)
		fmt.Printf("%-17s new: median %6.3f ms (p25 %6.3f, p75 %6.3f)   repeat: median %6.3f ms (p25 %6.3f, p75 %6.3f)   difference %+.3f ms (n=%d each)\n",
			label, ms(mf), ms(quantile(fresh, 0.25)), ms(quantile(fresh, 0.75)),
			ms(mr), ms(quantile(repeat, 0.25)), ms(quantile(repeat, 0.75)), ms(mr-mf), n)
	}
	return nil
}

// form is a complete sign form for the address named by who.
func (c *client) form(who string, withGreeting bool) url.Values {
	v := url.Values{
		"token": {c.token}, "name": {"Timing Tester"}, "email": {"timing-" + c.run + "-" + who + "@example.org"},
		"city": {"Vilnius"}, "country": {"LT"}, "consent": {"yes"},
	}
	if withGreeting {
		i, j := pick(len(greetings)), pick(len(greetings))
		v.Set("greeting", greetings[i]+". "+greetings[j]+", "+c.run+" "+who+"!")
	}
	return v
}

// sign posts a form and returns how long the answer took.
func (c *client) sign(form url.Values) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+"/c/"+c.slug+"/sign", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(start)
	if res.StatusCode != http.StatusSeeOther {
		return 0, errors.New("sign: status " + res.Status)
	}
	return d, nil
}

func coin() bool { return pick(2) == 0 }

func pick(n int) int {
	i, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(i.Int64())
}

func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
