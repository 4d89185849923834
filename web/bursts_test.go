package web_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/pow"
)

var (
	invalidateRE = regexp.MustCompile(`<a href="([^"]+/bursts/change\?[^"]+)">Invalidate</a>`)
	restoreRE    = regexp.MustCompile(`<a href="([^"]+/bursts/change\?[^"]+restore=yes[^"]*)">Restore</a>`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)
)

// Signatures from a busy network are asked for work, and once it is done
// they are stored with their marks; the bursts page groups them by
// network with the reasons, and invalidating the group (after a
// confirmation with the count) takes them off the count, the export, the
// bundle and the public greetings, until it is restored.
func TestBurstsMarkInvalidateRestore(t *testing.T) {
	t.Parallel()
	s := abuseSite(t, func(p *abuse.Policy) { p.NetworkLimit = 2 })
	c := modCampaign(t, s, "ales", true)
	ctx := context.Background()
	// Two from a family's network, unmarked.
	for i := range 2 {
		if res := signFrom(t, s, "ales", fmt.Sprintf("198.51.100.%d", i+1), i); res.Status != 303 {
			t.Fatalf("signature %d: status %d", i+1, res.Status)
		}
	}
	// Three more from it are asked for work, do it, and sign with a
	// greeting, as fast as a script.
	var bots []string
	for i := range 3 {
		email := fmt.Sprintf("bot%d@spam.example", i)
		res := signFrom(t, s, "ales", "198.51.100.9", 100+i)
		w := askedWork(t, res)
		n := strconv.FormatUint(pow.Solve(w.salt, w.difficulty), 10)
		res = s.post(t, "/c/ales/sign", signForm(w.token, func(v url.Values) {
			v.Set("email", email)
			v.Set("greeting", "Bot greeting "+strconv.Itoa(i))
			v.Set("country", "SE")
			v.Set("pow", w.challenge)
			v.Set("pow_n", n)
		}), "X-Forwarded-For", "198.51.100.9")
		if res.Status != 303 {
			t.Fatalf("bot %d after the work: status %d", i, res.Status)
		}
		bots = append(bots, campaign.SignatureID(emailKey, c.ID, email))
	}
	// One from elsewhere, with a greeting shown on the page.
	person := modGreet(t, s, c, "Olga Kim", "olga@mail.example", "Stay strong")
	for _, id := range append([]string{person}, bots...) {
		if _, err := s.Core.Moderation.Approve(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	sig, err := s.Service.Store().Signature(ctx, bots[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := []campaign.Mark{campaign.MarkNetworkBusy, campaign.MarkFast}; fmt.Sprint(sig.Marks) != fmt.Sprint(want) ||
		len(sig.Network) != campaign.NetworkHashLen || sig.Person.Domain != "spam.example" || sig.DomainKey == "" {
		t.Errorf("marked signature: marks %v, network %q, domain %q, domain key %q", sig.Marks, sig.Network, sig.Person.Domain, sig.DomainKey)
	}
	if p, _ := s.Service.Store().Signature(ctx, person); len(p.Marks) != 0 {
		t.Errorf("an ordinary signature is marked %v", p.Marks)
	}

	org := s.loginAs(t, account.RoleOrganizer)
	if res := s.loginAs(t, account.RoleModerator).get(t, "/admin/campaigns/"+c.ID+"/bursts"); res.Status != 403 {
		t.Errorf("a moderator's bursts page: status %d, want 403", res.Status)
	}
	page := org.get(t, "/admin/campaigns/"+c.ID+"/bursts?by=network")
	body := html.UnescapeString(page.Body)
	if page.Status != 200 || !strings.Contains(body, "Network busy: 3") || !strings.Contains(body, "Sent too fast: 3") {
		t.Fatalf("bursts page: status %d, no reasons\n%s", page.Status, body)
	}
	if dom := org.get(t, "/admin/campaigns/"+c.ID+"/bursts?by=domain"); !strings.Contains(dom.Body, "spam.example") {
		t.Error("the bursts by domain do not name the domain")
	}
	m := invalidateRE.FindStringSubmatch(page.Body) // the largest group first: the network's 5
	if m == nil {
		t.Fatal("no invalidate link")
	}
	confirm := org.get(t, html.UnescapeString(m[1]))
	if confirm.Status != 200 || !strings.Contains(confirm.Body, "5 signatures will no longer count") {
		t.Fatalf("confirmation: status %d\n%s", confirm.Status, confirm.Body)
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(confirm.Body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	invalidate := func(f url.Values) {
		t.Helper()
		res := org.post(t, "/admin/campaigns/"+c.ID+"/bursts/change", f)
		if res.Status != 303 {
			t.Fatalf("change: status %d\n%s", res.Status, res.Body)
		}
	}
	counted := func(step string, want int64, botsShown bool) {
		t.Helper()
		if got := s.Service.Count(c.ID); got != want {
			t.Errorf("%s: count %d, want %d", step, got, want)
		}
		csv := org.get(t, "/admin/campaigns/"+c.ID+"/signatures.csv")
		if got := strings.Count(csv.Body, "\n") - 1; got != int(want) {
			t.Errorf("%s: export has %d rows, want %d", step, got, want)
		}
		sum, err := s.Core.Builder.Summarize(ctx, c)
		if err != nil || sum.Signatures != want {
			t.Errorf("%s: bundle would print %d signatures (%v), want %d", step, sum.Signatures, err, want)
		}
		pub := s.get(t, "/c/ales")
		if got := strings.Contains(pub.Body, "Bot greeting"); got != botsShown || !strings.Contains(pub.Body, "Stay strong") {
			t.Errorf("%s: public page shows the bots' greetings: %v, want %v (and the other one always)", step, got, botsShown)
		}
	}
	counted("before", 6, true)
	invalidate(form)
	counted("invalidated", 1, false)
	if entries := s.auditEntries(t, audit.BurstInvalidated); len(entries) != 1 || !strings.Contains(entries[0].Detail, "5 signatures") ||
		strings.Contains(entries[0].Detail, "198.51") {
		t.Errorf("audit entries %+v", entries)
	}
	page = org.get(t, "/admin/campaigns/"+c.ID+"/bursts?by=network")
	r := restoreRE.FindStringSubmatch(page.Body)
	if r == nil || invalidateRE.MatchString(page.Body) && strings.Count(page.Body, ">Invalidate<") > 1 {
		t.Fatalf("after invalidation: restore link %v\n%s", r != nil, page.Body)
	}
	form.Set("restore", "yes")
	invalidate(form)
	counted("restored", 6, true)
	if entries := s.auditEntries(t, audit.BurstRestored); len(entries) != 1 {
		t.Errorf("restore audit entries %+v", entries)
	}
}
