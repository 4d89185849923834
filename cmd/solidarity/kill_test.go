package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/letters"
)

// child is a serve process started by a test.
type child struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
}

// startChild starts serve in a process of its own with the settings vars
// and waits until it answers /readyz.
func startChild(t *testing.T, vars map[string]string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), asBinary+"=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case c.base = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60 s\n%s", c.stderr.String())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(c.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready within 30 s: %v\n%s", err, c.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signed is a signature whose form was answered 303.
type signed struct {
	email, greeting string
}

// SIGKILL while 50 clients sign: after a restart on the same folder, every
// signature that was answered 303 is stored, with its greeting if it had
// one; no signature says it has a greeting the greetings lack; and the
// count is exact at once.
func TestKilledWhileSigningLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server")
	}
	// Not parallel: its 50 clients load the machine on purpose, and the
	// other tests of the package start servers within a time limit.
	const (
		slug    = "ales-bialiatski-july"
		clients = 50
		signFor = 3 * time.Second
		secret  = "kill-test-secret-0123456789abcdef0123456789"
	)
	dir := t.TempDir()
	vars := map[string]string{"SOLIDARITY_DATA_DIR": dir, "XDG_CONFIG_HOME": t.TempDir(), "SOLIDARITY_SECRET": secret,
		"SOLIDARITY_LOG_LEVEL": "warn", "SOLIDARITY_PROOF_OF_WORK": "off"}
	srv := startChild(t, vars)
	campID, storedBefore := campaignSignatures(t, socketClient(t, dir).Database("solidarity"), slug)
	countWithoutConfirmation(t, socketClient(t, dir).Database("solidarity"), srv.base, campID, slug)
	before := apiCount(t, srv.base, slug)

	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A form token signs once and is accepted after the minimum fill time:
	// each client keeps a queue of tokens fetched ahead, and signs with the
	// oldest. No proof of work is asked (SOLIDARITY_PROOF_OF_WORK=off):
	// the flood comes from one address.
	type aged struct {
		token string
		at    time.Time
	}
	fetch := func() (aged, bool) {
		res, err := hc.Get(srv.base + "/c/" + slug)
		if err != nil {
			return aged{}, false // killed
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := formToken.FindSubmatch(body)
		if m == nil {
			return aged{}, false
		}
		return aged{string(m[1]), time.Now()}, true
	}
	const ahead = 8
	queues := make([][]aged, clients)
	for i := range queues {
		for range ahead {
			tok, ok := fetch()
			if !ok {
				t.Fatal("no form token on the campaign page")
			}
			queues[i] = append(queues[i], tok)
		}
	}
	time.Sleep(minFillTime + 100*time.Millisecond)

	var (
		mu       sync.Mutex
		answered []signed
		other    = map[int]int{}
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	unique := time.Now().UnixNano()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				tok := queues[i][0]
				queues[i] = queues[i][1:]
				time.Sleep(minFillTime + 100*time.Millisecond - time.Since(tok.at))
				s := signed{email: fmt.Sprintf("kill-%d-%d-%d@example.org", unique, i, n)}
				if n%10 == i%10 {
					s.greeting = fmt.Sprintf("Stay strong! From client %d, signature %d", i, n)
				}
				form := url.Values{"token": {tok.token}, "name": {fmt.Sprintf("Client %d Signer %d", i, n)}, "email": {s.email},
					"city": {"Kraków"}, "country": {"PL"}, "consent": {"yes"}, "greeting": {s.greeting}}
				req, err := http.NewRequest(http.MethodPost, srv.base+"/c/"+slug+"/sign", strings.NewReader(form.Encode()))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", srv.base)
				res, err := hc.Do(req)
				if err != nil {
					return // killed
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				if res.StatusCode == http.StatusSeeOther {
					answered = append(answered, s)
				} else {
					other[res.StatusCode]++
				}
				mu.Unlock()
				next, ok := fetch()
				if !ok {
					return
				}
				queues[i] = append(queues[i], next)
			}
		}()
	}
	// At least signFor, and until enough were answered on a busy machine.
	time.Sleep(signFor)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(answered)
		mu.Unlock()
		if n >= 300 {
			break
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	stop.Store(true)
	wg.Wait()
	transport.CloseIdleConnections()
	t.Logf("%d signatures answered 303 before the kill; other answers: %v", len(answered), other)
	if len(answered) < 100 {
		t.Fatalf("only %d signatures answered 303 (others: %v): too few to test anything\n%s", len(answered), other, srv.stderr.String())
	}

	// Restarted on the same folder, it counts exactly at once: each batch
	// wrote its count to the counter documents, which start-up reads,
	// before answering any of its requests. The demo's paper counts are in
	// both counts.
	srv = startChild(t, vars)
	after, onPage := apiCount(t, srv.base, slug), pageCount(t, srv.base, slug)

	ctx := context.Background()
	db := socketClient(t, dir).Database("solidarity")
	campID, storedAfter := campaignSignatures(t, db, slug)
	want := before + storedAfter - storedBefore
	t.Logf("%d signatures stored since the start, %d of them answered; count %d after the restart", storedAfter-storedBefore, len(answered), after)
	if after != want || onPage != want {
		t.Errorf("count after the restart %d in the API and %d on the page, want %d: %d before, and %d signatures stored since",
			after, onPage, want, before, storedAfter-storedBefore)
	}
	ks, err := keys.Load(keys.Options{Secret: secret, DataDir: dir, Getenv: env(nil), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	greetings := letters.NewStore(db, ks.Data)
	var stored []struct {
		ID          string `bson:"_id"`
		HasGreeting bool   `bson:"has_greeting"`
	}
	cur, err := db.Collection("signatures").Find(ctx, bson.M{"campaign_id": campID})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range stored {
		ids[s.ID] = true
		if !s.HasGreeting {
			continue
		}
		if _, err := greetings.Greeting(ctx, s.ID); err != nil {
			t.Errorf("signature %s says it has a greeting: %v", s.ID, err)
		}
	}
	lost, lostGreetings := 0, 0
	for _, s := range answered {
		id := campaign.SignatureID(ks.Email, campID, s.email)
		if !ids[id] {
			lost++
			continue
		}
		if s.greeting == "" {
			continue
		}
		g, err := greetings.Greeting(ctx, id)
		if err != nil || g.Text != s.greeting {
			lostGreetings++
		}
	}
	if lost > 0 || lostGreetings > 0 {
		t.Errorf("of %d signatures answered 303, %d are lost and %d lost their greeting", len(answered), lost, lostGreetings)
	}
}

// apiCount reads the campaign's count from the API.
func apiCount(t *testing.T, base, slug string) int64 {
	t.Helper()
	status, body := get(t, base+"/api/v1/campaigns/"+slug)
	var v struct {
		Signatures int64 `json:"signatures"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("API: %d %s", status, body)
	}
	return v.Signatures
}

// countOnPage finds the count on a campaign page.
var countOnPage = regexp.MustCompile(`<p class="count"><strong>([^<]*)</strong>`)

// pageCount reads the campaign's count from its page, in English.
func pageCount(t *testing.T, base, slug string) int64 {
	t.Helper()
	status, body := get(t, base+"/c/"+slug+"?lang=en")
	m := countOnPage.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("campaign page: %d, no count in %.300q", status, body)
	}
	n, err := strconv.ParseInt(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m[1]), 10, 64)
	if err != nil {
		t.Fatalf("campaign page: count %q: %v", m[1], err)
	}
	return n
}

// campaignSignatures returns the ID of the campaign with slug, and how many
// signatures it has stored, read through the embedded database's socket.
func campaignSignatures(t *testing.T, db *mongo.Database, slug string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	var camp struct {
		ID string `bson:"_id"`
	}
	if err := db.Collection("campaigns").FindOne(ctx, bson.M{"slug": slug}).Decode(&camp); err != nil {
		t.Fatal(err)
	}
	n, err := db.Collection("signatures").CountDocuments(ctx, bson.M{"campaign_id": camp.ID})
	if err != nil {
		t.Fatal(err)
	}
	return camp.ID, n
}

// countWithoutConfirmation makes the demo campaign count signatures
// without email confirmation, which it asks for and whose messages these
// tests do not read, and waits until the server at base has read the
// change (it reads the campaigns every second): its thanks page no longer
// asks to check the mail.
func countWithoutConfirmation(t *testing.T, db *mongo.Database, base, campaignID, slug string) {
	t.Helper()
	if _, err := db.Collection("campaigns").UpdateOne(t.Context(), bson.M{"_id": campaignID}, bson.M{"$set": bson.M{"confirm_email": false}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, page := get(t, base+"/c/"+slug+"/thanks"); !strings.Contains(page, "check your email") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still asks the demo campaign's signers to confirm")
		}
	}
}
