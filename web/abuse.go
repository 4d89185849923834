package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/pow"
)

// The sign form's defences against bots that never lock out a supporter
// for their address alone (campaign/abuse): a form token signs once; and
// when a campaign's rate looks like an attack, or one network sends a
// campaign much, the form asks the browser for a proof of work (sign.js
// does it), or, without JavaScript, for a short wait. The challenge is
// issued only with a form answered to a sent form, never with the page
// itself, so that the campaign page stays the same for every visitor.
//
// The JSON API has no form token: a partner's key and its rate limit
// guard it (api.go), and a partner's server is one address for all its
// supporters.

// challengeTTL is how long a proof of work challenge can be sent back.
const challengeTTL = time.Hour

// abuseState is the Server's part of the defences: this node's signals,
// the day's network key (memory only) and the challenge issuer.
type abuseState struct {
	monitor  *abuse.Monitor
	networks abuse.Networks
	pow      pow.Issuer
}

func newAbuseState(cfg Config) abuseState {
	policy := cfg.Abuse
	if policy.Window == 0 {
		policy = abuse.DefaultPolicy()
	}
	// The challenges' key is the form key's, for another purpose.
	m := hmac.New(sha256.New, cfg.FormKey)
	m.Write([]byte("proof of work challenges"))
	return abuseState{monitor: abuse.NewMonitor(policy), pow: pow.NewIssuer(m.Sum(nil), challengeTTL, cfg.Now)}
}

// guard is what the defences decided for one sent sign form. The network
// hash stays in memory: it is never logged or stored.
type guard struct {
	network string
	ask     abuse.Assessment
	// auto lets sign.js send the form once the work is done: it was the
	// only thing missing.
	auto bool
}

// WorkView is a proof of work the sign form asks for: the challenge for
// sign.js, and what a reader without JavaScript is told.
type WorkView struct {
	Challenge  string
	Salt       string
	Difficulty int
	// Wait tells a reader without JavaScript how long to wait.
	Wait string
	// Working and Done are sign.js's messages.
	Working, Done string
	// Auto sends the form once the work is done.
	Auto bool
}

// assess reads the request's network and what the defences ask of it.
func (s *Server) assess(c *fiber.Ctx, camp *campaign.Campaign) guard {
	now := s.cfg.Now()
	// An address that cannot be read is the zero Addr: one network of
	// its own for all such clients.
	addr, _ := netip.ParseAddr(s.clientIP(c))
	net := s.abuse.networks.Hash(addr, now)
	return guard{network: net, ask: s.abuse.monitor.Assess(camp.ID, net, now)}
}

// formToken gives a sign form its token and, when the defences ask for
// work, a challenge bound to that token, so that a solution is spent with
// it. Every form drawn gets a token of its own (tokens.issue).
func (s *Server) formToken(c *fiber.Ctx, form *SignForm, purpose string) {
	form.Token = s.tokens.issue(purpose)
	if !form.guard.ask.Asks() {
		return
	}
	w := form.guard.ask.Work
	ch := s.abuse.pow.Issue(form.Token, w.Difficulty, w.Wait)
	t := s.localizer(c)
	form.Work = &WorkView{
		Challenge: ch.String(), Salt: ch.Salt, Difficulty: ch.Difficulty,
		Wait:    t.N("abuse.wait", int64(ch.Wait/time.Second)),
		Working: t.T("abuse.working"), Done: t.T("abuse.done"),
		Auto: form.guard.auto,
	}
}

// workDone checks the proof of work a sent form carries, when the
// defences ask for one; if it is missing or does not pass, it says why
// in form and reports false: the form is drawn again with a new challenge.
func (s *Server) workDone(c *fiber.Ctx, form *SignForm, token string) bool {
	ask := form.guard.ask
	if !ask.Asks() {
		return true
	}
	t := s.localizer(c)
	ch, err := s.abuse.pow.Check(formValue(c, "pow"), token, formValue(c, "pow_n"))
	switch {
	case err == nil && ch.Difficulty >= ask.Work.Difficulty && ch.Wait >= ask.Work.Wait:
		return true
	case err == nil, errors.Is(err, pow.ErrInvalid) && formValue(c, "pow") == "",
		errors.Is(err, pow.ErrExpired), errors.Is(err, pow.ErrTooSoon):
		// None yet, one easier than what is asked now, or one too old or
		// sent back too soon: ask again.
		form.Notice = t.T("abuse.work_needed")
		form.guard.auto = true
	default:
		form.Notice = t.T("abuse.work_failed")
	}
	return false
}

// spendToken records that the form's token signs, and counts the
// signature in the signals. A token that has signed before is
// abuse.ErrSpent, with a notice in form: the form is drawn again with a
// new token.
func (s *Server) spendToken(c *fiber.Ctx, camp *campaign.Campaign, form *SignForm, token string, issued time.Time) error {
	err := s.deps.Spent.Spend(c.UserContext(), token, issued)
	if errors.Is(err, abuse.ErrSpent) {
		form.Notice = s.localizer(c).T("abuse.token_spent")
		return err
	}
	if err != nil {
		return err
	}
	s.abuse.monitor.Record(camp.ID, form.guard.network, s.cfg.Now())
	return nil
}

// signalMarks are the marks the defences' signals give a signature.
var signalMarks = []struct {
	signal abuse.Signal
	mark   campaign.Mark
}{
	{abuse.CampaignRate, campaign.MarkCampaignRate},
	{abuse.NetworkBusy | abuse.NetworkFlood, campaign.MarkNetworkBusy},
	{abuse.NetworkShare, campaign.MarkNetworkShare},
}

// marks are the reasons a sign form that passed looks suspicious, stored
// with its signature (campaign.Mark), which counts all the same: the
// signals that asked it for work, and a form sent back sooner than twice
// the time a person needs to fill it in (possible only once the work is
// done: a form without work is refused sooner than MinFillTime).
func (s *Server) marks(g guard, issued time.Time) []campaign.Mark {
	var out []campaign.Mark
	for _, sm := range signalMarks {
		if g.ask.Signals&sm.signal != 0 {
			out = append(out, sm.mark)
		}
	}
	if s.cfg.Now().Sub(issued) < 2*s.cfg.MinFillTime {
		out = append(out, campaign.MarkFast)
	}
	return out
}
