package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity-letters/solidarity/account"
	"github.com/solidarity-letters/solidarity/audit"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestBundleFromTheConsole(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	names := []string{"Анна Каліноўская", "Γιώργος Παπαδόπουλος", "Nino ნინო", "Jan Kowalski"}
	for i, name := range names {
		res := s.post(t, "/c/ales/sign", signForm(s.token(t, "ales"), func(v url.Values) {
			v.Set("name", name)
			v.Set("email", fmt.Sprintf("p%d@example.org", i))
			v.Set("updates", "yes")
		}))
		if res.Status != 303 {
			t.Fatalf("sign %d: %d", i, res.Status)
		}
	}
	org := s.loginAs(t, account.RoleOrganizer)
	page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
	if page.Status != 200 || !strings.Contains(page.Body, "4 signatures printed by name") {
		t.Fatalf("bundle page: %d\n%s", page.Status, page.Body)
	}
	if !strings.Contains(page.Body, `<p class="eyebrow sig-campaign">`+html.EscapeString(c.Title)+`</p>`) {
		t.Errorf("the bundle page does not name its campaign %q", c.Title)
	}
	// The campaign's one language is offered, named in the console's.
	if !strings.Contains(page.Body, `<option value="en" selected>English</option>`) || strings.Contains(page.Body, `<option value="lt">`) {
		t.Error("the bundle page does not offer English alone, the campaign's only language")
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"xx"}}); res.Status != 422 {
		t.Errorf("a language outside the catalog: %d, want 422", res.Status)
	}
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"999"}, "lang": {"en"}}); res.Status != 422 {
		t.Errorf("999 sheets per envelope: %d, want 422", res.Status)
	}
	res := org.post(t, "/admin/campaigns/"+c.ID+"/bundle", url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}})
	if res.Status != 303 {
		t.Fatalf("build: %d", res.Status)
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle"); !strings.Contains(page.Body, `http-equiv="refresh"`) || !strings.Contains(page.Body, "waiting") {
		t.Error("a queued bundle's page neither refreshes nor says it waits")
	}
	if ran, err := s.Bundles.RunOnce(context.Background()); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	page = org.get(t, "/admin/campaigns/"+c.ID+"/bundle")
	link := regexp.MustCompile(`href="(/admin/campaigns/[^"]+/bundle/[0-9a-f]+)"`).FindStringSubmatch(page.Body)
	if link == nil || strings.Contains(page.Body, `http-equiv="refresh"`) {
		t.Fatalf("finished bundle has no download link:\n%s", page.Body)
	}
	dl := org.get(t, link[1])
	if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", dl.Status, dl.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(dl.Body)), int64(len(dl.Body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	for _, want := range []string{"letter-01.pdf", "envelopes.pdf", "manifest.csv"} {
		if len(files[want]) == 0 {
			t.Errorf("the bundle lacks %s (has %v)", want, zr.File)
		}
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "letter.pdf")
		if err := os.WriteFile(path, files["letter-01.pdf"], 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := string(out)
		last := -1
		for _, name := range names {
			i := strings.Index(text, name)
			if i < 0 || strings.Count(text, name) != 1 || i < last {
				t.Errorf("%q is not printed exactly once, in signing order", name)
			}
			last = i
		}
		if strings.Contains(text, "@example.org") {
			t.Error("an email address is printed")
		}
	} else if os.Getenv("CI") != "" {
		t.Error("pdftotext is missing on CI")
	}

	// Another campaign's bundle is not served under this one.
	other := s.addCampaign(t, "other", nil)
	wrong := strings.Replace(link[1], "/"+c.ID+"/", "/"+other.ID+"/", 1)
	if res := org.get(t, wrong); res.Status != 404 {
		t.Errorf("bundle under another campaign: %d, want 404", res.Status)
	}
	// Erasing a signature deletes the archives that hold it (see
	// TestEraseRebuildsOnlyTheBundlesThatHoldIt).
	sig := storedSignatures(t, s)[0].ID
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/signatures/"+sig+"/erase", nil); res.Status != 303 {
		t.Fatalf("erase: %d", res.Status)
	}
	if res := org.get(t, link[1]); res.Status != 404 {
		t.Errorf("bundle download after an erasure: %d, want 404", res.Status)
	}
	if page := org.get(t, "/admin/campaigns/"+c.ID+"/bundle"); !strings.Contains(page.Body, "replaced: a signature in it was erased") {
		t.Error("the bundle page does not say the archive was replaced")
	}
	audit := s.loginAs(t, account.RoleAdmin).get(t, "/admin/audit")
	for _, want := range []string{"built a bundle", "downloaded a bundle", "sha256"} {
		if !strings.Contains(audit.Body, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

// bundleRow is one bundle in the console's list.
type bundleRow struct {
	Href, SHA256, HTML string
}

// bundleRows returns the rows of the console's list of bundles, newest
// first.
func bundleRows(t *testing.T, u *user, campaignID string) []bundleRow {
	t.Helper()
	page := u.get(t, "/admin/campaigns/"+campaignID+"/bundle")
	if page.Status != 200 {
		t.Fatalf("bundle page: %d", page.Status)
	}
	body := page.Body[strings.Index(page.Body, "<tbody>")+1:]
	var out []bundleRow
	for _, tr := range strings.Split(body, "<tr>")[1:] {
		r := bundleRow{HTML: tr}
		if m := regexp.MustCompile(`href="(/admin/campaigns/[^"]+/bundle/[0-9a-f]+)"`).FindStringSubmatch(tr); m != nil {
			r.Href = m[1]
		}
		if m := regexp.MustCompile(`SHA-256 ([0-9a-f]{64})`).FindStringSubmatch(tr); m != nil {
			r.SHA256 = m[1]
		}
		out = append(out, r)
	}
	return out
}

// buildBundle asks for a bundle through the console and builds it.
func buildBundle(t *testing.T, s *site, u *user, campaignID string, form url.Values) {
	t.Helper()
	if res := u.post(t, "/admin/campaigns/"+campaignID+"/bundle", form); res.Status != 303 {
		t.Fatalf("build: %d\n%s", res.Status, res.Body)
	}
	runBundles(t, s)
}

// runBundles builds every bundle waiting.
func runBundles(t *testing.T, s *site) {
	t.Helper()
	for range 10 {
		ran, err := s.Bundles.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return
		}
	}
	t.Fatal("bundles never stop waiting")
}

// zipText is the text of the letters in a bundle archive, or false
// without pdftotext (an error on CI).
func zipText(t *testing.T, archive string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Error("pdftotext is missing on CI")
		}
		return "", false
	}
	zr, err := zip.NewReader(strings.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	var text strings.Builder
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "letter-") {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), f.Name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text.Write(out)
	}
	return text.String(), true
}

