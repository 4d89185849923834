package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/campaign"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// sameAnswer reports how two answers differ in status, body or headers
// (all of them but Date, which follows the clock, and the request ids,
// random for every request, which need only have the same shape).
func sameAnswer(a, b response) []string {
	var diffs []string
	if a.Status != b.Status {
		diffs = append(diffs, "status")
	}
	idA, idB := a.Header.Get("X-Request-Id"), b.Header.Get("X-Request-Id")
	if !requestIDShape.MatchString(idA) || !requestIDShape.MatchString(idB) {
		diffs = append(diffs, "request ids "+idA+" / "+idB)
	}
	bodyA, bodyB := strings.ReplaceAll(a.Body, idA, "<id>"), strings.ReplaceAll(b.Body, idB, "<id>")
	if bodyA != bodyB {
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
		if k == "Date" || k == "X-Request-Id" {
			continue
		}
		if !slices.Equal(maskCodes(a.Header[k]), maskCodes(b.Header[k])) {
			diffs = append(diffs, "header "+k+": "+strings.Join(a.Header[k], ",")+" / "+strings.Join(b.Header[k], ","))
		}
	}
	return diffs
}

// eraseCodeRE finds the erasure code a sign answer's cookie carries: every
// answer has one of its own (a repeat's erases nothing), of the same shape.
var eraseCodeRE = regexp.MustCompile(`erase_code=[a-z2-7]+`)

// maskCodes replaces each erasure code in header values by its length.
func maskCodes(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = eraseCodeRE.ReplaceAllStringFunc(v, func(c string) string { return fmt.Sprintf("erase_code=<%d>", len(c)) })
	}
	return out
}

// A partner key must not be able to test which addresses have signed: the
// same address again gets exactly the answer of a new one, and neither the
// signature nor the count nor the greetings change.
func TestAPIRepeatAnswersLikeNew(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// commandLog records the database commands of a client while on.
type commandLog struct {
	mu  sync.Mutex
	on  bool
	ops []string
	n   int32 // documents inserted, updated, upserted or deleted
}

func (l *commandLog) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.ops, l.n = true, nil, 0
}

// stop returns the commands since start, each as its name and the
// collection it names (a decoy counted as the collection it stands in
// for), and how many documents they wrote.
func (l *commandLog) stop() ([]string, int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.ops, l.n
}

func (l *commandLog) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if !l.on {
				return
			}
			coll, _ := e.Command.Lookup(e.CommandName).StringValueOK()
			l.ops = append(l.ops, e.CommandName+" "+strings.TrimPrefix(coll, campaign.DecoyPrefix))
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if !l.on {
				return
			}
			switch e.CommandName {
			case "insert", "update", "delete":
				n, _ := e.Reply.Lookup("n").Int32OK()
				l.n += n
			}
		},
	}
}

