package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/app"
	"github.com/solidarity-letters/solidarity/bundle"
	"github.com/solidarity-letters/solidarity/campaign"
	"github.com/solidarity-letters/solidarity/campaign/abuse"
	"github.com/solidarity-letters/solidarity/internal/keys"
	"github.com/solidarity-letters/solidarity/internal/testclock"
	"github.com/solidarity-letters/solidarity/internal/testdb"
	"github.com/solidarity-letters/solidarity/letters"
	orgsite "github.com/solidarity-letters/solidarity/site"
	"github.com/solidarity-letters/solidarity/web"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

var dbs *testdb.Server

func TestMain(m *testing.M) { testdb.Main(m, &dbs) }

var (
	emailKey = []byte("0123456789abcdef0123456789abcdef")
	formKey  = []byte("fedcba9876543210fedcba9876543210")
)

// site is the app under test, served over real HTTP on a free port.
type site struct {
	Core      *app.App // the application behind the server: its stores and services
	App       *web.Server
	Bundles   *bundle.Jobs
	URL       string
	Clock     *testclock.Clock
	Service   *campaign.Service
	Partners  *campaign.Partners
	Greetings *letters.Store
	Accounts  *account.Service
	DB        *mongo.Database
	Logs      *logBuffer
	Org       *orgsite.Cache // the organisation profile; none saved at first
	client    *http.Client
}

