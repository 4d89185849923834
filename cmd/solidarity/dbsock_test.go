package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// socketInodes returns the inodes of the sockets this process holds open.
func socketInodes(t *testing.T) map[string]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			continue // closed since ReadDir
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			out[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return out
}

// procTable reads a /proc/net table: one map of column to value per socket.
func procTable(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		rows = append(rows, strings.Fields(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// listeningSockets returns the TCP ports this process listens on, and the paths of
// the Unix sockets it listens on.
func listeningSockets(t *testing.T) (tcpPorts []int, unixPaths []string) {
	t.Helper()
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		t.Skip("needs Linux's /proc to list the process's sockets")
	}
	mine := socketInodes(t)
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		for _, f := range procTable(t, table) {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !mine[f[9]] { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				t.Fatalf("%s: local address %q", table, f[1])
			}
			tcpPorts = append(tcpPorts, int(port))
		}
	}
	for _, f := range procTable(t, "/proc/self/net/unix") {
		// Num RefCount Protocol Flags Type St Inode Path; flag 00010000 is
		// __SO_ACCEPTCON: a listening socket.
		if len(f) < 8 || f[3] != "00010000" || !mine[f[6]] {
			continue
		}
		unixPaths = append(unixPaths, f[7])
	}
	return tcpPorts, unixPaths
}

func TestEmbeddedDatabaseOpensNoTCPPort(t *testing.T) {
	// Not parallel: it lists the sockets the whole test process listens on.
	dir := t.TempDir()
	base, stop := start(t, map[string]string{"SOLIDARITY_DATA_DIR": dir})
	defer stop()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	httpPort, _ := strconv.Atoi(u.Port())

	tcpPorts, unixPaths := listeningSockets(t)
	if len(tcpPorts) != 1 || tcpPorts[0] != httpPort {
		t.Errorf("the process listens on TCP ports %v, want only the web port %d", tcpPorts, httpPort)
	}
	sock := filepath.Join(dir, "db", "ferretdb.sock")
	if len(unixPaths) != 1 || unixPaths[0] != sock {
		t.Errorf("the process listens on Unix sockets %v, want only %s", unixPaths, sock)
	}

	// A stock MongoDB client finds no database on any TCP port of the
	// process, nor on MongoDB's usual one.
	for _, port := range append(tcpPorts, 27017) {
		if port == 27017 && !slices.Contains(tcpPorts, 27017) {
			continue // someone else's port, if anyone's
		}
		uri := fmt.Sprintf("mongodb://127.0.0.1:%d/?connectTimeoutMS=500&serverSelectionTimeoutMS=1000", port)
		client, err := mongo.Connect(options.Client().ApplyURI(uri))
		if err != nil {
			t.Fatal(err)
		}
		names, err := client.ListDatabaseNames(context.Background(), bson.M{})
		client.Disconnect(context.Background())
		if err == nil {
			t.Errorf("a MongoDB client on 127.0.0.1:%d lists the databases %v", port, names)
		}
	}

	// Through the socket, the process's own user reaches the database.
	client := socketClient(t, dir)
	if names, err := client.ListDatabaseNames(context.Background(), bson.M{}); err != nil || !slices.Contains(names, "solidarity") {
		t.Errorf("through the socket: databases %v, %v; want solidarity among them", names, err)
	}

	// A second process on the same files is refused, not started beside it.
	var out bytes.Buffer
	err = run(context.Background(), []string{"user", "list"}, env(map[string]string{"SOLIDARITY_DATA_DIR": dir}), strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "in use by another solidarity process") {
		t.Errorf("user list while the server runs: %v, want it refused as in use", err)
	}
}

// socketClient connects to the embedded database of a running serve on dir.
func socketClient(t *testing.T, dir string) *mongo.Client {
	t.Helper()
	uri := "mongodb://" + url.QueryEscape(filepath.Join(dir, "db", "ferretdb.sock")) + "/?serverSelectionTimeoutMS=5000"
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	return client
}

var (
	formToken = regexp.MustCompile(`name="token" value="([^"]+)"`)
	eraseLink = regexp.MustCompile(`action="(/admin/campaigns/[^"]+/erase)"`)
)

// browser is an HTTP client with the site's Origin and a session cookie.
type browser struct {
	base, cookie string
	client       http.Client
}

func (b *browser) do(t *testing.T, method, path string, form url.Values) (int, http.Header, string) {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	if b.cookie != "" {
		req.Header.Set("Cookie", "solidarity_session="+b.cookie)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, buf.String()
}

func (b *browser) token(t *testing.T, path string) string {
	t.Helper()
	status, _, page := b.do(t, http.MethodGet, path, nil)
	m := formToken.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on %s (status %d)", path, status)
	}
	return m[1]
}

// personalValues returns the string and binary values under person and
// referrer of a raw signature, each with the forms it may be stored in:
// plain, and binaries also in base64, as FerretDB writes them into SQLite.
// Values shorter than 8 bytes (country codes, choices) are left out:
// other signatures share them.
func personalValues(t *testing.T, raw bson.Raw) [][][]byte {
	t.Helper()
	var out [][][]byte
	var walk func(v bson.RawValue)
	walk = func(v bson.RawValue) {
		switch v.Type {
		case bson.TypeString:
			if s := v.StringValue(); len(s) >= 8 {
				out = append(out, [][]byte{[]byte(s)})
			}
		case bson.TypeBinary:
			if _, b := v.Binary(); len(b) >= 8 {
				out = append(out, [][]byte{b, []byte(base64.StdEncoding.EncodeToString(b))})
			}
		case bson.TypeEmbeddedDocument:
			elems, err := v.Document().Elements()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range elems {
				walk(e.Value())
			}
		case bson.TypeArray:
			vals, err := v.Array().Values()
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range vals {
				walk(x)
			}
		}
	}
	for _, key := range []string{"person", "referrer"} {
		if v, err := raw.LookupErr(key); err == nil {
			walk(v)
		}
	}
	return out
}

// filesHolding returns the files under dir that hold needle.
func filesHolding(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			found = append(found, strings.TrimPrefix(path, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestErasedSignatureLeavesNoTraceInTheDataFolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	const adminEmail, adminPassword = "erase-admin@example.org", "a long test password"
	// 31 signatures from one address: no proof of work is asked.
	base, stop := start(t, map[string]string{"SOLIDARITY_DATA_DIR": dir, "SOLIDARITY_PROOF_OF_WORK": "off",
		"SOLIDARITY_ADMIN_EMAIL": adminEmail, "SOLIDARITY_ADMIN_PASSWORD": adminPassword})
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	const slug = "ales-bialiatski-july"
	db := socketClient(t, dir).Database("solidarity")
	var camp struct {
		ID string `bson:"_id"`
	}
	if err := db.Collection("campaigns").FindOne(ctx, bson.M{"slug": slug}).Decode(&camp); err != nil {
		t.Fatalf("demo campaign: %v", err)
	}
	countWithoutConfirmation(t, db, base, camp.ID, slug)
	ids := func() map[string]bool {
		t.Helper()
		cur, err := db.Collection("signatures").Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, d := range docs {
			out[d.ID] = true
		}
		return out
	}
	before := ids()

	// A supporter signs, through a partner's link, and asks for updates.
	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	name := "Erasable Supporter " + unique
	visitor := &browser{base: base, client: http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{
		"token": {visitor.token(t, "/c/"+slug)}, "name": {name}, "email": {"erasable-" + unique + "@example.org"},
		"city": {"Erasable City " + unique}, "country": {"PL"}, "consent": {"yes"}, "updates": {"yes"},
		"ref": {"erasable-ref-" + unique},
	}
	// The form is refused as too quick until the minimum fill time passed.
	deadline := time.Now().Add(minFillTime + 10*time.Second)
	for {
		status, _, page := visitor.do(t, http.MethodPost, "/c/"+slug+"/sign", form)
		if status == http.StatusSeeOther {
			break
		}
		if status != http.StatusUnprocessableEntity || time.Now().After(deadline) {
			t.Fatalf("sign: status %d\n%s", status, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Others sign after, so that the erased signature shares its page of
	// the database file with signatures that stay: then only zeroing
	// removes it from the page, not SQLite rewriting a page left
	// almost empty.
	// A form token signs once: each gets its own, old enough to be taken.
	tokens := make([]string, 30)
	for i := range tokens {
		tokens[i] = visitor.token(t, "/c/"+slug)
	}
	time.Sleep(minFillTime + 100*time.Millisecond)
	for i := range 30 {
		other := url.Values{}
		for k, v := range form {
			other[k] = v
		}
		other.Set("name", fmt.Sprintf("Staying Supporter %d", i))
		other.Set("email", fmt.Sprintf("staying-%d-%s@example.org", i, unique))
		other.Set("city", "Staying City")
		other.Set("token", tokens[i])
		other.Del("ref")
		if status, _, page := visitor.do(t, http.MethodPost, "/c/"+slug+"/sign", other); status != http.StatusSeeOther {
			t.Fatalf("sign as another: status %d\n%s", status, page)
		}
	}
	var sigID string
	for id := range ids() {
		if before[id] {
			continue
		}
		raw, err := db.Collection("signatures").FindOne(ctx, bson.M{"_id": id}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.LookupErr("referrer"); err == nil { // only the first came through the partner's link
			sigID = id
		}
	}
	if sigID == "" {
		t.Fatal("no new signature stored")
	}
	raw, err := db.Collection("signatures").FindOne(ctx, bson.M{"_id": sigID}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	values := personalValues(t, raw)
	if len(values) < 3 {
		t.Fatalf("the signature %s holds too few personal values to look for", raw)
	}
	// Each value is in the files now, in one of its forms: the search
	// below can find it.
	needles := [][]byte{[]byte(name)}
	for _, forms := range values {
		found := false
		for _, v := range forms {
			found = found || len(filesHolding(t, dir, v)) > 0
		}
		if !found {
			t.Fatalf("the stored value %q is in no file of %s before the erasure", forms[0], dir)
		}
		needles = append(needles, forms...)
	}

	// An organizer erases it in the console.
	admin := &browser{base: base, client: visitor.client}
	status, header, _ := admin.do(t, http.MethodPost, "/admin/login", url.Values{
		"token": {admin.token(t, "/admin/login")}, "email": {adminEmail}, "password": {adminPassword},
	})
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "solidarity_session" {
			admin.cookie = c.Value
		}
	}
	if status != http.StatusSeeOther || admin.cookie == "" {
		t.Fatalf("login: status %d, no session", status)
	}
	erasePath := "/admin/campaigns/" + url.PathEscape(camp.ID) + "/signatures/" + url.PathEscape(sigID) + "/erase"
	_, _, confirm := admin.do(t, http.MethodGet, erasePath, nil)
	m := eraseLink.FindStringSubmatch(confirm)
	if m == nil || m[1] != erasePath {
		t.Fatalf("the erasure page has no form posting to %s", erasePath)
	}
	status, header, page := admin.do(t, http.MethodPost, erasePath, url.Values{"token": {admin.token(t, "/admin")}})
	if status != http.StatusSeeOther || !strings.Contains(header.Get("Location"), "done=signature_erased") {
		t.Fatalf("erase: status %d, Location %q\n%s", status, header.Get("Location"), page)
	}

	check := func(when string) {
		t.Helper()
		for _, n := range needles {
			if found := filesHolding(t, dir, n); len(found) > 0 {
				t.Errorf("%s, %q is still in %v", when, n, found)
			}
		}
	}
	check("after the erasure, with the server running")
	stopped = true
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	check("after the server stopped")
}
