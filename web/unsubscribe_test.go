package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
)

// A supporter who asked for updates signs in the language of the page,
// which their signature keeps. The link in an update message shows a
// page with a button and changes nothing (mail scanners follow links);
// the one-click POST that mail clients send, without a session, a form
// token or an origin, stops the updates and erases the address at once;
// a link whose MAC is wrong gets a kind page and changes nothing.
func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c, box := confirmingCampaign(t, s, "unsub")
	res := s.post(t, "/c/unsub/sign", signForm(s.token(t, "unsub"), func(v url.Values) { v.Set("updates", "yes") }),
		"Accept-Language", "pl")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign: status %d\n%s", res.Status, res.Body)
	}
	box.confirmLast(t, s)
	id := campaign.SignatureID(emailKey, c.ID, "anna@example.org")
	subscribed := func() (bool, string) {
		t.Helper()
		sig, err := s.Core.Campaigns.Signature(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sig.Lang != "pl" {
			t.Errorf("the signature's language is %q, want pl", sig.Lang)
		}
		return sig.Updates, sig.Person.Email
	}
	if on, email := subscribed(); !on || email != "anna@example.org" {
		t.Fatalf("after signing: updates %v, address %q", on, email)
	}
	token := s.Core.Updates.Tokens().Unsubscribe(id)
	bad := token[:len(token)-2] + "AA"

	for _, tc := range []struct {
		name, method, path string
		status             int
		body               string
		subscribed         bool
	}{
		{"scanner's GET", http.MethodGet, "/u/" + token, http.StatusOK, `action="/u/` + token + `"`, true},
		{"GET with a wrong MAC", http.MethodGet, "/u/" + bad, http.StatusNotFound, "nie działa", true},
		{"POST with a wrong MAC", http.MethodPost, "/u/" + bad, http.StatusNotFound, "nie działa", true},
		{"one-click POST", http.MethodPost, "/u/" + token, http.StatusOK, "Gotowe", false},
		{"the POST again", http.MethodPost, "/u/" + token, http.StatusOK, "Gotowe", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.method == http.MethodPost {
				body = strings.NewReader("List-Unsubscribe=One-Click")
			} else {
				body = strings.NewReader("")
			}
			req, err := http.NewRequest(tc.method, s.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Language", "pl")
			if tc.method == http.MethodPost {
				// As a mail provider's server sends it: no cookie, no Origin.
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			res := s.do(t, req)
			if res.Status != tc.status || !strings.Contains(res.Body, tc.body) {
				t.Errorf("status %d, want %d; body has %q: %v", res.Status, tc.status, tc.body, strings.Contains(res.Body, tc.body))
			}
			for h, want := range map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if on, email := subscribed(); on != tc.subscribed || (email != "") != tc.subscribed {
				t.Errorf("updates %v, address kept %v; want both %v", on, email != "", tc.subscribed)
			}
		})
	}
}