// logBuffer collects the app's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	// discard drops what is written: benchmarks set it, so that the log
	// does not grow with every request.
	discard bool
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.discard {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testKeys are the keys of every test site.
func testKeys(t testing.TB) keys.Keys {
	t.Helper()
	return keys.Keys{Email: emailKey, Form: formKey, Data: testdb.Keys(t)}
}

// newSite starts the app on db with the clock at 1 June 2027, 12:00 UTC.
func newSite(t testing.TB, db *mongo.Database) *site {
	t.Helper()
	return newSiteWith(t, db, nil)
}

// newSiteWith is newSite with the web settings changed by edit. It builds
// the application as serve does (app.New, then the same Prepare), without
// the background loops: tests that need one run it themselves.
func newSiteWith(t testing.TB, db *mongo.Database, edit func(*web.Config)) *site {
	t.Helper()
	return newSiteOn(t, db, nil, edit)
}

// newSiteOn is newSiteWith with the application's options that opts
// makes from the site's address (nil: none); the site's clock and log
// replace their Now and Logger.
func newSiteOn(t testing.TB, db *mongo.Database, opts func(url string) app.Options, edit func(*web.Config)) *site {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	siteURL := "http://" + ln.Addr().String()
	var appOpts app.Options
	if opts != nil {
		appOpts = opts(siteURL)
	}
	clk := testclock.New(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	logs := &logBuffer{}
	appOpts.Now, appOpts.Logger = clk.Now, slog.New(slog.NewTextHandler(logs, nil))
	a, err := app.New(dbs.Wrap(db), testKeys(t), appOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	// Tests that are not about the abuse rules sign many times from one
	// address: no limit asks them for work (see abuseSite).
	lax := abuse.NeverAsk()
	// A generous database deadline: the test machine may be loaded far
	// beyond production; the fault tests (faults_test.go) check the
	// production deadline.
	cfg := web.Config{MinFillTime: 2 * time.Second, DBTimeout: 30 * time.Second, Abuse: lax}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := a.Web(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(func() {
		client.CloseIdleConnections() // the visitors leave
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &site{
		Core: a, App: srv, Bundles: a.Bundles,
		URL: siteURL, Clock: clk, Service: a.Signing, Partners: a.Partners, Greetings: a.Greetings, Accounts: a.Accounts, DB: db, Logs: logs, Org: a.Org,
		client: client,
	}
}

// addCampaign stores an open campaign (1 May to "before 12 July 2027" in
// Minsk) with its recipient, changed by edit.
func (s *site) addCampaign(t testing.TB, slug string, edit func(*campaign.Campaign)) *campaign.Campaign {
	t.Helper()
	ctx := context.Background()
	closes, err := campaign.Deadline("2027-07-12", "Europe/Minsk")
	if err != nil {
		t.Fatal(err)
	}
	r := campaign.Recipient{ID: "r-" + slug, Name: "Ales Bialiatski", Description: "Human rights defender.",
		Address: []string{"Demo address"}, Country: "BY", LanguageRules: "Letters must be in Belarusian or Russian."}
	if err := s.Service.Store().CreateRecipient(ctx, &r); err != nil {
		t.Fatal(err)
	}
	c := &campaign.Campaign{
		ID: "c-" + slug, Slug: slug, Title: "Send a message to Ales Bialiatski before 12 July",
		Summary: "A message from outside means a lot.", Letter: "Dear Ales,\n\nYou are not forgotten.",
		OrganizerName: "Test NGO", RecipientID: r.ID, Goal: 1000,
		OpensAt: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), ClosesAt: closes, TimeZone: "Europe/Minsk",
		Greetings: campaign.Greetings{Enabled: true, MaxLength: 500},
	}
	if edit != nil {
		edit(c)
	}
	if err := s.Service.Store().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	s.reload(t)
	return c
}

// reload reads the campaigns and recipients into the app's memory again,
// after a test wrote them to the database behind the services' back.
func (s *site) reload(t testing.TB) {
	t.Helper()
	if err := s.Service.LoadCampaigns(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (s *site) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (s *site) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

// post sends a form as a browser on our own page does: with our Origin.
func (s *site) post(t *testing.T, path string, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// token loads the campaign page and returns its form token, then moves the
// clock on as a person takes time to fill in the form.
func (s *site) token(t *testing.T, slug string) string {
	t.Helper()
	page := s.get(t, "/c/"+slug)
	m := tokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no form token on /c/%s (status %d)", slug, page.Status)
	}
	s.Clock.Set(s.Clock.Now().Add(30 * time.Second))
	return m[1]
}

// signForm is a valid submission; edit changes it.
func signForm(token string, edit func(url.Values)) url.Values {
	v := url.Values{
		"token": {token}, "name": {"Anna Nowak"}, "email": {"anna@example.org"}, "city": {"Białystok"},
		"country": {"PL"}, "greeting": {"Trzymaj się, Ales!"}, "consent": {"yes"},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

// testPassword is every test account's password.
const testPassword = "correct horse battery"

// user is a signed-in console user: a cookie and the session's form token.
type user struct {
	site   *site
	cookie string
	token  string
}

// loginAs creates an account with role (once per site and role) and signs
// it in.
func (s *site) loginAs(t *testing.T, role account.Role) *user {
	t.Helper()
	email := string(role) + "@example.org"
	if _, err := s.Accounts.Store().UserByEmail(context.Background(), email); err != nil {
		if _, err := s.Accounts.AddUser(context.Background(), email, role, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	cookie, status := s.login(t, email, testPassword)
	if status != http.StatusSeeOther || cookie == "" {
		t.Fatalf("login as %s: status %d, cookie %q", role, status, cookie)
	}
	u := &user{site: s, cookie: cookie}
	page := u.get(t, "/admin")
	m := tokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no session form token on /admin (status %d)", page.Status)
	}
	u.token = m[1]
	return u
}

// login posts the sign-in form and returns the session cookie's value.
func (s *site) login(t *testing.T, email, password string) (string, int) {
	t.Helper()
	form := s.get(t, "/admin/login")
	m := tokenRE.FindStringSubmatch(form.Body)
	if m == nil {
		t.Fatalf("no token on the login page (status %d)", form.Status)
	}
	res := s.post(t, "/admin/login", url.Values{"token": {m[1]}, "email": {email}, "password": {password}})
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == "solidarity_session" {
			return c.Value, res.Status
		}
	}
	return "", res.Status
}

func (u *user) get(t *testing.T, path string) response {
	t.Helper()
	return u.site.get(t, path, "Cookie", "solidarity_session="+u.cookie)
}

// post sends a console form with the session's token.
func (u *user) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["token"]; !ok {
		form.Set("token", u.token)
	}
	return u.site.post(t, path, form, "Cookie", "solidarity_session="+u.cookie)
}

// freshToken is a new form token of the campaign with ID id, as a page
// loaded 30 s ago carries, without loading it or moving the clock; embed
// tokens name the embedding origin after "|" ("" for none).
func (s *site) freshToken(id string, embed ...string) string {
	purpose := "sign:" + id
	if len(embed) > 0 {
		purpose += "|" + embed[0]
	}
	return s.App.IssueToken(purpose, s.Clock.Now().Add(-30*time.Second))
}