func sha(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// Erasing a signature rebuilds the bundles that hold it, without it, and
// leaves the bundles built before it was signed as they are.
func TestEraseRebuildsOnlyTheBundlesThatHoldIt(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	names := []string{"Anna Nowak", "Jan Kowalski", "Nino Beridze"}
	for i, name := range names {
		s.sign(t, "ales", func(v url.Values) {
			v.Set("name", name)
			v.Set("email", fmt.Sprintf("p%d@example.org", i))
		})
	}
	org := s.loginAs(t, account.RoleOrganizer)
	buildBundle(t, s, org, c.ID, url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}})
	s.sign(t, "ales", func(v url.Values) {
		v.Set("name", "Erika Mustermann")
		v.Set("email", "erika@example.org")
	})
	buildBundle(t, s, org, c.ID, url.Values{"layout": {"postcards"}, "paper": {"letter"}, "max_sheets": {"5"}, "lang": {"en"}})
	rows := bundleRows(t, org, c.ID)
	if len(rows) != 2 || rows[0].Href == "" || rows[1].Href == "" {
		t.Fatalf("bundles before the erasure: %+v", rows)
	}
	second, first := rows[0], rows[1]
	firstBody := org.get(t, first.Href).Body
	if sha(firstBody) != first.SHA256 {
		t.Fatal("the first bundle's download does not match its SHA-256")
	}
	if text, ok := zipText(t, org.get(t, second.Href).Body); ok && !strings.Contains(text, "Erika Mustermann") {
		t.Fatalf("the second bundle lacks the fourth signer:\n%s", text)
	}

	var erika string
	for _, sig := range storedSignatures(t, s) {
		if sig.Person.Name == "Erika Mustermann" {
			erika = sig.ID
		}
	}
	s.Clock.Add(48 * time.Hour)
	org = s.loginAs(t, account.RoleOrganizer) // the session ended meanwhile
	if res := org.post(t, "/admin/campaigns/"+c.ID+"/signatures/"+erika+"/erase", nil); res.Status != 303 || !strings.Contains(res.Header.Get("Location"), "done=signature_erased") {
		t.Fatalf("erase: %d to %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
	// Until it is rebuilt, the old link explains and says it is coming.
	gone := org.get(t, second.Href)
	if gone.Status != 404 || !strings.Contains(gone.Body, "This bundle no longer exists") || !strings.Contains(gone.Body, "not ready yet") {
		t.Errorf("the replaced bundle's link before the rebuild: %d\n%s", gone.Status, gone.Body)
	}
	runBundles(t, s)

	rows = bundleRows(t, org, c.ID)
	if len(rows) != 3 {
		t.Fatalf("bundles after the erasure: %d rows, want 3", len(rows))
	}
	rebuilt, replaced, kept := rows[0], rows[1], rows[2]
	if kept.Href != first.Href || kept.SHA256 != first.SHA256 {
		t.Errorf("the first bundle changed: %+v, was %+v", kept, first)
	}
	if again := org.get(t, first.Href); again.Status != 200 || sha(again.Body) != first.SHA256 {
		t.Errorf("the first bundle's download after the erasure: %d, sha %s, want %s", again.Status, sha(again.Body), first.SHA256)
	}
	if replaced.Href != "" || !strings.Contains(replaced.HTML, "replaced: a signature in it was erased on 2027-06-03") ||
		!strings.Contains(replaced.HTML, "Was SHA-256 "+second.SHA256) {
		t.Errorf("the replaced bundle's row:\n%s", replaced.HTML)
	}
	for _, want := range []string{"postcards, letter, en", "Rebuilt without a signature erased on 2027-06-03", "Replaces SHA-256 " + second.SHA256} {
		if !strings.Contains(rebuilt.HTML, want) {
			t.Errorf("the rebuilt bundle's row lacks %q:\n%s", want, rebuilt.HTML)
		}
	}
	if rebuilt.Href == "" || rebuilt.SHA256 == "" || rebuilt.SHA256 == second.SHA256 {
		t.Fatalf("the rebuilt bundle: %+v", rebuilt)
	}
	gone = org.get(t, second.Href)
	if gone.Status != 404 || link(gone.Body, "Download the rebuilt bundle") != rebuilt.Href || !strings.Contains(gone.Body, rebuilt.SHA256) {
		t.Errorf("the replaced bundle's link does not point to the rebuilt one: %d\n%s", gone.Status, gone.Body)
	}
	body := org.get(t, rebuilt.Href).Body
	if sha(body) != rebuilt.SHA256 {
		t.Error("the rebuilt bundle's download does not match its SHA-256")
	}
	if text, ok := zipText(t, body); ok {
		if strings.Contains(text, "Erika") || strings.Contains(text, "Mustermann") {
			t.Errorf("the rebuilt bundle holds the erased name:\n%s", text)
		}
		for _, name := range names {
			if !strings.Contains(text, name) {
				t.Errorf("the rebuilt bundle lacks %q", name)
			}
		}
	}

	var built, fixed, erased int
	for _, e := range s.allAuditEntries(t) {
		switch e.Action {
		case audit.BundleBuilt:
			built++
		case audit.BundleRebuilt:
			fixed++
			if !strings.Contains(e.Detail, second.SHA256) || !strings.Contains(e.Detail, rebuilt.SHA256) {
				t.Errorf("the rebuild's audit entry does not name both SHA-256: %q", e.Detail)
			}
		case audit.Erased:
			erased++
			if !strings.Contains(e.Detail, "being rebuilt: 1") {
				t.Errorf("the erasure's audit entry: %q", e.Detail)
			}
		}
	}
	if built != 2 || fixed != 1 || erased != 1 {
		t.Errorf("audit: %d built, %d rebuilt, %d erasures; want 2, 1, 1", built, fixed, erased)
	}
	if page := s.loginAs(t, account.RoleAdmin).get(t, "/admin/audit"); !strings.Contains(page.Body, "rebuilt a bundle after an erasure") {
		t.Error("the audit page does not show the rebuild")
	}
}

// A bundle that failed to build can be built again from the console.
func TestRetryAFailedBundle(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbs.Database(t))
	c := s.addCampaign(t, "ales", nil)
	s.sign(t, "ales", nil)
	org := s.loginAs(t, account.RoleOrganizer)
	// Without its recipient the bundle cannot be built.
	recipients := s.DB.Collection("recipients")
	var r bson.M
	if err := recipients.FindOneAndDelete(context.Background(), bson.M{"_id": c.RecipientID}).Decode(&r); err != nil {
		t.Fatal(err)
	}
	buildBundle(t, s, org, c.ID, url.Values{"layout": {"list"}, "paper": {"A4"}, "max_sheets": {"10"}, "lang": {"en"}})
	rows := bundleRows(t, org, c.ID)
	retry := regexp.MustCompile(`action="(/admin/campaigns/[^"]+/retry)"`).FindStringSubmatch(rows[0].HTML)
	if len(rows) != 1 || !strings.Contains(rows[0].HTML, "failed") || retry == nil || rows[0].Href != "" {
		t.Fatalf("the failed bundle's row:\n%s", rows[0].HTML)
	}
	if _, err := recipients.InsertOne(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if res := org.post(t, retry[1], nil); res.Status != 303 {
		t.Fatalf("retry: %d", res.Status)
	}
	runBundles(t, s)
	rows = bundleRows(t, org, c.ID)
	if len(rows) != 1 || rows[0].Href == "" || strings.Contains(rows[0].HTML, "/retry") {
		t.Errorf("after the retry:\n%s", rows[0].HTML)
	}
	// Another campaign's page cannot retry it.
	other := s.addCampaign(t, "other", nil)
	if res := org.post(t, strings.Replace(retry[1], "/"+c.ID+"/", "/"+other.ID+"/", 1), nil); res.Status != 404 {
		t.Errorf("retry under another campaign: %d, want 404", res.Status)
	}
}
