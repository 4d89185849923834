package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/pow"
	"github.com/solidarity-letters/solidarity/web"
)

// abuseSite is a test site behind a trusted proxy on 127.0.0.1, so that
// each request names its client in X-Forwarded-For, with the abuse policy
// changed by edit and easy work (difficulty 8, a wait of 10 s).
func abuseSite(t *testing.T, edit func(*abuse.Policy)) *site {
	t.Helper()
	return newSiteWith(t, dbs.Database(t), func(cfg *web.Config) {
		cfg.TrustedProxies = []string{"127.0.0.1"}
		p := abuse.DefaultPolicy()
		p.Easy = abuse.Work{Difficulty: 8, Wait: 10 * time.Second}
		p.Hard = abuse.Work{Difficulty: 10, Wait: 20 * time.Second}
		if edit != nil {
			edit(&p)
		}
		cfg.Abuse = p
	})
}

// signFrom signs slug as a new supporter n from the client address ip,
// with a token of a freshly loaded page.
func signFrom(t *testing.T, s *site, slug, ip string, n int) response {
	t.Helper()
	return s.post(t, "/c/"+slug+"/sign", signForm(s.token(t, slug), func(v url.Values) {
		v.Set("email", fmt.Sprintf("supporter%d@example.org", n))
	}), "X-Forwarded-For", ip)
}

var (
	powRE        = regexp.MustCompile(`name="pow" value="([^"]+)"`)
	saltRE       = regexp.MustCompile(`data-pow="([^"]+)" data-difficulty="(\d+)"`)
	noticeNeeded = "so we ask your browser for a short check"
)

// work is the proof of work a form drawn again asks for.
type work struct {
	token, challenge, salt string
	difficulty             int
}

func askedWork(t *testing.T, res response) work {
	t.Helper()
	tok, ch, salt := tokenRE.FindStringSubmatch(res.Body), powRE.FindStringSubmatch(res.Body), saltRE.FindStringSubmatch(res.Body)
	if tok == nil || ch == nil || salt == nil || !strings.Contains(res.Body, "pow.") {
		t.Fatalf("status %d: the form asks for no work (token %v, challenge %v, salt %v)", res.Status, tok != nil, ch != nil, salt != nil)
	}
	d, _ := strconv.Atoi(salt[2])
	return work{token: tok[1], challenge: html.UnescapeString(ch[1]), salt: html.UnescapeString(salt[1]), difficulty: d}
}

// One form token signs once: the second signature with it is refused
// with a message and a fresh form that keeps what was typed, on the
// campaign page and in the widget.
func TestTokenSignsOnce(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	s.addCampaign(t, "ales", nil)
	embedToken := func() string {
		page := s.get(t, "/embed/ales")
		m := tokenRE.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no token in the widget (status %d)", page.Status)
		}
		s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
		return m[1]
	}
	for _, tt := range []struct {
		name, path string
		token      func() string
	}{
		{"page", "/c/ales/sign", func() string { return s.token(t, "ales") }},
		{"widget", "/embed/ales/sign", embedToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			first := s.post(t, tt.path, signForm(tok, func(v url.Values) { v.Set("email", tt.name+"-1@example.org") }))
			if first.Status != 303 {
				t.Fatalf("first signature: status %d, want 303", first.Status)
			}
			second := s.post(t, tt.path, signForm(tok, func(v url.Values) {
				v.Set("email", tt.name+"-2@example.org")
				v.Set("name", "Second Person")
			}))
			if second.Status != 409 || !strings.Contains(html.UnescapeString(second.Body), "This form has already been sent once") {
				t.Fatalf("second signature with the same token: status %d, want 409 with the message", second.Status)
			}
			if !strings.Contains(second.Body, `value="Second Person"`) {
				t.Error("the fresh form lost what was typed")
			}
			if m := tokenRE.FindStringSubmatch(second.Body); m == nil || m[1] == tok {
				t.Error("the fresh form has no new token")
			}
		})
	}
	if n := s.Service.Count("c-ales"); n != 2 {
		t.Errorf("count %d, want 2: one per token", n)
	}
	// 20 names with one token: one signature.
	tok := s.token(t, "ales")
	signed := 0
	for i := range 20 {
		res := s.post(t, "/c/ales/sign", signForm(tok, func(v url.Values) { v.Set("email", fmt.Sprintf("bot%d@example.org", i)) }))
		if res.Status == 303 {
			signed++
		}
	}
	if signed != 1 || s.Service.Count("c-ales") != 3 {
		t.Errorf("one token signed %d times (count %d), want once", signed, s.Service.Count("c-ales"))
	}
}

// Many signatures from one network ask that network for work on that
// campaign; another network, and the same network on another campaign,
// sign as before. Nobody is refused for the address.
func TestNetworkLimit(t *testing.T) {
	t.Parallel()
	s := abuseSite(t, func(p *abuse.Policy) { p.NetworkLimit = 3 })
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "maria", nil)
	for i := range 3 {
		if res := signFrom(t, s, "ales", fmt.Sprintf("198.51.100.%d", i+1), i); res.Status != 303 {
			t.Fatalf("signature %d from the network: status %d", i+1, res.Status)
		}
	}
	res := signFrom(t, s, "ales", "198.51.100.77", 10)
	if res.Status != 422 || !strings.Contains(res.Body, noticeNeeded) {
		t.Fatalf("4th from the network: status %d, want 422 asking for work", res.Status)
	}
	askedWork(t, res)
	if !strings.Contains(res.Body, "data-auto") || !strings.Contains(res.Body, "If your browser runs no scripts: wait 10 seconds") {
		t.Error("the form does not send itself after the work, or does not tell how long to wait without scripts")
	}
	for _, tt := range []struct{ slug, ip string }{{"ales", "203.0.113.9"}, {"ales", "2001:db8:1::1"}, {"maria", "198.51.100.78"}} {
		if res := signFrom(t, s, tt.slug, tt.ip, 20); res.Status != 303 {
			t.Errorf("%s from %s: status %d, want 303", tt.slug, tt.ip, res.Status)
		}
	}
	// The network's count is recent: 10 minutes on, it signs again.
	s.Clock.Set(s.Clock.Now().Add(11 * time.Minute))
	if res := signFrom(t, s, "ales", "198.51.100.79", 30); res.Status != 303 {
		t.Errorf("after the window: status %d, want 303", res.Status)
	}
}

