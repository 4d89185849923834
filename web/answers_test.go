package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity-letters/solidarity/campaign"
)

// sameAnswer reports how two answers differ in status, body or headers
// (all of them but Date, which follows the clock).
func sameAnswer(a, b response) []string {
	var diffs []string
	if a.Status != b.Status {
		diffs = append(diffs, "status")
	}
	if a.Body != b.Body {
		diffs = append(diffs, "body "+a.Body+" / "+b.Body)
	}
	names := map[string]bool{}
	for k := range a.Header {
		names[k] = true
	}
	for k := range b.Header {
		names[k] = true
	}
	for k := range names {
		if k == "Date" {
			continue
		}
		if !slices.Equal(a.Header[k], b.Header[k]) {
			diffs = append(diffs, "header "+k+": "+strings.Join(a.Header[k], ",")+" / "+strings.Join(b.Header[k], ","))
		}
	}
	return diffs
}

// A partner key must not be able to test which addresses have signed: the
// same address again gets exactly the answer of a new one, and neither the
// signature nor the count nor the greetings change.
func TestAPIRepeatAnswersLikeNew(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-r", "")
	ctx := context.Background()

	first := s.apiPost(t, "open", key, sigJSON("vera@example.org", nil))
	if first.Status != http.StatusCreated {
		t.Fatalf("first signature: %d %s", first.Status, first.Body)
	}
	tests := []struct {
		name string
		body string
	}{
		{"same address", sigJSON("vera@example.org", nil)},
		{"same address in other case, other name and a greeting", sigJSON(" VERA@Example.org", func(m map[string]any) {
			m["name"] = "Someone Else"
			m["greeting"] = "Words under another name"
		})},
		{"new address", sigJSON("ivan@example.org", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.apiPost(t, "open", key, tt.body)
			if d := sameAnswer(first, res); len(d) > 0 {
				t.Errorf("answer differs from a new signature's: %v", d)
			}
		})
	}
	if n := s.Service.Count(c.ID); n != 2 {
		t.Errorf("count %d, want 2", n)
	}
	id := campaign.SignatureID(emailKey, c.ID, "vera@example.org")
	sig, err := s.Service.Store().Signature(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Person.Name != "Olga Petrova" || sig.HasGreeting {
		t.Errorf("stored signature became %q, greeting %v; want the first one's", sig.Person.Name, sig.HasGreeting)
	}
	if _, err := s.Greetings.Greeting(ctx, id); err == nil {
		t.Error("the repeat stored a greeting under the first signer's name")
	}
}

// The partner API reads its body strictly: what encoding/json would let
// through quietly (a repeated key, a key in other case, invalid UTF-8) is
// refused with the key named, and nothing is stored.
func TestAPIStrictJSON(t *testing.T) {
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-j", "")
	const rest = `"city":"Vilnius","country":"LT","consent":true}`
	tests := []struct {
		name      string
		body      string
		wantField string // the key named in fields; "" for none
		wantIn    string // in the message
	}{
		{"duplicate key", `{"name":"Olga Petrova","email":"a@example.org","name":"Someone Else",` + rest, "name", "more than once"},
		{"duplicate key with the same value", `{"name":"Olga Petrova","email":"a@example.org","email":"a@example.org",` + rest, "email", "more than once"},
		{"key in other case", `{"Name":"Olga Petrova","email":"a@example.org",` + rest, "Name", `did you mean`},
		{"key in other case beside the right one", `{"name":"Olga Petrova","EMAIL":"b@example.org","email":"a@example.org",` + rest, "EMAIL", "case-sensitive"},
		{"unknown key", `{"name":"Olga Petrova","email":"a@example.org","nickname":"x",` + rest, "nickname", "Unknown key"},
		{"invalid UTF-8 in a value", "{\"name\":\"Olga \xff\xfe\",\"email\":\"a@example.org\"," + rest, "", "UTF-8"},
		{"invalid UTF-8 in a key", "{\"n\xc3\":\"x\",\"email\":\"a@example.org\"," + rest, "", "UTF-8"},
		{"lone surrogate escape", `{"name":"Olga \ud800","email":"a@example.org",` + rest, "name", "Unicode"},
		{"reversed surrogate pair", `{"name":"Olga \udc00\ud800","email":"a@example.org",` + rest, "name", "Unicode"},
		{"number for a string", `{"name":5,"email":"a@example.org",` + rest, "name", "string"},
		{"string for a boolean", `{"name":"Olga Petrova","email":"a@example.org","city":"Vilnius","country":"LT","consent":"yes"}`, "consent", "true or false"},
		{"object for a string", `{"name":{"first":"Olga"},"email":"a@example.org",` + rest, "name", "string"},
		{"two objects", `{"name":"Olga Petrova","email":"a@example.org",` + rest + `{}`, "", "nothing after"},
		{"an array", `[{"name":"Olga Petrova"}]`, "", "one JSON object"},
		{"cut short", `{"name":"Olga`, "", ""},
		{"empty", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.apiPost(t, "open", key, tt.body)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", res.Status, res.Body)
			}
			code, fields := apiErr(t, res)
			if code != "bad_json" {
				t.Errorf("code %q, want bad_json", code)
			}
			if tt.wantField != "" && fields[tt.wantField] == "" {
				t.Errorf("fields %v do not name %q", fields, tt.wantField)
			}
			if tt.wantField == "" && len(fields) > 0 {
				t.Errorf("fields %v, want none", fields)
			}
			if !strings.Contains(res.Body, tt.wantIn) {
				t.Errorf("message %s does not say %q", res.Body, tt.wantIn)
			}
		})
	}
	if n := s.Service.Count(c.ID); n != 0 {
		t.Errorf("%d signatures stored from refused bodies", n)
	}

	// What is valid still signs: a surrogate pair, null for an optional
	// key, white space around the object.
	res := s.apiPost(t, "open", key, " \n"+`{"name":"Olga \ud83d\ude00 Petrova","email":"ok@example.org","city":null,"country":"LT","consent":true,"updates":false}`+"\n")
	if res.Status != http.StatusCreated {
		t.Fatalf("valid body: %d %s", res.Status, res.Body)
	}
	sig, err := s.Service.Store().Signature(context.Background(), campaign.SignatureID(emailKey, c.ID, "ok@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if sig.Person.Name != "Olga 😀 Petrova" || sig.Person.City != "" {
		t.Errorf("stored name %q city %q", sig.Person.Name, sig.Person.City)
	}
}