// A repeated signature does the database work of a new one with the same
// form: the same commands on the same collections or on decoys of them,
// writing as many documents; so the answer time does not tell that
// an address has signed. The decoys hold nothing of the supporter and
// are emptied by the service's background loop.
func TestRepeatSignatureDoesTheWorkOfANewOne(t *testing.T) {
	// Not parallel: it waits for the decoys to go within a deadline.
	db := dbs.Database(t)
	log := &commandLog{}
	client, err := mongo.Connect(options.Client().ApplyURI(dbs.URI).SetMonitor(log.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	s := newSite(t, client.Database(db.Name()))
	c := s.addCampaign(t, "open", nil)
	key := s.addPartner(t, "ngo-w", "")

	// A fresh token of each form for every signature, without loading the
	// form, so that the clock stands still and caches stay warm; a first
	// signature warms them.
	formToken := func() string { return s.freshToken(c.ID) }
	embedToken := func() string { return s.freshToken(c.ID, "") }
	type signer func(t *testing.T, email, greeting string) response
	form := func(t *testing.T, email, greeting string) response {
		log.start()
		return s.post(t, "/c/open/sign", signForm(formToken(), func(v url.Values) { v.Set("email", email); v.Set("greeting", greeting) }))
	}
	embed := func(t *testing.T, email, greeting string) response {
		log.start()
		return s.post(t, "/embed/open/sign", signForm(embedToken(), func(v url.Values) { v.Set("email", email); v.Set("greeting", greeting) }))
	}
	api := func(t *testing.T, email, greeting string) response {
		log.start()
		return s.apiPost(t, "open", key, sigJSON(email, func(m map[string]any) { m["greeting"] = greeting }))
	}
	if res := form(t, "warm@example.org", "Warm words"); res.Status != http.StatusSeeOther {
		t.Fatalf("first signature: %d", res.Status)
	}
	tests := []struct {
		name  string
		sign  signer
		first string // the greeting of the first signature
		probe string // the greeting sent again, and with a new address
	}{
		{"form with greeting", form, "Stay strong, form!", "Other words"},
		{"form without greeting", form, "", ""},
		{"form, a greeting only the second time", form, "", "Words under another name"},
		{"form, a greeting only the first time", form, "Only the first time", ""},
		{"form, the same greeting again", form, "The very same words", "The very same words"},
		{"embed with greeting", embed, "Stay strong, embed!", "Other words again"},
		{"embed without greeting", embed, "", ""},
		{"API with greeting", api, "Stay strong, API!", "More other words"},
		{"API without greeting", api, "", ""},
	}
	var secrets []string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed := fmt.Sprintf("signed-%d@example.org", i)
			if res := tt.sign(t, signed, tt.first); res.Status >= 400 {
				t.Fatalf("first signature: %d", res.Status)
			}
			log.stop()
			repRes := tt.sign(t, signed, tt.probe)
			repOps, repN := log.stop()
			newRes := tt.sign(t, fmt.Sprintf("new-%d@example.org", i), tt.probe)
			newOps, newN := log.stop()
			if d := sameAnswer(newRes, repRes); len(d) > 0 {
				t.Errorf("answers differ: %v", d)
			}
			// The order of a text claim's insert and read may differ.
			slices.Sort(newOps)
			slices.Sort(repOps)
			if !slices.Equal(newOps, repOps) {
				t.Errorf("a new signature's commands:\n  %s\na repeat's:\n  %s", strings.Join(newOps, "\n  "), strings.Join(repOps, "\n  "))
			}
			if newN != repN {
				t.Errorf("a new signature wrote %d documents, a repeat %d", newN, repN)
			}
			secrets = append(secrets, campaign.SignatureID(emailKey, c.ID, signed), tt.probe)
		})
	}
	if n, want := s.Service.Count(c.ID), int64(1+2*len(tests)); n != want {
		t.Errorf("count %d, want %d", n, want)
	}

	// The decoys hold nothing of the supporters, and are emptied.
	ctx := context.Background()
	decoys := func() (docs []string) {
		names, err := s.DB.ListCollectionNames(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if !strings.HasPrefix(name, campaign.DecoyPrefix) {
				continue
			}
			cur, err := s.DB.Collection(name).Find(ctx, bson.M{})
			if err != nil {
				t.Fatal(err)
			}
			var all []bson.M
			if err := cur.All(ctx, &all); err != nil {
				t.Fatal(err)
			}
			for _, d := range all {
				if d["_id"] != campaign.CollideID { // the ones inserts collide with
					docs = append(docs, fmt.Sprint(d))
				}
			}
		}
		return docs
	}
	written := decoys()
	if len(written) < 2 {
		t.Fatalf("%d decoys after the repeats", len(written))
	}
	for _, d := range written {
		// A date shows as "2027-06-01 …"; a bare "2027" may be part of a
		// random ID's hex.
		for _, secret := range append(secrets, c.ID, "example.org", "Anna", "Olga", "Białystok", "Vilnius", "2027-") {
			if secret != "" && strings.Contains(d, secret) {
				t.Errorf("a decoy holds %q: %s", secret, d)
			}
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Service.Run(runCtx, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	deadline := time.Now().Add(campaign.RefreshInterval + 5*time.Second)
	for len(decoys()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d decoys left after %v", len(decoys()), campaign.RefreshInterval+5*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