// When a campaign's rate looks like an attack, its form asks every
// network for work: a correct solution signs, a wrong one is refused, a
// solution signs once with its token, and without scripts the same
// challenge passes after its wait.
func TestAttackAsksForWork(t *testing.T) {
	t.Parallel()
	s := abuseSite(t, func(p *abuse.Policy) { p.AttackFloor = 4 })
	s.addCampaign(t, "ales", nil)
	s.addCampaign(t, "maria", nil)
	for i := range 4 {
		if res := signFrom(t, s, "ales", fmt.Sprintf("192.0.2.%d", i*50), i); res.Status != 303 {
			t.Fatalf("signature %d: status %d", i+1, res.Status)
		}
	}
	// A new network, now that the campaign looks attacked.
	res := signFrom(t, s, "ales", "203.0.113.1", 10)
	if res.Status != 422 || !strings.Contains(res.Body, noticeNeeded) {
		t.Fatalf("under attack: status %d, want 422 asking for work", res.Status)
	}
	w := askedWork(t, res)
	if w.difficulty != 8 {
		t.Errorf("difficulty %d, want the easy work's 8", w.difficulty)
	}
	// Another campaign is not under attack.
	if res := signFrom(t, s, "maria", "203.0.113.1", 11); res.Status != 303 {
		t.Errorf("another campaign: status %d, want 303", res.Status)
	}
	// pow.js sends the form back as soon as the work is done: that is not
	// too fast.
	send := func(w work, n string, email string) response {
		return s.post(t, "/c/ales/sign", signForm(w.token, func(v url.Values) {
			v.Set("email", email)
			v.Set("pow", w.challenge)
			v.Set("pow_n", n)
		}), "X-Forwarded-For", "203.0.113.1")
	}
	wrong := uint64(0)
	for pow.Meets(w.salt, wrong, w.difficulty) {
		wrong++
	}
	before := s.Service.Count("c-ales")
	res = send(w, strconv.FormatUint(wrong, 10), "wrong@example.org")
	if res.Status != 422 || !strings.Contains(html.UnescapeString(res.Body), "The check of your browser did not pass") {
		t.Fatalf("wrong solution: status %d, want 422 refused", res.Status)
	}
	right := strconv.FormatUint(pow.Solve(w.salt, w.difficulty), 10)
	if res := send(w, right, "right@example.org"); res.Status != 303 {
		t.Fatalf("correct solution: status %d, want 303", res.Status)
	}
	if res := send(w, right, "again@example.org"); res.Status != 409 {
		t.Errorf("the solution again, with its token: status %d, want 409", res.Status)
	}
	// A solution of another challenge, with its token, does not pass.
	other := askedWork(t, res)
	s.Clock.Set(s.Clock.Now().Add(5 * time.Second))
	if res := send(work{token: other.token, challenge: w.challenge}, right, "other@example.org"); res.Status != 422 {
		t.Errorf("a challenge bound to another token: status %d, want 422", res.Status)
	}
	if n := s.Service.Count("c-ales"); n != before+1 {
		t.Errorf("count %d, want %d: only the correct solution signs", n, before+1)
	}

	// Without scripts: sent back too soon, the form asks again; sent
	// after the wait, the challenge passes.
	res = signFrom(t, s, "ales", "203.0.113.2", 40)
	w = askedWork(t, res)
	s.Clock.Set(s.Clock.Now().Add(5 * time.Second))
	res = send(w, "", "nojs@example.org")
	if res.Status != 422 || !strings.Contains(res.Body, "wait 10 seconds") {
		t.Fatalf("no solution, before the wait: status %d, want 422 telling to wait", res.Status)
	}
	w = askedWork(t, res)
	s.Clock.Set(s.Clock.Now().Add(10 * time.Second))
	if res := send(w, "", "nojs@example.org"); res.Status != 303 {
		t.Fatalf("no solution, after the wait: status %d, want 303", res.Status)
	}
	if n := s.Service.Count("c-ales"); n != before+2 {
		t.Errorf("count %d, want %d", n, before+2)
	}
}

// A network that is busy on a campaign under attack is asked for harder
// work.
func TestHarderWorkWhenSignalsAgree(t *testing.T) {
	t.Parallel()
	s := abuseSite(t, func(p *abuse.Policy) { p.AttackFloor, p.NetworkLimit = 3, 3 })
	s.addCampaign(t, "ales", nil)
	for i := range 3 {
		if res := signFrom(t, s, "ales", fmt.Sprintf("198.51.100.%d", i+1), i); res.Status != 303 {
			t.Fatalf("signature %d: status %d", i+1, res.Status)
		}
	}
	res := signFrom(t, s, "ales", "198.51.100.9", 9)
	if w := askedWork(t, res); w.difficulty != 10 {
		t.Errorf("difficulty %d, want the hard work's 10", w.difficulty)
	}
	if !strings.Contains(res.Body, "wait 20 seconds") {
		t.Error("the hard work's wait is not told")
	}
}
